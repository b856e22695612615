"""Values the transport takes and gives, and the names of its states, each defined once.

The state enums work like Django's TextChoices (``.label``, ``.choices``, ``.values``) so
that models and forms use them as they are, without the transport importing Django.
"""

from dataclasses import dataclass, field
from enum import EnumType, StrEnum
from typing import Any, Protocol


class _ChoicesType(EnumType):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]


class TextChoices(StrEnum, metaclass=_ChoicesType):
    """A string enum whose members carry a label for people."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class TlsMode(TextChoices):
    STARTTLS = "starttls", "STARTTLS"
    TLS = "tls", "TLS"
    NONE = "none", "None (unencrypted)"


class Step(TextChoices):
    """The steps of an SMTP session, in the order they run."""

    RESOLVE = "resolve", "Resolve"
    CONNECT = "connect", "Connect"
    TLS = "tls", "TLS"
    EHLO = "ehlo", "EHLO"
    TOKEN = "token", "Token"
    AUTH = "auth", "AUTH"
    MAIL_FROM = "mail_from", "MAIL FROM"
    RCPT = "rcpt", "RCPT TO"
    DATA = "data", "DATA"
    QUIT = "quit", "QUIT"


# Steps before any message is on the wire: a failure there is the server's, not the email's.
SESSION_STEPS = frozenset({Step.RESOLVE, Step.CONNECT, Step.TLS, Step.EHLO, Step.TOKEN, Step.AUTH})


class Reason(TextChoices):
    """Why an SMTP exchange failed: the slug callers key their decisions and advice on."""

    # Refused by the network policy before any connection.
    HOST_BLOCKED = "host_blocked", "Host not allowed"
    PORT_NOT_ALLOWED = "port_not_allowed", "Port not allowed"
    INVALID_HOST = "invalid_host", "Not a host name"
    UNRESOLVABLE = "unresolvable", "Host does not resolve"
    PLAINTEXT_NOT_ALLOWED = "plaintext_not_allowed", "Unencrypted SMTP not allowed"
    # Reaching the server.
    DNS_UNAVAILABLE = "dns_unavailable", "DNS not answering"
    CONNECTION_REFUSED = "connection_refused", "Connection refused"
    UNREACHABLE = "unreachable", "Server unreachable"
    TIMEOUT = "timeout", "Timed out"
    CONNECTION_LOST = "connection_lost", "Connection lost"
    CONNECTION_REJECTED = "connection_rejected", "Connection rejected"
    # TLS.
    TLS_MISMATCH = "tls_mismatch", "TLS mode does not match the port"
    CERTIFICATE_INVALID = "certificate_invalid", "Certificate not valid"
    TLS_FAILED = "tls_failed", "TLS handshake failed"
    STARTTLS_UNAVAILABLE = "starttls_unavailable", "STARTTLS not offered"
    # Signing in.
    AUTH_FAILED = "auth_failed", "Authentication failed"
    AUTH_UNAVAILABLE = "auth_unavailable", "Authentication not offered"
    AUTH_REQUIRED = "auth_required", "Authentication required"
    # The provider no longer accepts passwords (Microsoft 365's basic authentication switch-off).
    BASIC_AUTH_DISABLED = "basic_auth_disabled", "Password sign-in switched off by the provider"
    # OAuth 2.0: the token endpoint refused the client, or could not be asked.
    TOKEN_REFUSED = "token_refused", "Token refused"
    TOKEN_UNAVAILABLE = "token_unavailable", "Token endpoint unavailable"
    # Reported by callers that cannot open the stored secret they would sign in with.
    SECRET_UNREADABLE = "secret_unreadable", "Stored secret unreadable"
    # The message.
    SENDER_REJECTED = "sender_rejected", "Sender refused"
    RECIPIENT_REJECTED = "recipient_rejected", "Recipient refused"
    RELAY_DENIED = "relay_denied", "Relaying denied"
    MESSAGE_REJECTED = "message_rejected", "Message refused"
    SMTPUTF8_UNSUPPORTED = "smtputf8_unsupported", "International addresses not supported"
    # Anything else.
    RATE_LIMITED = "rate_limited", "Rate-limited by the provider"
    TEMPORARY_FAILURE = "temporary_failure", "Temporary failure"
    PROTOCOL_ERROR = "protocol_error", "Unexpected reply"
    REJECTED = "rejected", "Refused"
    SMTP_ERROR = "smtp_error", "SMTP error"


class BlockedCategory(TextChoices):
    """Why the network policy refuses an address."""

    METADATA = "metadata", "the cloud metadata address"
    THIS_NETWORK = "this_network", "a 'this network' address"
    PRIVATE = "private", "a private address"
    CARRIER_NAT = "carrier_nat", "a carrier-grade NAT address"
    LOOPBACK = "loopback", "a loopback address"
    LINK_LOCAL = "link_local", "a link-local address"
    RESERVED = "reserved", "a reserved address"
    DOCUMENTATION = "documentation", "a documentation address"
    MULTICAST = "multicast", "a multicast address"
    BROADCAST = "broadcast", "the broadcast address"
    UNSPECIFIED = "unspecified", "an unspecified address"
    UNIQUE_LOCAL = "unique_local", "a private (unique local) address"
    SITE_LOCAL = "site_local", "a site-local address"


class Skipped(TextChoices):
    """Why a step did not run."""

    PLAINTEXT = "plaintext", "Plaintext SMTP, allowed by the platform's settings"
    NO_USERNAME = "no_username", "No username: sending without authentication"
    ALREADY_CLOSED = "already_closed", "The connection was already closed"
    EARLIER_FAILURE = "earlier_failure", "Not run: an earlier step failed"


@dataclass(frozen=True)
class AccessToken:
    """An OAuth 2.0 access token, and where it came from (for the Token step)."""

    value: str = field(repr=False)
    endpoint: str
    http_status: int | None = None
    cached: bool = False
    expires_in: float | None = None


class TokenSource(Protocol):
    """Gets the access token an SMTP session signs in with (SASL XOAUTH2 or OAUTHBEARER)."""

    def token(self, *, fresh: bool) -> AccessToken:
        """A token; ``fresh`` asks the endpoint again instead of reusing one. Raises
        TokenRefused or TokenUnavailable (SmtpErrors)."""


@dataclass(frozen=True)
class SmtpServerConfig:
    """Where and how to reach one SMTP server; the password never shows in repr() or str().

    With ``token_source``, the session signs in as ``username`` with an OAuth 2.0 token
    instead of the password."""

    host: str
    port: int
    tls_mode: str
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    # The username is a credential too (an API token): never shown, masked in facts.
    username_is_secret: bool = False
    local_hostname: str | None = None
    token_source: TokenSource | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.tls_mode not in TlsMode.values:
            raise ValueError(f"tls_mode must be one of {', '.join(TlsMode.values)}")


@dataclass(frozen=True)
class StepResult:
    """What one step of an SMTP session did: ok is None when the step was skipped.

    ``facts`` says what the step found (addresses, TLS version, the server's extensions…) as
    data; ``skipped`` why it did not run; ``reason`` why it failed. Callers word them.
    """

    name: Step
    ok: bool | None
    code: int | None = None
    reply: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    skipped: Skipped | None = None
    reason: Reason | None = None


@dataclass(frozen=True)
class SendResult:
    """The server's answer to the end of DATA."""

    code: int
    reply: str
    message_id: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """Every step of a test send, in order, and the error that stopped it (None: delivered)."""

    steps: list[StepResult]
    error: Exception | None
    duration_ms: float
    sent: SendResult | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def failed_step(self) -> StepResult | None:
        """The step that failed, if any."""
        return next((step for step in self.steps if step.ok is False), None)
