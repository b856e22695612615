"""How a delivery attempt ended, and writing that down: row status and exactly one audit event."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record_many
from mailer.models import EmailStatus, OutboundEmail
from mailer.wakeup import email_wake
from tenants.selectors import tenant_current

# Retries sooner than this are handed to the broker as a countdown; longer waits live only
# in the database (next_attempt_at) and the sweeper picks them up. Kept short: a worker
# holds countdown tasks unacknowledged, and the broker redelivers them only after its
# visibility timeout if that worker dies.
COUNTDOWN_LIMIT = timedelta(seconds=60)


class OutcomeStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    WAIT = "wait"  # back to the queue until next_attempt_at


@dataclass
class Outcome:
    email: OutboundEmail
    status: OutcomeStatus
    route: object = None
    code: int | None = None
    reply: str = ""
    reason: str = ""
    cause: str = ""
    delay: timedelta = field(default_factory=timedelta)

    @classmethod
    def sent(cls, email, route, code, reply) -> Outcome:
        return cls(email, OutcomeStatus.SENT, route, code, reply)

    @classmethod
    def failed(cls, email, *, route=None, reason: str, cause: str = "", error=None) -> Outcome:
        return cls(email, OutcomeStatus.FAILED, route, *_reply(error), reason=reason, cause=cause)

    @classmethod
    def wait(cls, email, reason: str, delay: timedelta, *, route=None, error=None) -> Outcome:
        return cls(email, OutcomeStatus.WAIT, route, *_reply(error), reason=reason, delay=delay)


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
    if outcome.status == OutcomeStatus.WAIT:
        email.status = EmailStatus.QUEUED
        email.next_attempt_at = now + outcome.delay
        email.waiting_for = outcome.reason
        return
    email.status = EmailStatus.SENT if outcome.status == OutcomeStatus.SENT else EmailStatus.FAILED
    email.finished_at = now
    email.waiting_for = ""
    email.failure_reason = outcome.reason
    if outcome.status == OutcomeStatus.SENT:
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
    if outcome.status == OutcomeStatus.FAILED:
        metadata["reason"] = outcome.reason
        if outcome.cause:
            metadata["cause"] = outcome.cause
    return {
        "action": AuditAction.EMAIL_SENT
        if outcome.status == OutcomeStatus.SENT
        else AuditAction.EMAIL_SEND_FAILED,
        "recipient": email.to_address,
        "target": f"outbound_email:{email.pk}",
        "metadata": metadata,
    }


# One statement for the whole step. (bulk_update builds a CASE per field and row in Python,
# which cost more than the SMTP session itself.)
_UPDATE = """
UPDATE mailer_outboundemail AS e SET
    status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
    lease_expires_at = NULL, waiting_for = v.waiting_for, finished_at = v.finished_at,
    transport = v.transport, fallback = v.fallback, smtp_host = v.smtp_host,
    reply_code = v.reply_code, reply_text = v.reply_text, failure_reason = v.failure_reason,
    body_text = CASE WHEN v.finished THEN '' ELSE e.body_text END,
    body_html = CASE WHEN v.finished THEN '' ELSE e.body_html END
FROM (VALUES {rows}) AS v(
    id, status, attempts, next_attempt_at, waiting_for, finished_at, transport, fallback,
    smtp_host, reply_code, reply_text, failure_reason, finished
)
WHERE e.id = v.id
"""
_ROW = (
    "(%s::bigint, %s::varchar, %s::smallint, %s::timestamptz, %s::varchar, %s::timestamptz,"
    " %s::varchar, %s::boolean, %s::varchar, %s::smallint, %s::varchar, %s::varchar,"
    " %s::boolean)"
)


def _write_rows(emails: list[OutboundEmail]) -> None:
    params = []
    for e in emails:
        params += [
            e.pk,
            e.status,
            e.attempts,
            e.next_attempt_at,
            e.waiting_for,
            e.finished_at,
            e.transport,
            e.fallback,
            e.smtp_host,
            e.reply_code,
            e.reply_text,
            e.failure_reason,
            e.finished_at is not None,
        ]
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE.format(rows=", ".join([_ROW] * len(emails))), params)


def outcomes_finish(outcomes: list[Outcome]) -> None:
    """Write every outcome in the current transaction; schedule the short retries on commit."""
    if not outcomes:
        return
    now = timezone.now()
    for outcome in outcomes:
        _apply(outcome, now)
    _write_rows([o.email for o in outcomes])
    audit_record_many(
        [_audit(o) for o in outcomes if o.status != OutcomeStatus.WAIT],
        tenant=tenant_current(),
    )
    soon = [o for o in outcomes if o.status == OutcomeStatus.WAIT and o.delay <= COUNTDOWN_LIMIT]
    if soon:
        schema = connection.schema_name
        transaction.on_commit(lambda: _enqueue_retries(schema, soon))


def _enqueue_retries(schema: str, outcomes: list[Outcome]) -> None:
    # One drain per distinct second is enough: each drains every email due by then.
    for seconds in sorted({math.ceil(o.delay.total_seconds()) for o in outcomes}):
        if not email_wake(schema, countdown=seconds or None):
            return  # the broker is down: the sweeper takes over
