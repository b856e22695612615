from mailer.services import email_queue_resume
from tenants.selectors import tenant_current


def smtp_config_changed_resume(sender, **kwargs) -> None:
    """The tenant's SMTP config changed: emails waiting for a working server try again now."""
    email_queue_resume(tenant=tenant_current())
