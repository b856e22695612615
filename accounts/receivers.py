"""What accounts does when other apps report events that the tenant's admins must hear of."""

from accounts.selectors import tenant_admin_emails
from mailer import send_email
from tenants.selectors import tenant_current


def admins_notify_smtp_paused(sender, config, **kwargs) -> None:
    """Tell every tenant admin, through the platform default, that sending is paused."""
    message = (
        f"Emails from {tenant_current().display_name} are on hold: your SMTP server "
        f"{config.host} refused them.\n\n{config.last_failure_reason}\n\n"
        "Fix the settings under Integrations → Email SMTP and save: the waiting emails are "
        "sent at once. Or switch custom SMTP off to send through the platform default."
    )
    for address in tenant_admin_emails():
        send_email(
            "notification",
            to=address,
            context={"title": "Your SMTP server is refusing emails", "message": message},
            force_platform_default=True,
        )
