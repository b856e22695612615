"""Delivery: claim due emails across tenants, send each through its tenant's route as it is
now, decide what a failure means, and finish each email exactly once.

A claim takes urgent emails (sign-in, recovery) of every tenant before any bulk email, and
serves tenants in turn: at most a step's worth of emails per tenant, starting after the last
tenant this process served. Each claim leases its emails under a token for a short time; a
step (one tenant's emails, one transaction) renews the lease before it starts and ends well
before it runs out, and only the token's holder records an outcome.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cymmetri.db import model_columns, model_from_row, server_cursor
from mailer.content import email_content
from mailer.kinds import KINDS, Priority
from mailer.leases import leases
from mailer.models import FailureReason, OutboundEmail, WaitReason
from mailer.outcomes import Outcome, outcomes_finish
from mailer.pool import pool
from mailer.ratelimit import RateLimiterUnavailable, rate_acquire, rate_key
from mailer.routing import PAUSING_REASONS, Route, custom_route, is_paused, platform_route
from mailer.wakeup import email_draining, email_draining_done, email_wake, email_wake_clear
from smtp_integration.health import HealthReport, smtp_health_record
from smtp_integration.selectors import smtp_config_for_sending
from smtp_integration.transport import SESSION_STEPS, SmtpError, build_message
from tenants.models import EmailTransport
from tenants.selectors import tenant_get

logger = logging.getLogger(__name__)

# Emails per tenant per claim: one step, one transaction, one lease renewal.
STEP_SIZE = 10
# Tenants served per claim.
TENANTS_PER_CLAIM = 3
# A drain does not wait for an email due sooner than this (it is another drain's).
MIN_LINGER = 0.05
# How long a drain's "at work" note lasts past its last look (claims are short; a drain busy
# longer than this at worst lets the beat tick start a second one).
DRAINING_NOTE = 3.0
# A drain hands over after this long (a new task, at the back of the queue), so that other
# tasks of its worker get a turn.
DRAIN_BUDGET = 30.0
# A paused integration's emails wait for a Save or toggle (which resumes them at once) or for
# their expiry; nothing claims them meanwhile.
PAUSED_HOLD = timedelta(days=7)
LIMITER_DOWN_RETRY = timedelta(seconds=5)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with ±20 % jitter, capped."""
    base = settings.MAILER_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1)
    seconds = min(base, settings.MAILER_RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)
    return timedelta(seconds=seconds)


# --- claiming ------------------------------------------------------------------------------

# One statement (one round trip, planned once) takes a claim. Four rounds, read in order
# until the claim is full: urgent email of the tenants after the last one served, then of
# the tenants up to it (so every tenant gets its turn), then bulk email the same two ways.
# Each round skips through the claim index from tenant to tenant (one probe per tenant,
# however long its queue), and takes each tenant's oldest due emails, locked without
# waiting for other workers' locks.
_CLAIM_ROUND = """
round_{n} AS (
    (SELECT tenant_id FROM public.mailer_outboundemail
     WHERE status = 'queued' AND priority = {priority}
       AND tenant_id > {low} AND tenant_id <= {high}
     ORDER BY tenant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT o.tenant_id FROM public.mailer_outboundemail o
            WHERE o.status = 'queued' AND o.priority = {priority}
              AND o.tenant_id > t.tenant_id AND o.tenant_id <= {high}
            ORDER BY o.tenant_id LIMIT 1)
    FROM round_{n} t WHERE t.tenant_id IS NOT NULL
)"""
_PICK = """
    SELECT due.id FROM round_{n} t CROSS JOIN LATERAL (
        SELECT o.id FROM public.mailer_outboundemail o
        WHERE o.tenant_id = t.tenant_id AND o.status = 'queued'
          AND o.priority = {priority} AND o.next_attempt_at <= %(now)s
        ORDER BY o.next_attempt_at LIMIT %(per_tenant)s
        FOR UPDATE SKIP LOCKED
    ) due
    WHERE t.tenant_id IS NOT NULL"""
