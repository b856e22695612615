"""Delivery: claim due emails, send each through the route active now, decide, finish each one."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mailer.kinds import KINDS
from mailer.models import FailureReason, OutboundEmail, WaitReason
from mailer.outcomes import Outcome, outcomes_finish
from mailer.pool import pool
from mailer.ratelimit import RateLimiterUnavailable, rate_acquire, rate_key
from mailer.routing import PAUSING_REASONS, Route, custom_route, is_paused, platform_route
from mailer.wakeup import email_wake, email_wake_clear
from smtp_integration.health import HealthReport, smtp_health_record
from smtp_integration.selectors import smtp_config_for_sending
from smtp_integration.transport import SESSION_STEPS, SmtpError, build_message
from tenants.models import EmailTransport
from tenants.selectors import tenant_current

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
COMMIT_EVERY = 10
DRAIN_BUDGET = 20.0
# How long a paused integration's emails wait before they look again (a Save resumes at once).
PAUSED_RECHECK = timedelta(minutes=2)
LIMITER_DOWN_RETRY = timedelta(seconds=5)


def lease() -> timedelta:
    return timedelta(seconds=settings.MAILER_LEASE_SECONDS)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with ±20 % jitter, capped."""
    base = settings.MAILER_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1)
    seconds = min(base, settings.MAILER_RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)
    return timedelta(seconds=seconds)


