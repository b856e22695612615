from django.apps import AppConfig


class SmtpIntegrationConfig(AppConfig):
    name = "smtp_integration"
    verbose_name = "Email SMTP integration"
