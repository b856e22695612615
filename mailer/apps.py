from django.apps import AppConfig


class MailerConfig(AppConfig):
    name = "mailer"
    verbose_name = "Mailer"
    tenant_admin_permissions = ["view_outboundemail"]

    def ready(self) -> None:
        # Imported here: receivers use models, which exist only once the apps are loaded.
        from mailer.receivers import smtp_config_changed_resume
        from smtp_integration.signals import smtp_config_changed

        smtp_config_changed.connect(smtp_config_changed_resume, dispatch_uid="mailer.queue_resume")