def email_claim(*, limit: int = BATCH_SIZE) -> list[OutboundEmail]:
    """Take up to ``limit`` due emails with a lease; other workers skip them."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE mailer_outboundemail SET status = 'sending', lease_expires_at = %s
            WHERE id IN (
                SELECT id FROM mailer_outboundemail
                WHERE status = 'queued' AND (next_attempt_at <= %s OR expires_at <= %s)
                ORDER BY next_attempt_at, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,
            [now + lease(), now, now, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(OutboundEmail.objects.filter(pk__in=ids).order_by("next_attempt_at", "pk"))


def email_drain(*, schema_name: str) -> int:
    """Deliver the tenant's due emails batch after batch; returns how many were handled.

    A full batch means more may be waiting: another worker is woken to help before this one
    sends. After DRAIN_BUDGET the task hands over, so one busy tenant cannot hold a worker.
    """
    email_wake_clear(schema_name)
    handled = 0
    deadline = time.monotonic() + DRAIN_BUDGET
    while emails := email_claim():
        if len(emails) == BATCH_SIZE:
            email_wake(schema_name)
        email_deliver(emails)
        handled += len(emails)
        if time.monotonic() > deadline:
            email_wake(schema_name)
            break
    return handled


class _Routes:
    """Routes for one batch, built once from the share-locked config."""

    def __init__(self, config, tenant) -> None:
        self.config = config
        self.tenant_name = tenant.display_name
        self.paused = is_paused(config)
        self.down: dict[tuple, tuple[str, timedelta]] = {}
        self._custom: Route | None = None

    def platform(self, *, fallback: bool = False) -> Route:
        return platform_route(tenant_name=self.tenant_name, fallback=fallback)

    def custom(self) -> Route:
        if self._custom is None:
            self._custom = custom_route(self.config)
        return self._custom

    def uses_custom(self, email: OutboundEmail) -> bool:
        return not email.force_platform_default and self.config is not None and self.config.enabled

    def may_fall_back(self, email: OutboundEmail) -> bool:
        return self.config.fallback_to_platform and KINDS[email.kind].fallback_eligible


def email_deliver(emails: list[OutboundEmail]) -> list[Outcome]:
    """Send claimed emails over pooled connections and record how each one ended.

    Emails go in steps of COMMIT_EVERY, each in one transaction that share-locks the SMTP
    config: a worker killed mid-batch re-sends at most one step's emails.
    """
    started = time.monotonic()
    budget = settings.MAILER_LEASE_SECONDS / 2
    outcomes: list[Outcome] = []
    for first in range(0, len(emails), COMMIT_EVERY):
        step = emails[first : first + COMMIT_EVERY]
        if time.monotonic() - started > budget:
            # Give the rest back before the lease runs out and another worker takes them.
            with transaction.atomic():
                rest = [Outcome.wait(email, WaitReason.BATCH_TIME, timedelta(0)) for email in step]
                outcomes_finish(rest)
            outcomes.extend(rest)
            continue
        outcomes.extend(_deliver_step(step))
    return outcomes


def _deliver_step(emails: list[OutboundEmail]) -> list[Outcome]:
    health = HealthReport()
    with transaction.atomic():
        config = smtp_config_for_sending()
        routes = _Routes(config, tenant_current())
        outcomes = [_deliver_one(email, routes, health) for email in emails]
        outcomes_finish(outcomes)
    smtp_health_record(config=config, report=health)
    return outcomes


def _deliver_one(email: OutboundEmail, routes: _Routes, health: HealthReport) -> Outcome:
    if email.expires_at <= timezone.now():
        return Outcome.failed(email, reason=FailureReason.EXPIRED, cause=email.waiting_for)
    if not routes.uses_custom(email):
        return _send_via(email, routes.platform(), routes, health)
    if routes.paused:
        if routes.may_fall_back(email):
            return _send_via(email, routes.platform(fallback=True), routes, health)
        return Outcome.wait(email, WaitReason.SMTP_PAUSED, PAUSED_RECHECK)
    return _send_via(email, routes.custom(), routes, health)


def _send_via(email: OutboundEmail, route: Route, routes: _Routes, health: HealthReport) -> Outcome:
    if route.pool_key in routes.down:
        reason, delay = routes.down[route.pool_key]
        return Outcome.wait(email, reason, delay)
    waiting = _rate_wait(email, route)
    if waiting is not None:
        return waiting
    try:
        smtp = pool.connection(route)
        result = smtp.send(
            _message(email, route), from_addr=route.from_address, to_addrs=[email.to_address]
        )
    except SmtpError as error:
        return _after_error(email, route, error, routes, health)
    if route.transport == EmailTransport.CUSTOM:
        health.success()
    return Outcome.sent(email, route, result.code, result.reply)


def _rate_wait(email: OutboundEmail, route: Route) -> Outcome | None:
    """None when the email may go now; else how it waits or, past its lifetime, fails."""
    if route.rate is None:
        return None
    limit, window = route.rate
    try:
        decision = rate_acquire(
            key=rate_key(connection.schema_name, route.transport),
            limit=limit,
            window_seconds=window,
            token=str(email.pk),
        )
    except RateLimiterUnavailable:
        logger.warning("Rate limiter unavailable; email %s waits.", email.pk)
        return Outcome.wait(email, WaitReason.RATE_LIMITER_UNAVAILABLE, LIMITER_DOWN_RETRY)
    if decision.allowed:
        return None
    delay = timedelta(seconds=decision.retry_after)
    if timezone.now() + delay >= email.expires_at:
        return Outcome.failed(
            email, route=route, reason=FailureReason.EXPIRED, cause=WaitReason.RATE_LIMITED
        )
    return Outcome.wait(email, WaitReason.RATE_LIMITED, delay)


def _message(email: OutboundEmail, route: Route):
    return build_message(
        from_address=route.from_address,
        from_name=route.from_name,
        reply_to=route.reply_to,
        to=email.to_address,
        subject=email.subject,
        text=email.body_text,
        html=email.body_html or None,
        message_id=email.message_id,
        headers={"Auto-Submitted": "auto-generated"},
    )


class Action(StrEnum):
    PAUSE = "pause"  # the integration is refused as a whole: hold its emails, tell the admins
    FALL_BACK = "fall_back"  # send this one through the platform default instead
    FAIL = "fail"
    RETRY = "retry"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    cause: str = ""
    delay: timedelta = timedelta(0)
    pauses: bool = False  # the integration pauses (with or without a fallback for this email)
    route_down: bool = False  # the server is unreachable: the batch's other emails wait too


def retry_decision(
    error: SmtpError,
    *,
    custom: bool,
    may_fall_back: bool,
    attempts: int,
    max_attempts: int,
    now: datetime,
    expires_at: datetime,
    delay: timedelta,
) -> Decision:
    """What to do with an email whose send just failed with ``error`` (its attempts counted).

    ``custom``: it went through the tenant's own SMTP; ``may_fall_back``: its kind and the
    tenant allow the platform default instead; ``delay``: the backoff before a retry.
    """
    if custom and error.reason in PAUSING_REASONS:
        action = Action.FALL_BACK if may_fall_back else Action.PAUSE
        return Decision(action, reason=WaitReason.SMTP_PAUSED, delay=PAUSED_RECHECK, pauses=True)
    if error.permanent:
        return Decision(Action.FAIL, reason=error.reason)
    if custom and may_fall_back:
        return Decision(Action.FALL_BACK)
    if attempts >= max_attempts:
        return Decision(Action.FAIL, reason=error.reason)
    if now + delay >= expires_at:
        return Decision(Action.FAIL, reason=FailureReason.EXPIRED, cause=error.reason)
    return Decision(
        Action.RETRY, reason=error.reason, delay=delay, route_down=error.step in SESSION_STEPS
    )


def _after_error(
    email: OutboundEmail, route: Route, error: SmtpError, routes: _Routes, health: HealthReport
) -> Outcome:
    pool.discard(route)
    email.attempts += 1
    custom = route.transport == EmailTransport.CUSTOM
    if custom:
        health.failure(error)
    decision = retry_decision(
        error,
        custom=custom,
        may_fall_back=custom and routes.may_fall_back(email),
        attempts=email.attempts,
        max_attempts=settings.MAILER_MAX_ATTEMPTS,
        now=timezone.now(),
        expires_at=email.expires_at,
        delay=backoff(email.attempts),
    )
    if decision.pauses:
        routes.paused = True
        health.pause(error)
    if decision.route_down:
        routes.down[route.pool_key] = (decision.reason, decision.delay)
    if decision.action == Action.FALL_BACK:
        return _send_via(email, routes.platform(fallback=True), routes, health)
    if decision.action == Action.FAIL:
        return Outcome.failed(
            email, route=route, reason=decision.reason, cause=decision.cause, error=error
        )
    return Outcome.wait(email, decision.reason, decision.delay, route=route, error=error)
