"""Reads about the tenant's email delivery."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class EmailDeliveryStatus:
    label: str
    tone: str  # green, amber, red or grey: the same meaning on every page
    from_address: str
    detail: str
    url: str = ""


def email_delivery_status() -> EmailDeliveryStatus:
    """Which SMTP the tenant's email goes through now."""
    count, seconds = settings.PLATFORM_SMTP_RATE_LIMIT
    per = {3600: "hour", 60: "minute", 86400: "day", 1: "second"}.get(seconds, f"{seconds}s")
    return EmailDeliveryStatus(
        label="Platform default",
        tone="grey",
        from_address=f"noreply@{settings.PLATFORM_EMAIL_DOMAIN}",
        detail=f"Shared platform SMTP, limited to {count} emails per {per}.",
    )
