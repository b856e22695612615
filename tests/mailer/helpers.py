"""Helpers for the mailer's tests: a context for every kind, queueing and waiting for emails,
rows of the email log."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from mailer import send_email
from mailer.content import email_content
from mailer.kinds import KINDS
from mailer.models import OutboundEmail
from tenants.selectors import tenant_current
from tests.support import wait_for

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


def email_text(email: OutboundEmail) -> str:
    """The plain text the worker will send for ``email``."""
    return email_content(email).text


def outbound_email(status, *, kind="otp", to="user@example.com", days_ago=0, **fields):
    """A row of the current tenant's email log in ``status``, created ``days_ago`` days ago."""
    now = timezone.now() - timedelta(days=days_ago)
    fields.setdefault("tenant", tenant_current())
    row = OutboundEmail.objects.create(
        kind=kind,
        priority=KINDS[kind].priority,
        to_address=to,
        context=SAMPLE_CONTEXT[kind],
        message_id=f"<{uuid.uuid4().hex}@acme.test>",
        status=status,
        next_attempt_at=now,
        expires_at=now + timedelta(minutes=10),
        finished_at=now if status in ("sent", "failed") else None,
        **fields,
    )
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=now)
    return row


def queue(kind="otp", to="user@example.com", context=None):
    """send_email() in a transaction of its own (or a savepoint of the caller's)."""
    with transaction.atomic():
        return send_email(kind, to=to, context=context or SAMPLE_CONTEXT[kind])


def otps(count: int, prefix: str, *, commits: str = "one") -> list[OutboundEmail]:
    """``count`` sign-in codes to <prefix><n>@example.com, queued in one commit (a claim takes
    them together) or, with ``commits="each"``, one commit each."""

    def one(n: int) -> OutboundEmail:
        return send_email("otp", to=f"{prefix}{n}@example.com", context={"code": f"{n:06d}"})

    if commits == "each":
        return [queue_in_own_commit(one, n) for n in range(count)]
    with transaction.atomic():
        return [one(n) for n in range(count)]


def queue_in_own_commit(make, *args):
    with transaction.atomic():
        return make(*args)


def finished(*emails, timeout: float = 15.0):
    """Wait until the emails are sent or failed; return them fresh from the database."""
    ids = [email.pk for email in emails]

    def done():
        rows = list(OutboundEmail.objects.filter(pk__in=ids, status__in=["sent", "failed"]))
        return rows if len(rows) == len(ids) else None

    rows = wait_for(done, timeout=timeout, message=f"emails {ids} did not finish")
    return sorted(rows, key=lambda row: ids.index(row.pk))


def audits(email):
    return list(
        AuditEvent.objects.filter(target=f"outbound_email:{email.pk}").values_list(
            "action", flat=True
        )
    )


def by_message_id(server):
    return {received.message["Message-ID"]: received for received in server.messages}
