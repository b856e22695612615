"""probe(): a real send that reports every step, for Test connection."""

import email.message
import time
from collections.abc import Callable

from smtp_integration.transport.connection import SmtpConnection
from smtp_integration.transport.errors import SmtpError
from smtp_integration.transport.policy import SmtpPolicy
from smtp_integration.transport.types import (
    ProbeResult,
    Skipped,
    SmtpServerConfig,
    Step,
    StepResult,
)


def probe(
    config: SmtpServerConfig,
    policy: SmtpPolicy,
    *,
    from_addr: str,
    to_addr: str,
    message: email.message.Message,
    deadline_s: float = 20.0,
    on_step: Callable[[StepResult], None] | None = None,
) -> ProbeResult:
    """Send message through the server and report each step (to ``on_step`` too, as each
    ends); never raises SmtpError."""
    started = time.perf_counter()
    connection = SmtpConnection(
        config, policy, deadline=time.monotonic() + deadline_s, on_step=on_step
    )
    error = sent = None
    try:
        connection.open()
        sent = connection.send(message, from_addr=from_addr, to_addrs=[to_addr])
    except SmtpError as exc:
        error = exc
    finally:
        connection.close()
    return ProbeResult(
        steps=_every_step(connection.steps, oauth=config.token_source is not None),
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000,
        sent=sent,
    )


def _every_step(steps: list[StepResult], *, oauth: bool) -> list[StepResult]:
    """All steps of this kind of session in order (Token only when signing in with OAuth);
    those that never ran (after a failure) are marked skipped."""
    ran = {step.name: step for step in steps}
    return [
        ran.get(name) or StepResult(name, None, skipped=Skipped.EARLIER_FAILURE)
        for name in Step
        if oauth or name != Step.TOKEN
    ]
