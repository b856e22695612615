"""Helpers for the mailer's tests: a context for every kind, rows of the email log."""

import uuid
from datetime import timedelta

from django.utils import timezone

from mailer.kinds import KINDS
from mailer.models import OutboundEmail
from tenants.selectors import tenant_current

SAMPLE_CONTEXT = {
    "verification": {"verify_url": "https://production.localhost/verify/abc"},
    "recovery": {"reset_url": "https://production.localhost/reset/abc"},
    "otp": {"code": "493027"},
    "magic_link": {"login_url": "https://production.localhost/magic/abc"},
    "invitation": {"accept_url": "https://production.localhost/invite/abc", "inviter": "Ada"},
    "notification": {"title": "New sign-in", "message": "A new device signed in.\nWas it you?"},
    "email_change": {
        "confirm_url": "https://production.localhost/email/abc",
        "new_email": "new@example.com",
    },
}


def outbound_email(status, *, kind="otp", to="user@example.com", days_ago=0, **fields):
    """A row of the current tenant's email log in ``status``, created ``days_ago`` days ago."""
    now = timezone.now() - timedelta(days=days_ago)
    fields.setdefault("tenant", tenant_current())
    row = OutboundEmail.objects.create(
        kind=kind,
        priority=KINDS[kind].priority,
        to_address=to,
        subject="s",
        body_text="t",
        message_id=f"<{uuid.uuid4().hex}@acme.test>",
        status=status,
        next_attempt_at=now,
        expires_at=now + timedelta(minutes=10),
        finished_at=now if status in ("sent", "failed") else None,
        **fields,
    )
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=now)
    return row
