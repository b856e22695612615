"""The probe behind Test connection: every step reported, and the password never in a result."""

import base64

import pytest

from smtp_integration.diagnostics import explain
from smtp_integration.transport import HostBlocked, Step
from tests.smtp_integration.transport.helpers import Endpoint, run_probe
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME


def test_probe_reports_every_step(starttls_server, smtp_policy, server_config, sample_message):
    result = run_probe(
        server_config(starttls_server),
        smtp_policy(starttls_server),
        sample_message,
    )

    assert result.ok
    assert result.error is None
    assert [step.name for step in result.steps] == [s for s in Step if s != Step.TOKEN]
    assert all(step.ok for step in result.steps)
    assert result.sent.code == 250


def test_probe_marks_steps_after_a_failure_skipped(
    starttls_server, smtp_policy, server_config, sample_message
):
    result = run_probe(
        server_config(starttls_server, password="wrong"),
        smtp_policy(starttls_server),
        sample_message,
    )

    assert not result.ok
    assert result.error.reason == "auth_failed"
    assert result.failed_step.name == "auth"
    assert [(step.name, step.ok) for step in result.steps] == [
        ("resolve", True),
        ("connect", True),
        ("tls", True),
        ("ehlo", True),
        ("auth", False),
        ("mail_from", None),
        ("rcpt", None),
        ("data", None),
        ("quit", True),
    ]
    assert explain(result.error).startswith("Authentication failed (535 5.7.8")


def test_probe_does_not_raise_for_a_blocked_host(
    smtp_policy, server_config, sample_message, no_connections
):
    result = run_probe(
        server_config(Endpoint(587), host="10.0.0.5"),
        smtp_policy(Endpoint(587), allowed_networks=()),
        sample_message,
    )

    assert not result.ok
    assert isinstance(result.error, HostBlocked)
    assert [step.ok for step in result.steps] == [False] + [None] * (len(Step) - 2)
    assert explain(result.error).startswith("10.0.0.5 is a private address; ask your operator")


# --- the password never leaks ------------------------------------------------------------------


def test_password_is_not_in_the_config_repr(server_config):
    config = server_config(Endpoint(587))
    assert SMTP_PASSWORD not in repr(config)
    assert SMTP_PASSWORD not in str(config)


@pytest.mark.parametrize(
    "scenario", ["auth_failed", "auth_echo", "sender_rejected", "tls_mismatch", "blocked"]
)
def test_password_never_appears_in_errors_or_results(
    scenario, starttls_server, smtp_policy, server_config, sample_message
):
    policy = smtp_policy(starttls_server)
    config = server_config(starttls_server)
    token = base64.b64encode(f"\0{SMTP_USERNAME}\0{SMTP_PASSWORD}".encode()).decode()
    if scenario == "auth_failed":
        config = server_config(starttls_server, password=SMTP_PASSWORD + "x")
    elif scenario == "auth_echo":
        # A careless server that repeats what it was sent.
        starttls_server.fail_at("auth", f"535 Bad credentials {SMTP_PASSWORD} {token}")
    elif scenario == "sender_rejected":
        starttls_server.fail_at("mail_from", "550 5.7.1 Not verified")
    elif scenario == "tls_mismatch":
        config = server_config(starttls_server, tls_mode="tls")
    else:
        policy = smtp_policy(starttls_server, allowed_networks=())

    result = run_probe(config, policy, sample_message)

    assert not result.ok
    texts = [str(result.error), repr(result.error), repr(result), explain(result.error)]
    texts += [f"{step.reply} {step.facts}" for step in result.steps]
    for text in texts:
        assert SMTP_PASSWORD not in text
        assert token not in text
    if scenario == "auth_echo":
        assert result.error.reply == "Bad credentials ******** ********"
