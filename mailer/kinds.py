"""The seven kinds of transactional email: what each needs, how long it stays useful, and
whether it is urgent (someone is waiting to sign in) or bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import models


class EmailKind(models.TextChoices):
    VERIFICATION = "verification", "Verification"
    RECOVERY = "recovery", "Recovery"
    OTP = "otp", "Sign-in code"
    MAGIC_LINK = "magic_link", "Magic link"
    INVITATION = "invitation", "Invitation"
    NOTIFICATION = "notification", "Notification"
    EMAIL_CHANGE = "email_change", "Email change"


class Priority(models.IntegerChoices):
    """Claimed in this order: any tenant's urgent email goes before any bulk email."""

    URGENT = 0, "Urgent"
    BULK = 1, "Bulk"


@dataclass(frozen=True)
class Kind:
    name: str
    required: tuple[str, ...]
    lifetime: timedelta
    priority: Priority
    # Sign-in and recovery may go through the platform default when the tenant's SMTP fails
    # (an opt-in per tenant): a user locked out is worse than a generic sender.
    fallback_eligible: bool = False

    @property
    def label(self) -> str:
        return EmailKind(self.name).label


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("verification", ("verify_url",), timedelta(hours=24), Priority.URGENT),
        Kind("recovery", ("reset_url",), timedelta(hours=1), Priority.URGENT, True),
        Kind("otp", ("code",), timedelta(minutes=10), Priority.URGENT, True),
        Kind("magic_link", ("login_url",), timedelta(minutes=15), Priority.URGENT, True),
        Kind("invitation", ("accept_url",), timedelta(days=7), Priority.BULK),
        Kind("notification", ("title", "message"), timedelta(hours=24), Priority.BULK),
        Kind("email_change", ("confirm_url", "new_email"), timedelta(hours=24), Priority.URGENT),
    )
}
