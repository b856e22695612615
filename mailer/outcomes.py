"""How a delivery attempt ended, and writing that down: row status and exactly one audit event.

Only the holder of an email's lease writes its outcome: the write names the claim's token, so
a worker whose lease was taken over records nothing, and the email is never recorded (or
audited) twice. Whatever is written is cleaned first (server replies carry anything), and a
write that fails is retried email by email, so one bad value never undoes a step whose
emails were already handed to SMTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record_many
from cymmetri.db import server_cursor
from cymmetri.metrics import EMAIL_EXPIRED, EMAIL_FAILED, EMAIL_SEND_SECONDS, EMAIL_SENT
from mailer.kinds import KINDS
from mailer.models import EmailStatus, FailureReason, OutboundEmail
from smtp_integration.transport import printable

logger = logging.getLogger(__name__)

REPLY_LENGTH = 500


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
    return error.code, error.reply or str(error)


def _apply(outcome: Outcome, now) -> None:
    email, route = outcome.email, outcome.route
    if route is not None:
        email.transport = route.transport
        email.fallback = route.fallback
        email.smtp_host = route.server.host
    if outcome.code is not None or outcome.reply:
        email.reply_code = outcome.code
        email.reply_text = printable(outcome.reply, REPLY_LENGTH)
    email.lease_token = email.lease_expires_at = None
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
    # The variables and bodies carry codes and links; once it is finished nobody needs them.
    email.context = {}
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
        "locale": email.locale or None,
    }
    if email.is_test:
        metadata["test"] = True
    if outcome.status == OutcomeStatus.FAILED:
        metadata["reason"] = outcome.reason
        if outcome.cause:
            metadata["cause"] = printable(outcome.cause, 100)
    return {
        "action": AuditAction.EMAIL_SENT
        if outcome.status == OutcomeStatus.SENT
        else AuditAction.EMAIL_SEND_FAILED,
        "recipient": email.to_address,
        "target": f"outbound_email:{email.pk}",
        "metadata": metadata,
    }


# One statement for the whole step, the same whatever its size (so PostgreSQL plans it once).
# Only rows still leased under the step's token change; RETURNING says which.
_UPDATE = """
UPDATE public.mailer_outboundemail AS e SET
    status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
    lease_token = NULL, lease_expires_at = NULL, waiting_for = v.waiting_for,
    finished_at = v.finished_at, transport = v.transport, fallback = v.fallback,
    smtp_host = v.smtp_host, reply_code = v.reply_code, reply_text = v.reply_text,
    failure_reason = v.failure_reason,
    context = CASE WHEN v.finished_at IS NULL THEN e.context ELSE '{}' END,
    body_text = CASE WHEN v.finished_at IS NULL THEN e.body_text ELSE '' END,
    body_html = CASE WHEN v.finished_at IS NULL THEN e.body_html ELSE '' END
FROM unnest(
    %s::bigint[], %s::varchar[], %s::smallint[], %s::timestamptz[], %s::varchar[],
    %s::timestamptz[], %s::varchar[], %s::boolean[], %s::varchar[], %s::smallint[],
    %s::varchar[], %s::varchar[]
) AS v(
    id, status, attempts, next_attempt_at, waiting_for, finished_at, transport, fallback,
    smtp_host, reply_code, reply_text, failure_reason
)
WHERE e.id = v.id AND e.lease_token = %s AND e.status = 'sending'
RETURNING e.id
"""
_COLUMNS = (
    "pk",
    "status",
    "attempts",
    "next_attempt_at",
    "waiting_for",
    "finished_at",
    "transport",
    "fallback",
    "smtp_host",
    "reply_code",
    "reply_text",
    "failure_reason",
)


def _write_rows(emails: list[OutboundEmail], token: UUID) -> set[int]:
    columns = [[getattr(email, name) for email in emails] for name in _COLUMNS]
    with server_cursor() as cursor:
        cursor.execute(_UPDATE, [*columns, token])
        return {row[0] for row in cursor.fetchall()}


def _write_each(outcomes: list[Outcome], token: UUID) -> set[int]:
    """Row by row, each in a savepoint: a row that still fails is written as failed, bare."""
    written = set()
    for outcome in outcomes:
        try:
            with transaction.atomic():
                written |= _write_rows([outcome.email], token)
            continue
        except DatabaseError:
            logger.exception("Could not record the outcome of email %s", outcome.email.pk)
        email = outcome.email
        email.reply_text = ""
        if outcome.status != OutcomeStatus.WAIT:
            outcome.status = OutcomeStatus.FAILED
            email.status = EmailStatus.FAILED
            outcome.reason = email.failure_reason = FailureReason.INTERNAL_ERROR
            outcome.cause = "DatabaseError"
        with transaction.atomic():
            written |= _write_rows([email], token)
    return written


def outcomes_finish(outcomes: list[Outcome], *, token: UUID, tenant) -> list[Outcome]:
    """Write the outcomes this claim still holds, with one audit event per finished email;
    returns those written. Runs in the caller's transaction."""
    if not outcomes:
        return []
    now = timezone.now()
    for outcome in outcomes:
        _apply(outcome, now)
    try:
        with transaction.atomic():
            written = _write_rows([o.email for o in outcomes], token)
    except DatabaseError:
        logger.exception("Could not record a step's outcomes at once; recording one by one")
        written = _write_each(outcomes, token)
    mine = [o for o in outcomes if o.email.pk in written]
    lost = len(outcomes) - len(mine)
    if lost:
        logger.warning("%s emails were taken over by another worker; not recorded here", lost)
    finished = [o for o in mine if o.status != OutcomeStatus.WAIT]
    audit_record_many([_audit(o) for o in finished], tenant=tenant)
    # Counted once the outcomes are committed: a rolled-back step has not finished anything.
    transaction.on_commit(lambda: _count(finished))
    return mine


def _route_label(email: OutboundEmail) -> str:
    if email.fallback:
        return "fallback"
    return email.transport or "none"


def _count(finished: list[Outcome]) -> None:
    """Prometheus counters (no tenant, no recipient: bounded labels only)."""
    now = timezone.now()
    for outcome in finished:
        email = outcome.email
        route = _route_label(email)
        if outcome.status == OutcomeStatus.SENT:
            EMAIL_SENT.labels(email.kind, route).inc()
            priority = KINDS[email.kind].priority.name.lower()
            elapsed = (now - email.created_at).total_seconds()
            EMAIL_SEND_SECONDS.labels(priority, route).observe(elapsed)
        elif email.failure_reason == FailureReason.EXPIRED:
            EMAIL_EXPIRED.labels(email.kind, route).inc()
        else:
            EMAIL_FAILED.labels(email.kind, route, email.failure_reason or "unknown").inc()
