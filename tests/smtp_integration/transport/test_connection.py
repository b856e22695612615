"""The transport against real SMTP servers on loopback: TLS, AUTH, certificates, replies, and
the policy checked before connecting."""

import socket
import time

import pytest

from smtp_integration.transport import (
    HostBlocked,
    PermanentSmtpError,
    PortNotAllowed,
    SmtpConnection,
    SmtpError,
    Step,
    TransientSmtpError,
)
from smtp_integration.transport.errors import PlaintextNotAllowed
from tests.smtp_integration.transport.helpers import FROM, TO, Endpoint, open_error
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME, free_port

P, T = PermanentSmtpError, TransientSmtpError


def send(config, policy, message, **kwargs):
    with SmtpConnection(config, policy, **kwargs) as connection:
        return connection.send(message, from_addr=FROM, to_addrs=[TO])


def send_error(config, policy, message) -> SmtpError:
    with pytest.raises(SmtpError) as caught:
        send(config, policy, message)
    return caught.value


# --- success -----------------------------------------------------------------------------------


def test_starttls_with_auth_delivers_the_message(
    starttls_server, smtp_policy, server_config, sample_message
):
    result = send(server_config(starttls_server), smtp_policy(starttls_server), sample_message)

    assert result.code == 250
    assert result.message_id == "<test-1@example.com>"
    [received] = starttls_server.messages
    assert (received.mail_from, received.rcpt_tos) == (FROM, [TO])
    assert received.message["Subject"] == "Test connection"
    assert received.message["From"] == "Cymmetri <noreply@example.com>"
    assert received.message["Message-ID"] == "<test-1@example.com>"
    assert received.message.get_content() == "Hello from the SMTP tests.\n"
    assert starttls_server.commands == [
        "EHLO",
        "STARTTLS",
        "EHLO",
        "AUTH",
        "MAIL",
        "RCPT",
        "DATA",
        "QUIT",
    ]
    [attempt] = starttls_server.auth_attempts
    assert (attempt.mechanism, attempt.username, attempt.success) == ("PLAIN", SMTP_USERNAME, True)


def test_steps_are_recorded_in_order(starttls_server, smtp_policy, server_config, sample_message):
    connection = SmtpConnection(server_config(starttls_server), smtp_policy(starttls_server))
    with connection:
        connection.send(sample_message, from_addr=FROM, to_addrs=[TO])

    assert [step.name for step in connection.steps] == [s for s in Step if s != Step.TOKEN]
    assert all(step.ok for step in connection.steps)
    by_name = {step.name: step for step in connection.steps}
    assert by_name["resolve"].facts == {
        "host": "localhost",
        "ip_literal": False,
        "addresses": ["127.0.0.1"],
    }
    assert by_name["connect"].facts == {"address": f"127.0.0.1:{starttls_server.port}"}
    assert by_name["tls"].facts == {"version": "TLS 1.3", "server_name": "localhost"}
    assert "AUTH LOGIN PLAIN" in by_name["ehlo"].facts["features"]
    assert by_name["auth"].facts == {"username": SMTP_USERNAME, "mechanism": "PLAIN"}
    assert (by_name["data"].code, by_name["data"].reply) == (250, "2.0.0 OK: queued as 1")


def test_implicit_tls_delivers(tls_server, smtp_policy, server_config, sample_message):
    result = send(server_config(tls_server), smtp_policy(tls_server), sample_message)

    assert result.code == 250
    assert len(tls_server.messages) == 1
    assert tls_server.commands[:2] == ["EHLO", "AUTH"]


def test_login_is_used_when_plain_is_not_offered(
    smtp_server_factory, smtp_policy, server_config, sample_message
):
    server = smtp_server_factory(auth={SMTP_USERNAME: SMTP_PASSWORD}, auth_mechanisms=("LOGIN",))
    send(server_config(server), smtp_policy(server), sample_message)

    [attempt] = server.auth_attempts
    assert (attempt.mechanism, attempt.password, attempt.success) == ("LOGIN", SMTP_PASSWORD, True)


