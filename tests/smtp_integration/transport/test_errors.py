"""The transport's errors: replies classified as transient or permanent with a reason, and
policy refusals always permanent."""

import ipaddress

import pytest

from smtp_integration.transport import (
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PermanentSmtpError,
    PolicyError,
    PortNotAllowed,
    SmtpTimeout,
    TransientSmtpError,
)
from smtp_integration.transport.errors import classify_reply

P, T = PermanentSmtpError, TransientSmtpError


@pytest.mark.parametrize(
    ("step", "code", "reply", "error_type", "reason"),
    [
        ("connect", 421, "4.7.0 Too many connections", T, "rate_limited"),
        ("connect", 554, "5.7.1 No SMTP service here", P, "connection_rejected"),
        ("tls", 454, "4.7.0 TLS not available", T, "temporary_failure"),
        ("tls", 502, "5.5.1 Not implemented", P, "starttls_unavailable"),
        ("auth", 535, "5.7.8 Authentication credentials invalid", P, "auth_failed"),
        ("auth", 534, "5.7.9 Please log in with your web browser", P, "auth_failed"),
        ("auth", 454, "4.7.0 Temporary authentication failure", T, "temporary_failure"),
        ("mail_from", 530, "5.7.0 Authentication required", P, "auth_required"),
        ("mail_from", 550, "5.7.1 Sender not verified", P, "sender_rejected"),
        ("mail_from", 553, "5.7.1 Sender address rejected", P, "sender_rejected"),
        ("mail_from", 554, "5.7.1 Account disabled", P, "sender_rejected"),
        ("mail_from", 421, "4.7.0 Rate limit exceeded", T, "rate_limited"),
        ("mail_from", 451, "4.3.0 Try again later", T, "rate_limited"),
        ("rcpt", 450, "4.2.1 Mailbox busy", T, "rate_limited"),
        ("rcpt", 452, "4.5.3 Too many recipients", T, "rate_limited"),
        ("rcpt", 550, "5.1.1 User unknown", P, "recipient_rejected"),
        ("rcpt", 554, "5.7.1 Relay access denied", P, "relay_denied"),
        (
            "data",
            550,
            "The from address does not match a verified Sender Identity",
            P,
            "sender_rejected",
        ),
        ("data", 554, "Message rejected: Email address is not verified.", P, "sender_rejected"),
        ("data", 554, "5.7.1 Spam content detected", P, "message_rejected"),
        ("data", 421, "4.4.2 Connection dropped", T, "rate_limited"),
        ("data", 471, "4.7.1 Local error", T, "temporary_failure"),
        ("ehlo", 501, "5.5.4 Invalid domain", P, "rejected"),
        ("data", 354, "Go ahead", P, "protocol_error"),
    ],
)
def test_classify_reply(step, code, reply, error_type, reason):
    classified = classify_reply(step, code, reply)

    assert type(classified) is error_type
    assert (classified.step, classified.code, classified.reply) == (step, code, reply)
    assert classified.reason == reason
    assert classified.permanent is (error_type is PermanentSmtpError)


def test_classified_errors_keep_the_reply_for_logs():
    classified = classify_reply("mail_from", 550, "5.7.1 Sender not verified")
    assert str(classified) == "mail_from: the server replied 550 5.7.1 Sender not verified"
    assert (
        repr(classified)
        == "PermanentSmtpError(reason='sender_rejected', step='mail_from', code=550)"
    )


def test_timeouts_are_transient():
    assert isinstance(SmtpTimeout(), TransientSmtpError)
    assert SmtpTimeout().reason == "timeout"
    assert not SmtpTimeout().permanent


def test_policy_errors_are_permanent():
    for error in (
        HostBlocked("h", ipaddress.ip_address("10.0.0.1"), "a private address"),
        HostUnresolvable("h"),
        PortNotAllowed(1, {25}),
        InvalidHost("x y"),
    ):
        assert isinstance(error, PolicyError)
        assert isinstance(error, PermanentSmtpError)
        assert error.permanent
