"""Test connection's steps in words: what each step found, or why it failed or did not run."""

from __future__ import annotations

import pytest

from smtp_integration.diagnostics import step_detail
from smtp_integration.transport import Reason, Skipped, Step, StepResult


@pytest.mark.parametrize(
    ("name", "facts", "detail"),
    [
        (
            Step.RESOLVE,
            {"host": "smtp.example.com", "ip_literal": False, "addresses": ["192.0.2.1", "::1"]},
            "smtp.example.com resolves to 192.0.2.1, ::1",
        ),
        (
            Step.RESOLVE,
            {"host": "192.0.2.1", "ip_literal": True, "addresses": ["192.0.2.1"]},
            "192.0.2.1 is an IP address: no lookup needed",
        ),
        (Step.CONNECT, {"address": "[::1]:587"}, "Connected to [::1]:587"),
        (
            Step.TLS,
            {"version": "TLS 1.3", "server_name": "smtp.example.com"},
            "TLS 1.3, certificate for smtp.example.com verified",
        ),
        (
            Step.EHLO,
            {"features": ["AUTH PLAIN LOGIN", "SIZE"]},
            "Server offers: AUTH PLAIN LOGIN, SIZE",
        ),
        (Step.EHLO, {"features": []}, "Server offers: no extensions"),
        (
            Step.AUTH,
            {"username": "apikey", "mechanism": "PLAIN"},
            "Authenticated as apikey with PLAIN",
        ),
        (Step.MAIL_FROM, {"address": "a@example.com"}, "Sender <a@example.com> accepted"),
        (Step.RCPT, {"address": "b@example.com"}, "Recipient <b@example.com> accepted"),
        (Step.DATA, {"bytes": 1234}, "Message accepted (1234 bytes)"),
        (Step.QUIT, {}, "Session closed"),
    ],
)
def test_a_step_that_ran_says_what_it_found(name, facts, detail):
    assert step_detail(StepResult(name, True, facts=facts)) == detail


def test_a_failed_step_names_what_went_wrong():
    failed = StepResult(Step.AUTH, False, 535, "5.7.8 Bad credentials", reason=Reason.AUTH_FAILED)

    assert step_detail(failed) == "Authentication failed"


@pytest.mark.parametrize(
    ("why", "detail"),
    [
        (Skipped.EARLIER_FAILURE, "Not run: an earlier step failed"),
        (Skipped.NO_USERNAME, "No username: sending without authentication"),
        (Skipped.PLAINTEXT, "Plaintext SMTP, allowed by the platform's settings"),
    ],
)
def test_a_skipped_step_says_why(why, detail):
    assert step_detail(StepResult(Step.TLS, None, skipped=why)) == detail
