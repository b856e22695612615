"""The one place that opens SMTP connections: policy-checked, TLS-verified, deadline-bound."""

from smtp_integration.netpolicy import SmtpPolicy, ssl_context_for
from smtp_integration.transport.connection import SmtpConnection
from smtp_integration.transport.probing import probe
from smtp_integration.transport.types import (
    STEPS,
    TLS_MODES,
    ProbeResult,
    SendResult,
    SmtpServerConfig,
    StepResult,
)

__all__ = [
    "STEPS",
    "TLS_MODES",
    "ProbeResult",
    "SendResult",
    "SmtpConnection",
    "SmtpPolicy",
    "SmtpServerConfig",
    "StepResult",
    "probe",
    "ssl_context_for",
]
