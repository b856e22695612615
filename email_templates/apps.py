from django.apps import AppConfig


class EmailTemplatesConfig(AppConfig):
    name = "email_templates"
    verbose_name = "Email templates"
    default_auto_field = "django.db.models.BigAutoField"