def test_no_username_means_no_auth(smtp_server_factory, smtp_policy, server_config, sample_message):
    server = smtp_server_factory()
    connection = SmtpConnection(
        server_config(server, username="", password=""), smtp_policy(server)
    )
    with connection:
        connection.send(sample_message, from_addr=FROM, to_addrs=[TO])

    assert "AUTH" not in server.commands
    auth = next(step for step in connection.steps if step.name == "auth")
    assert auth.ok is None


def test_one_connection_carries_many_messages(
    starttls_server, smtp_policy, server_config, sample_message
):
    with SmtpConnection(server_config(starttls_server), smtp_policy(starttls_server)) as connection:
        for _ in range(3):
            connection.send(sample_message, from_addr=FROM, to_addrs=[TO])
        assert connection.noop()
        # Steps stay bounded: open() plus the latest send.
        assert [step.name for step in connection.steps].count("data") == 1

    assert len(starttls_server.messages) == 3
    assert starttls_server.connections == 1
    assert not connection.noop()


def test_noop_is_false_when_the_server_went_away(smtp_server_factory, smtp_policy, server_config):
    server = smtp_server_factory(auth={SMTP_USERNAME: SMTP_PASSWORD})
    connection = SmtpConnection(server_config(server), smtp_policy(server)).open()
    server.stop()

    assert connection.noop() is False
    connection.close()


def test_a_non_ascii_message_is_sent_as_8bitmime(
    starttls_server, smtp_policy, server_config, sample_message
):
    sample_message.set_content("Grüße aus Köln\n", cte="8bit")
    send(server_config(starttls_server), smtp_policy(starttls_server), sample_message)

    assert starttls_server.messages[0].message.get_content() == "Grüße aus Köln\n"


# --- TLS mode mismatches -----------------------------------------------------------------------


def test_starttls_against_implicit_tls_is_a_quick_tls_mismatch(
    tls_server, smtp_policy, server_config
):
    policy = smtp_policy(tls_server, command_timeout=0.5)
    started = time.monotonic()
    error = open_error(server_config(tls_server, tls_mode="starttls"), policy)

    assert time.monotonic() - started < 1.5
    assert (error.reason, error.step, error.permanent) == ("tls_mismatch", "connect", True)
    assert tls_server.auth_attempts == []


def test_implicit_tls_against_a_plain_first_server_is_a_tls_mismatch(
    starttls_server, smtp_policy, server_config
):
    started = time.monotonic()
    error = open_error(server_config(starttls_server, tls_mode="tls"), smtp_policy(starttls_server))

    assert time.monotonic() - started < 0.5
    assert (error.reason, error.step, error.permanent) == ("tls_mismatch", "tls", True)


def test_starttls_not_offered_is_refused_without_sending_auth(
    smtp_server_factory, smtp_policy, server_config
):
    server = smtp_server_factory(auth={SMTP_USERNAME: SMTP_PASSWORD}, offer_starttls=False)
    error = open_error(server_config(server), smtp_policy(server))

    assert (error.reason, error.step, error.permanent) == ("starttls_unavailable", "tls", True)
    assert "AUTH" not in server.commands
    assert server.auth_attempts == []


def test_plaintext_is_refused_unless_the_policy_allows_it(
    smtp_server_factory, smtp_policy, server_config, sample_message
):
    server = smtp_server_factory("plain", auth={SMTP_USERNAME: SMTP_PASSWORD})
    config = server_config(server, tls_mode="none")

    error = open_error(config, smtp_policy(server))
    assert isinstance(error, PlaintextNotAllowed)
    assert error.reason == "plaintext_not_allowed"
    assert server.connections == 0

    send(config, smtp_policy(server, allow_plaintext=True), sample_message)
    assert len(server.messages) == 1
    assert server.auth_attempts[0].success


# --- certificates ------------------------------------------------------------------------------


def test_self_signed_certificate_is_refused(
    smtp_server_factory, smtp_policy, server_config, smtp_certs
):
    server = smtp_server_factory(auth={SMTP_USERNAME: SMTP_PASSWORD}, cert=smtp_certs.self_signed)
    for ca_file in (None, str(smtp_certs.ca_file)):
        error = open_error(server_config(server), smtp_policy(server, ca_file=ca_file))
        assert (error.reason, error.step, error.permanent) == ("certificate_invalid", "tls", True)
        assert error.detail == "self-signed certificate"
    assert server.auth_attempts == []


