"""The one place that opens SMTP connections: policy-checked, TLS-verified, deadline-bound.

It stands alone: it imports nothing else of the project, reads no settings and words no
text for people. Callers pass a server and a policy and get steps, results and errors
(``Reason``) back; smtp_integration.diagnostics turns those into advice.
"""

from smtp_integration.transport.connection import SmtpConnection
from smtp_integration.transport.errors import (
    DnsUnavailable,
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PermanentSmtpError,
    PolicyError,
    PortNotAllowed,
    SmtpError,
    SmtpTimeout,
    TokenRefused,
    TokenUnavailable,
    TransientSmtpError,
)
from smtp_integration.transport.message import HeaderInjectionError, build_message
from smtp_integration.transport.policy import (
    SmtpPolicy,
    parse_host,
    resolve_and_check,
    ssl_context_for,
)
from smtp_integration.transport.probe import probe
from smtp_integration.transport.text import masked, printable
from smtp_integration.transport.types import (
    SESSION_STEPS,
    AccessToken,
    BlockedCategory,
    ProbeResult,
    Reason,
    SendResult,
    Skipped,
    SmtpServerConfig,
    Step,
    StepResult,
    TlsMode,
    TokenSource,
)

__all__ = [
    "SESSION_STEPS",
    "AccessToken",
    "BlockedCategory",
    "DnsUnavailable",
    "HeaderInjectionError",
    "HostBlocked",
    "HostUnresolvable",
    "InvalidHost",
    "PermanentSmtpError",
    "PolicyError",
    "PortNotAllowed",
    "ProbeResult",
    "Reason",
    "SendResult",
    "Skipped",
    "SmtpConnection",
    "SmtpError",
    "SmtpPolicy",
    "SmtpServerConfig",
    "SmtpTimeout",
    "Step",
    "StepResult",
    "TlsMode",
    "TokenRefused",
    "TokenSource",
    "TokenUnavailable",
    "TransientSmtpError",
    "build_message",
    "masked",
    "parse_host",
    "printable",
    "probe",
    "resolve_and_check",
    "ssl_context_for",
]
