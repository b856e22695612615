"""probe(): the "Test connection" button, a real send that reports every step."""

import email.message
import time

from smtp_integration.diagnostics import explain
from smtp_integration.exceptions import SmtpError
from smtp_integration.netpolicy import SmtpPolicy
from smtp_integration.transport.connection import SmtpConnection
from smtp_integration.transport.types import STEPS, ProbeResult, SmtpServerConfig, StepResult


def probe(
    config: SmtpServerConfig,
    policy: SmtpPolicy,
    *,
    from_addr: str,
    to_addr: str,
    message: email.message.EmailMessage,
    deadline_s: float = 20.0,
) -> ProbeResult:
    """Send message through the server and report each step; never raises SmtpError."""
    started = time.perf_counter()
    connection = SmtpConnection(config, policy, deadline=time.monotonic() + deadline_s)
    error = sent = None
    try:
        connection.open()
        sent = connection.send(message, from_addr=from_addr, to_addrs=[to_addr])
    except SmtpError as exc:
        error = exc
    finally:
        connection.close()
    if error is None:
        where = f"{config.host}:{config.port}"
        summary = f"Test email to {to_addr} accepted by {where} ({sent.code} {sent.reply})"
    else:
        summary = explain(error)
    return ProbeResult(
        ok=error is None,
        steps=_every_step(connection.steps),
        error=error,
        message=summary,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _every_step(steps: list[StepResult]) -> list[StepResult]:
    """All steps in order; those that never ran (after a failure) are marked skipped."""
    ran = {step.name: step for step in steps}
    not_run = "Not run: an earlier step failed"
    return [ran.get(name) or StepResult(name, None, None, "", not_run, 0.0) for name in STEPS]