_ROUNDS = [
    (Priority.URGENT, "%(after)s", "%(last)s"),
    (Priority.URGENT, "-1", "%(after)s"),
    (Priority.BULK, "%(after)s", "%(last)s"),
    (Priority.BULK, "-1", "%(after)s"),
]
_CLAIM = (
    "WITH RECURSIVE"
    + ",".join(
        _CLAIM_ROUND.format(n=n, priority=int(priority), low=low, high=high)
        for n, (priority, low, high) in enumerate(_ROUNDS)
    )
    + ", picked AS (("
    + ") UNION ALL (".join(
        _PICK.format(n=n, priority=int(priority)) for n, (priority, _, _) in enumerate(_ROUNDS)
    )
    + """) LIMIT %(limit)s)
UPDATE public.mailer_outboundemail e
SET status = 'sending', lease_token = %(token)s, lease_expires_at = %(lease)s,
    claims = LEAST(e.claims + 1, 32767)
FROM picked WHERE e.id = picked.id
RETURNING {columns}
"""
)
_LAST_ID = 2**63 - 1


@dataclass
class Claim:
    token: uuid.UUID
    emails: list[OutboundEmail]

    @property
    def full(self) -> bool:
        return len(self.emails) >= STEP_SIZE


class _Cursor:
    """The last tenant this process served, so that the next claim starts after it."""

    tenant_id = 0


def email_claim(*, per_tenant: int = STEP_SIZE, tenants: int = TENANTS_PER_CLAIM) -> Claim:
    """Lease due emails: urgent ones of any tenant first, then bulk, tenants in turn."""
    token = uuid.uuid4()
    now = timezone.now()
    emails = _claimed(
        {
            "after": _Cursor.tenant_id,
            "last": _LAST_ID,
            "now": now,
            "per_tenant": per_tenant,
            "limit": per_tenant * tenants,
            "token": token,
            "lease": now + timedelta(seconds=leases.lease_seconds()),
        }
    )
    if emails:
        # The last tenant served: past the cursor, or after wrapping round to the first.
        served = {email.tenant_id for email in emails}
        wrapped = [tenant for tenant in served if tenant <= _Cursor.tenant_id]
        _Cursor.tenant_id = max(wrapped or served)
        leases.hold(token)
    emails.sort(key=lambda email: (email.priority, email.tenant_id, email.next_attempt_at))
    return Claim(token=token, emails=emails)


def _claimed(params: dict) -> list[OutboundEmail]:
    with server_cursor() as cursor:
        cursor.execute(_claim_sql(), params)
        rows = cursor.fetchall()
    return [model_from_row(OutboundEmail, row) for row in rows]


@cache
def _claim_sql() -> str:
    # The model's columns in the model's order (the table's are in the order they were added).
    return _CLAIM.replace("{columns}", model_columns(OutboundEmail, "e"))


def email_drain() -> int:
    """Deliver due emails claim after claim; returns how many were handled.

    A full claim means more may be waiting: another worker is woken to help before this one
    sends. After DRAIN_BUDGET the task hands over, so that a backlog never holds a worker.
    """
    email_wake_clear()
    handled = 0
    started = time.monotonic()
    lingering = settings.MAILER_SWEEP_SECONDS
    try:
        while time.monotonic() - started < DRAIN_BUDGET:
            # Noted for a short while, renewed at every look: a drain that dies stops
            # holding back the beat tick's wake-ups within seconds.
            email_draining(DRAINING_NOTE)
            claim = email_claim()
            if not claim.emails:
                wait = _seconds_until_next_due()
                # An email due before the next beat tick is worth waiting for here: it goes
                # out on time, and no task is spent on waking a worker for it. One due now
                # that this claim did not get is another drain's already: leave it to it.
                if wait is None or wait > lingering or wait < MIN_LINGER:
                    return handled
                email_draining(wait + DRAINING_NOTE)
                time.sleep(wait)
                continue
            if claim.full:
                email_wake()
            handled += len(email_deliver(claim))
        email_wake()
        return handled
    finally:
        email_draining_done()
        connection.set_schema_to_public()


