"""How a delivery attempt ended, and writing that down: row status and exactly one audit event."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record_many
from mailer.models import EmailStatus, OutboundEmail
from tenants.selectors import tenant_current

# Retries sooner than this are handed to the broker as a countdown; longer waits live only
# in the database (next_attempt_at) and the sweeper picks them up. Kept short: a worker
# holds countdown tasks unacknowledged, and the broker redelivers them only after its
# visibility timeout if that worker dies.
COUNTDOWN_LIMIT = timedelta(seconds=60)
_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "lease_expires_at",
    "waiting_for",
    "finished_at",
    "transport",
    "fallback",
    "smtp_host",
    "reply_code",
    "reply_text",
    "failure_reason",
    "body_text",
    "body_html",
]


@dataclass
class Outcome:
    email: OutboundEmail
    status: str  # sent | failed | wait
    route: object = None
    code: int | None = None
    reply: str = ""
    reason: str = ""
    cause: str = ""
    delay: timedelta = field(default_factory=timedelta)

    @classmethod
    def sent(cls, email, route, code, reply) -> Outcome:
        return cls(email, "sent", route, code, reply)

    @classmethod
    def failed(cls, email, *, route=None, reason: str, cause: str = "", error=None) -> Outcome:
        return cls(email, "failed", route, *_reply(error), reason=reason, cause=cause)

    @classmethod
    def wait(cls, email, reason: str, delay: timedelta, *, route=None, error=None) -> Outcome:
        return cls(email, "wait", route, *_reply(error), reason=reason, delay=delay)


def _reply(error) -> tuple[int | None, str]:
    if error is None:
        return None, ""
    return error.code, (error.reply or str(error))[:500]


def _apply(outcome: Outcome, now) -> None:
    email, route = outcome.email, outcome.route
    if route is not None:
        email.transport = route.transport
        email.fallback = route.fallback
        email.smtp_host = route.server.host
    if outcome.code is not None or outcome.reply:
        email.reply_code, email.reply_text = outcome.code, outcome.reply[:500]
    email.lease_expires_at = None
    if outcome.status == "wait":
        email.status = EmailStatus.QUEUED
        email.next_attempt_at = now + outcome.delay
        email.waiting_for = outcome.reason
        return
    email.status = EmailStatus.SENT if outcome.status == "sent" else EmailStatus.FAILED
    email.finished_at = now
    email.failure_reason = outcome.reason
    if outcome.status == "sent":
        email.attempts += 1
    # The bodies carry codes and links; once the email is finished nobody needs them.
    email.body_text = email.body_html = ""


def _audit(outcome: Outcome) -> dict:
    email = outcome.email
    metadata = {
        "kind": email.kind,
        "transport": email.transport or None,
        "smtp_host": email.smtp_host or None,
        "code": email.reply_code,
        "reply": email.reply_text,
        "attempts": email.attempts,
        "message_id": email.message_id,
        "fallback": email.fallback,
    }
    if outcome.status == "failed":
        metadata["reason"] = outcome.reason
        if outcome.cause:
            metadata["cause"] = outcome.cause
    return {
        "action": AuditAction.EMAIL_SENT
        if outcome.status == "sent"
        else AuditAction.EMAIL_SEND_FAILED,
        "recipient": email.to_address,
        "target": f"outbound_email:{email.pk}",
        "metadata": metadata,
    }


def outcomes_finish(outcomes: list[Outcome]) -> None:
    """Write every outcome in the current transaction; schedule the short retries on commit."""
    if not outcomes:
        return
    now = timezone.now()
    for outcome in outcomes:
        _apply(outcome, now)
    OutboundEmail.objects.bulk_update([o.email for o in outcomes], _FIELDS)
    audit_record_many(
        [_audit(o) for o in outcomes if o.status in ("sent", "failed")],
        tenant=tenant_current(),
    )
    soon = [o for o in outcomes if o.status == "wait" and o.delay <= COUNTDOWN_LIMIT]
    if soon:
        schema = connection.schema_name
        transaction.on_commit(lambda: _enqueue_retries(schema, soon))


def _enqueue_retries(schema: str, outcomes: list[Outcome]) -> None:
    from mailer.api import email_enqueue
    from mailer.services import BATCH_SIZE

    # Grouped by the whole second they come due: a task drains up to a batch of due emails,
    # so one task per batch per second is enough.
    by_second: dict[int, list[int]] = {}
    for outcome in outcomes:
        by_second.setdefault(math.ceil(outcome.delay.total_seconds()), []).append(outcome.email.pk)
    for seconds, ids in sorted(by_second.items()):
        for first in ids[::BATCH_SIZE]:
            if not email_enqueue(schema, first, countdown=seconds or None):
                return  # the broker is down: the sweeper takes over
