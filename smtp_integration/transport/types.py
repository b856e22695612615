"""Values the transport takes and gives: server config, step results, send and probe results."""

from dataclasses import dataclass, field

from smtp_integration.exceptions import SmtpError

STEPS = ("resolve", "connect", "tls", "ehlo", "auth", "mail_from", "rcpt", "data", "quit")
TLS_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpServerConfig:
    """Where and how to reach one SMTP server; the password never shows in repr() or str()."""

    host: str
    port: int
    tls_mode: str
    username: str = ""
    password: str = field(default="", repr=False)
    local_hostname: str | None = None

    def __post_init__(self):
        if self.tls_mode not in TLS_MODES:
            raise ValueError(f"tls_mode must be one of {', '.join(TLS_MODES)}")


@dataclass(frozen=True)
class StepResult:
    """What one step of an SMTP session did; ok is None when the step was skipped."""

    name: str
    ok: bool | None
    code: int | None
    reply: str
    detail: str
    duration_ms: float


@dataclass(frozen=True)
class SendResult:
    """The server's answer to the end of DATA."""

    code: int
    reply: str
    message_id: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """Every step of a test send, in order, with the error and a message for the admin."""

    ok: bool
    steps: list[StepResult]
    error: SmtpError | None
    message: str
    duration_ms: float

    @property
    def failed_step(self) -> StepResult | None:
        """The step that failed, if any."""
        return next((step for step in self.steps if step.ok is False), None)