def _seconds_until_next_due() -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(next_attempt_at) FROM public.mailer_outboundemail WHERE status = 'queued'"
        )
        (at,) = cursor.fetchone()
    if at is None:
        return None
    return max(0.0, (at - timezone.now()).total_seconds())


# --- delivering ----------------------------------------------------------------------------


def email_deliver(claim: Claim) -> list[Outcome]:
    """Send a claim's emails, one step per tenant, and record how each one ended."""
    outcomes: list[Outcome] = []
    try:
        for tenant_id, group in groupby(claim.emails, key=lambda email: email.tenant_id):
            outcomes += _deliver_step(claim, tenant_id, list(group))
    finally:
        leases.release(claim.token)
    return outcomes


def _deliver_step(claim: Claim, tenant_id: int, emails: list[OutboundEmail]) -> list[Outcome]:
    tenant = tenant_get(tenant_id)
    # A step gives back what it has not sent by then, so that a Save waits for it no longer.
    deadline = time.monotonic() + settings.MAILER_STEP_SECONDS
    health = HealthReport()
    # The claim and the outcomes name the public schema: the connection stays in the tenant's
    # until the next tenant's step (switching costs a round trip and Django's caches).
    if connection.schema_name != tenant.schema_name:
        connection.set_tenant(tenant)
    with transaction.atomic():
        config = smtp_config_for_sending()
        routes = _Routes(config, tenant, deadline, claim.token)
        outcomes = [_deliver_safely(email, routes, health) for email in emails]
        written = outcomes_finish(outcomes, token=claim.token, tenant=tenant)
    smtp_health_record(config=config, report=health)
    return written


class _Routes:
    """Routes for one step, built once from the share-locked config."""

    def __init__(self, config, tenant, deadline: float, token: uuid.UUID) -> None:
        self.config = config
        self.tenant = tenant
        self.deadline = deadline
        self._token = token
        self.paused = is_paused(config)
        self.down: dict[tuple, tuple[str, timedelta]] = {}
        self._custom: Route | SmtpError | None = None

    @property
    def lease_held(self) -> bool:
        """Whether the claim's lease was renewed lately: a worker that cannot renew stops
        sending before another could take its emails over."""
        return leases.remaining(self._token) > leases.lease_seconds() / 3

    def platform(self, *, fallback: bool = False) -> Route:
        return platform_route(tenant_name=self.tenant.display_name, fallback=fallback)

    def custom(self) -> Route:
        """The tenant's own route; SmtpError if it cannot be built (its secret is unreadable)."""
        if self._custom is None:
            try:
                self._custom = custom_route(self.config)
            except SmtpError as error:
                self._custom = error
        if isinstance(self._custom, SmtpError):
            raise self._custom
        return self._custom

    def uses_custom(self, email: OutboundEmail) -> bool:
        return not email.force_platform_default and self.config is not None and self.config.enabled

    def may_fall_back(self, email: OutboundEmail) -> bool:
        return self.config.fallback_to_platform and KINDS[email.kind].fallback_eligible


def _deliver_safely(email: OutboundEmail, routes: _Routes, health: HealthReport) -> Outcome:
    """_deliver_one, with any unexpected error recorded for this email alone."""
    try:
        return _deliver_one(email, routes, health)
    except Exception as exc:
        logger.exception("Unexpected error delivering email %s", email.pk)
        pool.close_all()  # whatever the connection's state, it is not to be trusted
        return Outcome.failed(email, reason=FailureReason.INTERNAL_ERROR, cause=type(exc).__name__)