def test_self_signed_certificate_is_accepted_when_it_is_the_ca_file(
    smtp_server_factory, smtp_policy, server_config, smtp_certs, sample_message
):
    server = smtp_server_factory(auth={SMTP_USERNAME: SMTP_PASSWORD}, cert=smtp_certs.self_signed)
    policy = smtp_policy(server, ca_file=str(smtp_certs.self_signed.cert_file))
    assert send(server_config(server), policy, sample_message).code == 250


def test_ca_signed_certificate_needs_the_ca_file(
    starttls_server, smtp_policy, server_config, sample_message
):
    error = open_error(server_config(starttls_server), smtp_policy(starttls_server, ca_file=None))
    assert error.reason == "certificate_invalid"
    assert error.detail == "unable to get local issuer certificate"

    assert send(server_config(starttls_server), smtp_policy(starttls_server), sample_message)


def test_certificate_for_another_name_is_refused(
    smtp_server_factory, smtp_policy, server_config, smtp_certs
):
    server = smtp_server_factory(
        "tls", auth={SMTP_USERNAME: SMTP_PASSWORD}, cert=smtp_certs.wrong_name
    )
    error = open_error(server_config(server), smtp_policy(server))

    assert error.reason == "certificate_invalid"
    assert "Hostname mismatch" in error.detail
    assert server.auth_attempts == []


def test_an_ip_literal_host_is_verified_against_the_ip(
    tls_server, smtp_policy, server_config, sample_message
):
    assert send(
        server_config(tls_server, host="127.0.0.1"), smtp_policy(tls_server), sample_message
    )


def test_connects_to_the_checked_address_and_verifies_the_name(
    tls_server, smtp_policy, server_config, sample_message, monkeypatch
):
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "smtp.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        # 127.0.0.2 refuses (the server listens on 127.0.0.1): the next address is tried.
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ("127.0.0.2", "127.0.0.1")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    connection = SmtpConnection(
        server_config(tls_server, host="smtp.test"), smtp_policy(tls_server)
    )
    with connection:
        connection.send(sample_message, from_addr=FROM, to_addrs=[TO])

    assert lookups == ["smtp.test"]  # resolved once, never again at connect time
    tls = next(step for step in connection.steps if step.name == "tls")
    assert tls.facts == {"version": "TLS 1.3", "server_name": "smtp.test"}


# --- replies -----------------------------------------------------------------------------------


def test_wrong_password_fails_after_exactly_one_attempt(
    starttls_server, smtp_policy, server_config
):
    error = open_error(
        server_config(starttls_server, password="wrong"), smtp_policy(starttls_server)
    )

    assert (error.reason, error.step, error.code, error.permanent) == (
        "auth_failed",
        "auth",
        535,
        True,
    )
    assert len(starttls_server.auth_attempts) == 1
    assert starttls_server.commands.count("AUTH") == 1
    assert starttls_server.commands[-1] == "QUIT"  # a refused login still ends politely


def test_sender_rejected_at_mail_from_is_permanent_and_the_session_survives(
    starttls_server, smtp_policy, server_config, sample_message
):
    starttls_server.fail_at("mail_from", "550 5.7.1 Sender address not verified", times=1)
    with SmtpConnection(server_config(starttls_server), smtp_policy(starttls_server)) as connection:
        with pytest.raises(PermanentSmtpError) as caught:
            connection.send(sample_message, from_addr=FROM, to_addrs=[TO])
        # The refused email was RSET away: the same session sends the next one.
        assert connection.send(sample_message, from_addr=FROM, to_addrs=[TO]).code == 250

    error = caught.value
    assert (error.reason, error.step, error.code, error.mailbox) == (
        "sender_rejected",
        "mail_from",
        550,
        FROM,
    )
    assert error.reply == "5.7.1 Sender address not verified"
    assert "RSET" in starttls_server.commands


