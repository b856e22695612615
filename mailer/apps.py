from django.apps import AppConfig


class MailerConfig(AppConfig):
    name = "mailer"
    verbose_name = "Mailer"
    tenant_admin_permissions = ["view_outboundemail"]

    def ready(self) -> None:
        from mailer.receivers import email_queue_resume
        from smtp_integration.signals import smtp_config_changed

        smtp_config_changed.connect(email_queue_resume, dispatch_uid="mailer.queue_resume")
