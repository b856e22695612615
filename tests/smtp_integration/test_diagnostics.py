"""Reply classification and the messages the admin reads: specific, actionable, secret-free."""

import ipaddress

import pytest

from smtp_integration.diagnostics import explain
from smtp_integration.transport import (
    BlockedCategory,
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PermanentSmtpError,
    PortNotAllowed,
    SmtpError,
    SmtpTimeout,
    TransientSmtpError,
)
from smtp_integration.transport.errors import PlaintextNotAllowed, classify_reply

P, T = PermanentSmtpError, TransientSmtpError


def error(reason, *, permanent=True, **attributes) -> SmtpError:
    kind = PermanentSmtpError if permanent else TransientSmtpError
    attributes = {"host": "smtp.example.com", "port": 587, "tls_mode": "starttls"} | attributes
    return kind(reason=reason, **attributes)


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


def test_host_blocked():
    blocked = HostBlocked(
        "smtp.example.com", ipaddress.ip_address("10.0.0.5"), BlockedCategory.PRIVATE
    )
    assert explain(blocked) == (
        "smtp.example.com resolves to 10.0.0.5, a private address; ask your operator to allow "
        "this network if the server really is there"
    )


def test_port_not_allowed():
    assert explain(PortNotAllowed(2526, {25, 465, 587, 2525})) == (
        "Port 2526 is not allowed here; use one of 25, 465, 587, 2525 "
        "(587 with STARTTLS is the usual choice)"
    )


def test_invalid_host():
    assert explain(InvalidHost("smtp example.com")).startswith(
        "'smtp example.com' is not a valid host name or IP address: enter a host name such as"
    )


def test_unresolvable():
    assert explain(HostUnresolvable("smtp.exmaple.com")).startswith(
        "smtp.exmaple.com does not resolve: check the spelling"
    )


def test_plaintext_not_allowed():
    assert explain(PlaintextNotAllowed("smtp.example.com", 25)).startswith(
        "Unencrypted SMTP is not allowed on this platform: choose STARTTLS"
    )


def test_starttls_against_an_implicit_tls_port():
    mismatch = error("tls_mismatch", port=465, tls_mode="starttls")
    assert explain(mismatch) == (
        "Port 465 expects TLS from the first byte; choose TLS, or use port 587 with STARTTLS"
    )


def test_implicit_tls_against_a_starttls_port():
    mismatch = error("tls_mismatch", port=587, tls_mode="tls")
    assert explain(mismatch).startswith(
        "The server on port 587 speaks plain SMTP first; choose STARTTLS, not TLS"
    )


def test_certificate_not_trusted():
    untrusted = error("certificate_invalid", detail="self-signed certificate")
    assert explain(untrusted).startswith(
        "The server's certificate could not be verified (self-signed certificate): "
    )


def test_certificate_for_another_name():
    detail = "Hostname mismatch, certificate is not valid for 'smtp.example.com'."
    assert explain(error("certificate_invalid", detail=detail)).startswith(
        "The server's certificate is not valid for smtp.example.com (Hostname mismatch"
    )


def test_starttls_unavailable():
    assert explain(error("starttls_unavailable")).startswith(
        "The server on port 587 does not offer STARTTLS, so the password would travel unencrypted"
    )


@pytest.mark.parametrize(
    ("host", "hint"),
    [
        ("smtp.sendgrid.net", "for SendGrid the username is the literal word apikey"),
        ("email-smtp.eu-west-1.amazonaws.com", "SMTP credentials, not your AWS access keys"),
        ("smtp.office365.com", "SMTP AUTH enabled for the mailbox"),
        ("smtp.gmail.com", "an app password"),
    ],
)
def test_auth_failed_names_the_usual_mistake(host, hint):
    failed = classify_reply("auth", 535, "5.7.8 Authentication credentials invalid")
    failed.host = host
    message = explain(failed)
    assert message.startswith(
        "Authentication failed (535 5.7.8 Authentication credentials invalid): check the "
        "username and password; "
    )
    assert hint in message


def test_sender_rejected_names_the_address_to_verify():
    rejected = classify_reply("mail_from", 550, "5.7.1 Sender not verified")
    rejected.mailbox = "noreply@example.com"
    assert explain(rejected) == (
        "The provider refused the From address (550 5.7.1 Sender not verified): verify "
        "noreply@example.com (or its domain) with your provider"
    )


def test_rate_limited():
    assert explain(classify_reply("mail_from", 421, "4.7.0 Try again later")) == (
        "The provider is rate-limiting (421 4.7.0 Try again later): wait and try again, "
        "or raise your plan's limit"
    )


def test_connection_refused():
    refused = error("connection_refused", permanent=False, port=2525)
    assert explain(refused).startswith("Nothing is listening on smtp.example.com:2525: check")


def test_timeout_while_connecting():
    timeout = SmtpTimeout(step="connect", host="smtp.example.com", port=587)
    assert explain(timeout).startswith("smtp.example.com:587 did not answer in time")


def test_timeout_later_in_the_session():
    assert explain(SmtpTimeout(step="data")) == (
        "The server stopped answering during DATA: try again later"
    )


def test_long_replies_are_shortened():
    classified = classify_reply("rcpt", 550, "5.1.1 " + "x" * 500)
    assert len(explain(classified)) < 260


@pytest.mark.parametrize(
    "reason",
    [
        "dns_unavailable",
        "unreachable",
        "tls_failed",
        "auth_unavailable",
        "auth_required",
        "recipient_rejected",
        "relay_denied",
        "message_rejected",
        "temporary_failure",
        "connection_lost",
        "connection_rejected",
    ],
)
def test_every_reason_has_its_own_message(reason):
    failure = error(reason, code=550, reply="5.0.0 No", step="rcpt", mailbox="a@example.com")
    assert explain(failure) != str(failure)


def test_reasons_without_advice_name_the_reason_the_step_and_the_reply():
    assert explain(error("protocol_error", step="data", code=500, reply="5.5.2 Huh?")) == (
        "Unexpected reply during DATA (500 5.5.2 Huh?)"
    )