@pytest.mark.parametrize(
    ("step", "reply", "error_type", "reason"),
    [
        ("mail_from", "553 5.1.8 Domain of sender address does not exist", P, "sender_rejected"),
        ("mail_from", "421 4.7.0 Too many messages, slow down", T, "rate_limited"),
        ("rcpt", "450 4.2.1 Mailbox busy, try later", T, "rate_limited"),
        ("rcpt", "550 5.1.1 User unknown", P, "recipient_rejected"),
        (
            "data",
            "554 5.7.1 Message rejected: Email address is not verified.",
            P,
            "sender_rejected",
        ),
        ("data", "554 5.7.1 Message content rejected as spam", P, "message_rejected"),
        ("data", "421 4.3.2 Service shutting down", T, "rate_limited"),
        ("data", "451 4.3.0 Temporary local problem", T, "rate_limited"),
    ],
)
def test_refusals_are_classified(
    starttls_server, smtp_policy, server_config, sample_message, step, reply, error_type, reason
):
    starttls_server.fail_at(step, reply)
    error = send_error(server_config(starttls_server), smtp_policy(starttls_server), sample_message)

    assert type(error) is error_type
    assert (error.step, error.code, error.reason) == (step, int(reply[:3]), reason)
    assert starttls_server.messages == []


def test_421_greeting_is_transient_and_the_next_connection_works(
    starttls_server, smtp_policy, server_config, sample_message
):
    starttls_server.fail_at("greeting", "421 4.7.0 Too many connections, try later", times=1)
    config, policy = server_config(starttls_server), smtp_policy(starttls_server)

    error = open_error(config, policy)
    assert (type(error), error.reason, error.step, error.code) == (
        TransientSmtpError,
        "rate_limited",
        "connect",
        421,
    )
    assert send(config, policy, sample_message).code == 250
    assert starttls_server.connections == 2


def test_connection_refused(smtp_policy, server_config):
    closed = Endpoint(free_port())
    error = open_error(server_config(closed), smtp_policy(closed))

    assert (type(error), error.reason, error.step) == (
        TransientSmtpError,
        "connection_refused",
        "connect",
    )


# --- policy, before any connection -------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "10.0.0.5",
        "192.168.1.1",
        "[::1]",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "localhost",
    ],
)
def test_blocked_hosts_are_refused_before_connecting(
    host, smtp_policy, server_config, starttls_server, no_connections
):
    policy = smtp_policy(starttls_server, allowed_networks=())
    connection = SmtpConnection(server_config(starttls_server, host=host), policy)
    with pytest.raises(HostBlocked) as caught:
        connection.open()

    assert caught.value.step == "resolve"
    assert [(step.name, step.ok) for step in connection.steps] == [("resolve", False)]
    assert starttls_server.connections == 0


def test_port_outside_the_policy_is_refused_before_connecting(
    starttls_server, smtp_policy, server_config, no_connections
):
    policy = smtp_policy(starttls_server, allowed_ports=frozenset({587}))
    error = open_error(server_config(starttls_server), policy)

    assert isinstance(error, PortNotAllowed)
    assert starttls_server.connections == 0


# --- errors say where they happened; a slow greeting is waited for -----------------------------


def test_errors_carry_where_they_happened(starttls_server, smtp_policy, server_config):
    error = open_error(
        server_config(starttls_server, password="wrong"), smtp_policy(starttls_server)
    )

    assert (error.host, error.port, error.tls_mode) == (
        "localhost",
        starttls_server.port,
        "starttls",
    )


class SlowGreeter:
    """A plain SMTP server that greets only after ``delay`` seconds, like a busy MTA."""

    def __init__(self, delay: float):
        import threading

        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = "plain"
        self.sessions_greeted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with conn:
            time.sleep(self.delay)
            try:
                conn.sendall(b"220 slow.test ESMTP\r\n")
                self.sessions_greeted += 1
                for line in conn.makefile("rb"):
                    if line.upper().startswith(b"QUIT"):
                        conn.sendall(b"221 bye\r\n")
                        return
                    conn.sendall(b"250 slow.test\r\n")
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()


def test_a_slow_greeting_is_not_mistaken_for_implicit_tls(smtp_policy, server_config):
    server = SlowGreeter(delay=2.5)
    try:
        policy = smtp_policy(server, allow_plaintext=True, command_timeout=5.0)
        config = server_config(server, tls_mode="none", username="")
        with SmtpConnection(config, policy) as connection:
            assert connection.steps[1].name == "connect" and connection.steps[1].ok
            assert connection.steps[1].code == 220
    finally:
        server.close()
