"""The messages the admin reads about an SMTP error: specific, actionable, secret-free."""

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


def error(reason, *, permanent=True, **attributes) -> SmtpError:
    kind = PermanentSmtpError if permanent else TransientSmtpError
    attributes = {"host": "smtp.example.com", "port": 587, "tls_mode": "starttls"} | attributes
    return kind(reason=reason, **attributes)


def test_a_blocked_name_reads_like_a_name_that_does_not_resolve():
    blocked = HostBlocked("db", ipaddress.ip_address("10.0.0.5"), BlockedCategory.PRIVATE)
    expected = (
        "db does not resolve to an address the platform may connect to: check the spelling, "
        "wait for a new DNS record to propagate, or, for your own relay on a private network, "
        "ask your operator to allow that network"
    )
    assert explain(blocked) == explain(HostUnresolvable("db")) == expected


def test_a_blocked_address_says_what_kind_it_is():
    address = ipaddress.ip_address("10.0.0.5")
    blocked = HostBlocked("10.0.0.5", address, BlockedCategory.PRIVATE, literal=True)
    assert explain(blocked) == (
        "10.0.0.5 is a private address; ask your operator to allow this network if the "
        "server really is there"
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
        "smtp.exmaple.com does not resolve to an address the platform may connect to: check "
        "the spelling"
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


@pytest.mark.parametrize("host", ["mail.acme.test", "smtp.mailersend.net", "10.0.0.5"])
def test_auth_failed_on_another_server_names_no_other_providers_convention(host):
    failed = classify_reply("auth", 535, "5.7.8 Authentication credentials invalid")
    failed.host = host
    message = explain(failed)
    assert "check the username and password" in message
    assert "apikey" not in message and "SendGrid" not in message


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
