"""What the mailer does after a failed send: pure decisions, tested in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailer.delivery import Action, retry_decision
from smtp_integration.transport import PermanentSmtpError, SmtpTimeout, TransientSmtpError

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BACKOFF = timedelta(seconds=30)


def decide(error, **overrides):
    options = {
        "custom": True,
        "may_fall_back": False,
        "attempts": 1,
        "max_attempts": 8,
        "now": NOW,
        "expires_at": NOW + timedelta(hours=1),
        "delay": BACKOFF,
    } | overrides
    return retry_decision(error, **options)


def refused_password():
    return PermanentSmtpError(step="auth", code=535, reason="auth_failed")


def test_a_refused_password_pauses_the_tenants_smtp_and_holds_the_email():
    decision = decide(refused_password())

    assert decision.action == Action.PAUSE
    assert decision.pauses
    assert decision.reason == "smtp_paused"


def test_a_refused_password_sends_sign_in_emails_through_the_platform_when_allowed():
    decision = decide(refused_password(), may_fall_back=True)

    assert decision.action == Action.FALL_BACK
    assert decision.pauses  # the integration still pauses for every other email


def test_the_platform_default_never_pauses_on_a_refused_password():
    decision = decide(refused_password(), custom=False)

    assert decision.action == Action.FAIL
    assert not decision.pauses
    assert decision.reason == "auth_failed"


def test_a_rejected_recipient_fails_at_once_without_pausing():
    error = PermanentSmtpError(step="rcpt", code=550, reason="recipient_rejected")

    decision = decide(error, attempts=1)

    assert (decision.action, decision.reason, decision.pauses) == (
        Action.FAIL,
        "recipient_rejected",
        False,
    )


def test_a_temporary_failure_retries_after_the_backoff():
    error = TransientSmtpError(step="rcpt", code=451, reason="temporary_failure")

    decision = decide(error)

    assert (decision.action, decision.reason, decision.delay) == (
        Action.RETRY,
        "temporary_failure",
        BACKOFF,
    )
    assert not decision.route_down  # the server answers: other emails may still go


def test_an_unreachable_server_holds_the_rest_of_the_batch_too():
    decision = decide(SmtpTimeout(step="connect"))

    assert decision.action == Action.RETRY
    assert decision.route_down


def test_a_temporary_failure_falls_back_when_the_kind_may():
    error = TransientSmtpError(step="data", code=451, reason="temporary_failure")

    assert decide(error, may_fall_back=True).action == Action.FALL_BACK


def test_the_last_attempt_fails_with_the_servers_reason():
    error = TransientSmtpError(step="rcpt", code=451, reason="temporary_failure")

    decision = decide(error, attempts=8, max_attempts=8)

    assert (decision.action, decision.reason) == (Action.FAIL, "temporary_failure")


@pytest.mark.parametrize(
    ("left", "action"),
    [(timedelta(seconds=29), Action.FAIL), (timedelta(seconds=31), Action.RETRY)],
)
def test_a_retry_that_would_come_after_expiry_fails_as_expired(left, action):
    error = TransientSmtpError(step="rcpt", code=451, reason="temporary_failure")

    decision = decide(error, expires_at=NOW + left)

    assert decision.action == action
    if action == Action.FAIL:
        assert (decision.reason, decision.cause) == ("expired", "temporary_failure")