def _deliver_one(email: OutboundEmail, routes: _Routes, health: HealthReport) -> Outcome:
    if email.expires_at <= timezone.now():
        return Outcome.failed(email, reason=FailureReason.EXPIRED, cause=email.waiting_for)
    if time.monotonic() >= routes.deadline or not routes.lease_held:
        # The step ran out of time, or the lease is in doubt: give the rest back.
        return Outcome.wait(email, WaitReason.BATCH_TIME, timedelta(0))
    if not routes.uses_custom(email):
        return _send_via(email, routes.platform(), routes, health)
    if routes.paused:
        if routes.may_fall_back(email):
            return _send_via(email, routes.platform(fallback=True), routes, health)
        return _held(email)
    try:
        route = routes.custom()
    except SmtpError as error:
        return _after_error(email, error, routes, health, route=None)
    return _send_via(email, route, routes, health)


def _held(email: OutboundEmail, *, route=None, error=None) -> Outcome:
    """Waits for a Save or its expiry, whichever comes first; nothing claims it meanwhile."""
    hold = min(PAUSED_HOLD, email.expires_at - timezone.now())
    return Outcome.wait(email, WaitReason.SMTP_PAUSED, hold, route=route, error=error)


def _send_via(email: OutboundEmail, route: Route, routes: _Routes, health: HealthReport) -> Outcome:
    if route.pool_key in routes.down:
        reason, delay = routes.down[route.pool_key]
        return Outcome.wait(email, reason, delay)
    waiting = _rate_wait(email, route)
    if waiting is not None:
        return waiting
    try:
        result = pool.send(
            route,
            _message(email, route, routes.tenant),
            deadline=routes.deadline,
            from_addr=route.from_address,
            to_addrs=[email.to_address],
        )
    except SmtpError as error:
        return _after_error(email, error, routes, health, route=route)
    if route.transport == EmailTransport.CUSTOM:
        health.success()
    return Outcome.sent(email, route, result.code, result.reply)


def _rate_wait(email: OutboundEmail, route: Route) -> Outcome | None:
    """None when the email may go now; else how it waits for its turn or, past its lifetime,
    fails."""
    if route.rate is None:
        return None
    limit, window = route.rate
    try:
        decision = rate_acquire(
            key=rate_key(connection.schema_name, route.transport),
            limit=limit,
            window_seconds=window,
            token=str(email.pk),
            max_wait=(email.expires_at - timezone.now()).total_seconds(),
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


def _message(email: OutboundEmail, route: Route, tenant):
    content = email_content(email, tenant=tenant)
    return build_message(
        from_address=route.from_address,
        from_name=route.from_name,
        reply_to=route.reply_to,
        to=email.to_address,
        subject=content.subject,
        text=content.text,
        html=content.html or None,
        message_id=email.message_id,
        headers={"Auto-Submitted": "auto-generated"},
    )


# --- deciding ------------------------------------------------------------------------------


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
    route_down: bool = False  # the server is unreachable: the step's other emails wait too


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
        return Decision(action, reason=WaitReason.SMTP_PAUSED, pauses=True)
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
    email: OutboundEmail,
    error: SmtpError,
    routes: _Routes,
    health: HealthReport,
    *,
    route: Route | None,
) -> Outcome:
    """``route`` None: the tenant's own route could not even be built."""
    custom = route is None or route.transport == EmailTransport.CUSTOM
    if route is not None:
        pool.discard(route)
        email.attempts += 1
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
    if decision.route_down and route is not None:
        routes.down[route.pool_key] = (decision.reason, decision.delay)
    if decision.action == Action.FALL_BACK:
        return _send_via(email, routes.platform(fallback=True), routes, health)
    if decision.action == Action.PAUSE:
        return _held(email, route=route, error=error)
    if decision.action == Action.FAIL:
        return Outcome.failed(
            email, route=route, reason=decision.reason, cause=decision.cause, error=error
        )
    return Outcome.wait(email, decision.reason, decision.delay, route=route, error=error)
