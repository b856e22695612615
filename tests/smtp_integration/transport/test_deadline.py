"""Deadlines: a connection or a probe ends on time, however slowly the server drips."""

import time

from smtp_integration.transport import SmtpTimeout
from smtp_integration.transport.deadline import Watchdog
from tests.smtp_integration.transport.helpers import open_error, run_probe
from tests.smtp_servers import SilentServer


def test_a_dripping_server_is_cut_off_at_the_deadline(smtp_policy, server_config):
    with SilentServer(drip=0.1) as server:
        deadline_s = 1.0
        started = time.monotonic()
        error = open_error(
            server_config(server), smtp_policy(server), deadline=started + deadline_s
        )
        elapsed = time.monotonic() - started

    assert isinstance(error, SmtpTimeout)
    assert (error.reason, error.step, error.permanent) == ("timeout", "connect", False)
    assert deadline_s - 0.1 < elapsed < deadline_s + 1


def test_the_deadline_also_cuts_a_tls_session(smtp_policy, server_config, smtp_certs):
    with SilentServer(drip=0.1, cert=smtp_certs.ca_signed) as server:
        started = time.monotonic()
        error = open_error(server_config(server), smtp_policy(server), deadline=started + 0.5)

    assert (type(error), error.step) == (SmtpTimeout, "tls")
    assert time.monotonic() - started < 1.5


def test_a_silent_server_times_out(silent_server, smtp_policy, server_config):
    started = time.monotonic()
    error = open_error(
        server_config(silent_server), smtp_policy(silent_server, command_timeout=0.3)
    )

    assert isinstance(error, SmtpTimeout)
    assert error.step == "connect"
    assert time.monotonic() - started < 1.5


def test_a_silent_server_in_tls_mode_times_out_in_the_handshake(
    silent_server, smtp_policy, server_config
):
    policy = smtp_policy(silent_server, command_timeout=0.3)
    error = open_error(server_config(silent_server, tls_mode="tls"), policy)

    assert (type(error), error.step) == (SmtpTimeout, "tls")


def test_the_deadline_bounds_a_probe(smtp_policy, server_config, sample_message):
    with SilentServer(drip=0.1) as server:
        started = time.monotonic()
        result = run_probe(
            server_config(server),
            smtp_policy(server),
            sample_message,
            deadline_s=0.8,
        )

    assert time.monotonic() - started < 1.8
    assert result.error.reason == "timeout"


def test_watchdog_fires_only_armed_callbacks():
    watchdog, fired = Watchdog(), []
    watchdog.arm(time.monotonic() + 0.05, lambda: fired.append("due"))
    cancelled = watchdog.arm(time.monotonic() + 0.05, lambda: fired.append("cancelled"))
    watchdog.disarm(cancelled)
    time.sleep(0.2)

    assert fired == ["due"]
