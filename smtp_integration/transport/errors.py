"""SMTP errors: one hierarchy, split into transient (retry later) and permanent (fail now).

Every error says where it happened (``step``), what the server answered (``code``, ``reply``)
and why (``reason``, a ``Reason``), which callers key their decisions and their advice on.
Messages are for logs; they carry server replies and host names, never a password.
"""

import re
import smtplib
import ssl

from smtp_integration.transport.types import BlockedCategory, Reason, Step

# Providers answer these when they throttle: the email can go through later.
RATE_LIMIT_CODES = frozenset({421, 450, 451, 452})

# Microsoft 365 refusing password sign-in (basic authentication) for the tenant or mailbox:
# 550 5.7.30 "Basic authentication is not supported for Client Submission", 535 5.7.139.
_BASIC_AUTH_OFF = re.compile(r"(?<![\d.])5\.7\.(?:30|139)(?![\d.])")
# After RCPT or DATA, providers (SendGrid, SES, Mailgun) refuse an unverified sender with a 5xx
# whose text names the sender; everything else there is about the recipient or the content.
_SENDER_HINT = re.compile(
    r"sender|from address|identit|not verified|unverified|not (?:allowed|authori[sz]ed) to send",
    re.IGNORECASE,
)
_RELAY_HINT = re.compile(r"relay", re.IGNORECASE)

# OpenSSL's reasons when a ClientHello is answered with plain text, such as an SMTP greeting.
_PLAINTEXT_PEER = frozenset(
    {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"}
)


class SmtpError(Exception):
    """A failed SMTP exchange: where it failed, what the server said, and whether to retry."""

    permanent = False
    default_reason = Reason.SMTP_ERROR

    def __init__(
        self,
        message: str = "",
        *,
        step: str | None = None,
        code: int | None = None,
        reply: str = "",
        reason: str | None = None,
        host: str | None = None,
        port: int | None = None,
        tls_mode: str | None = None,
        mailbox: str | None = None,
        detail: str = "",
        facts: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.step = step
        self.code = code
        self.reply = reply
        self.reason = Reason(reason or self.default_reason)
        self.host = host
        self.port = port
        self.tls_mode = tls_mode
        self.mailbox = mailbox  # the envelope address a rejection is about
        self.detail = detail  # e.g. the certificate verification message
        self.facts = facts or {}  # what the failed step found, as its StepResult's facts

    def __str__(self) -> str:
        if self.message:
            return self.message
        if self.code is not None:
            return f"{self.step or 'smtp'}: the server replied {self.code} {self.reply}".rstrip()
        return f"{self.step or 'smtp'}: {self.reason}"

    def __repr__(self) -> str:
        step = str(self.step) if self.step is not None else None
        return (
            f"{type(self).__name__}(reason={str(self.reason)!r}, step={step!r}, code={self.code})"
        )


class TransientSmtpError(SmtpError):
    """Worth retrying later: 4xx replies, timeouts, dropped or refused connections."""

    default_reason = Reason.TEMPORARY_FAILURE


class PermanentSmtpError(SmtpError):
    """Retrying will not help: 5xx replies, policy refusals, certificate and TLS problems."""

    permanent = True
    default_reason = Reason.REJECTED


class SmtpTimeout(TransientSmtpError):
    """The server did not answer in time, or the overall deadline passed."""

    default_reason = Reason.TIMEOUT


class DnsUnavailable(TransientSmtpError):
    """The host name could not be looked up right now (resolver timeout or SERVFAIL)."""

    default_reason = Reason.DNS_UNAVAILABLE

    def __init__(self, host: str, detail: str):
        super().__init__(
            f"DNS lookup for {host} failed: {detail}", step=Step.RESOLVE, host=host, detail=detail
        )


class PolicyError(PermanentSmtpError):
    """Refused by the platform's network policy, before any connection is made."""


class HostBlocked(PolicyError):
    """The host is, or resolves to, an address the platform does not connect to."""

    default_reason = Reason.HOST_BLOCKED

    def __init__(
        self, host: str, address, category: BlockedCategory, *, embedded=None, literal=False
    ):
        self.address = address
        self.category = category
        self.embedded = embedded  # the IPv4 address an IPv6 wrapper really reaches
        self.literal = literal  # the host is an IP address, not a name that resolved
        super().__init__(f"{host} ({address}) is blocked: {category}", step=Step.RESOLVE, host=host)


class HostUnresolvable(PolicyError):
    """The host name has no address (NXDOMAIN or no A/AAAA record)."""

    default_reason = Reason.UNRESOLVABLE

    def __init__(self, host: str):
        super().__init__(f"{host} has no address", step=Step.RESOLVE, host=host)


class PortNotAllowed(PolicyError):
    """The port is not one the policy allows."""

    default_reason = Reason.PORT_NOT_ALLOWED

    def __init__(self, port, allowed):
        self.allowed = tuple(sorted(allowed))
        super().__init__(f"port {port} is not allowed", step=Step.RESOLVE, port=port)


class InvalidHost(PolicyError):
    """The host is neither a DNS name nor an IP address."""

    default_reason = Reason.INVALID_HOST

    def __init__(self, host):
        self.shown = repr(host) if len(str(host)) <= 80 else repr(str(host)[:80]) + "…"
        super().__init__(f"{self.shown} is not a host name or IP address", step=Step.RESOLVE)


class PlaintextNotAllowed(PolicyError):
    """TLS mode 'none' while the policy does not allow plaintext."""

    default_reason = Reason.PLAINTEXT_NOT_ALLOWED

    def __init__(self, host: str, port: int):
        super().__init__("plaintext SMTP is not allowed", step=Step.TLS, host=host, port=port)


class TokenUnavailable(TransientSmtpError):
    """The token endpoint could not be asked, or failed (5xx, 429): worth trying later."""

    default_reason = Reason.TOKEN_UNAVAILABLE


class TokenRefused(PermanentSmtpError):
    """The token endpoint refused the client (``error``: invalid_client, unauthorized_client,
    invalid_grant…; ``description``: what the provider said): nothing can sign in."""

    default_reason = Reason.TOKEN_REFUSED

    def __init__(self, message: str, *, error: str, description: str, status: int, **kwargs):
        self.error = error
        self.description = description
        self.status = status
        super().__init__(message, step=Step.TOKEN, **kwargs)


def classify_reply(step: str, code: int, reply: str) -> SmtpError:
    """The error a non-success SMTP reply stands for: 4xx transient, anything else permanent."""
    if 400 <= code < 500:
        reason = Reason.RATE_LIMITED if code in RATE_LIMIT_CODES else Reason.TEMPORARY_FAILURE
        return TransientSmtpError(step=step, code=code, reply=reply, reason=reason)
    reason = _permanent_reason(step, code, reply) if code >= 500 else Reason.PROTOCOL_ERROR
    return PermanentSmtpError(step=step, code=code, reply=reply, reason=reason)


def _permanent_reason(step: str, code: int, reply: str) -> Reason:
    if _BASIC_AUTH_OFF.search(reply):
        return Reason.BASIC_AUTH_DISABLED
    if step == Step.AUTH:
        return Reason.AUTH_FAILED
    if code == 530:
        return Reason.AUTH_REQUIRED
    if step == Step.MAIL_FROM:
        return Reason.SENDER_REJECTED
    if step in (Step.RCPT, Step.DATA) and _SENDER_HINT.search(reply):
        return Reason.SENDER_REJECTED
    if step == Step.RCPT and _RELAY_HINT.search(reply):
        return Reason.RELAY_DENIED
    by_step = {
        Step.CONNECT: Reason.CONNECTION_REJECTED,
        Step.TLS: Reason.STARTTLS_UNAVAILABLE,
        Step.RCPT: Reason.RECIPIENT_REJECTED,
        Step.DATA: Reason.MESSAGE_REJECTED,
    }
    return by_step.get(step, Reason.REJECTED)


def answered_in_plaintext(exc: ssl.SSLError) -> bool:
    """Whether a failed handshake means the peer does not speak TLS on this port."""
    return exc.reason in _PLAINTEXT_PEER


def network_error(step: str, exc: OSError | smtplib.SMTPException, *, where: str, tls_mode: str):
    """The SmtpError for an exception raised while talking to the server at where."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentSmtpError(
            f"certificate of {where} not verified: {exc.verify_message}",
            reason=Reason.CERTIFICATE_INVALID,
            detail=exc.verify_message,
        )
    if isinstance(exc, ssl.SSLError) and step == Step.TLS and not isinstance(exc, ssl.SSLEOFError):
        return _handshake_error(exc, where=where, tls_mode=tls_mode)
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # smtplib turns a read timeout into SMTPServerDisconnected; the cause tells.
        return SmtpTimeout(f"{where} did not answer in time ({step})")
    if isinstance(exc, ConnectionRefusedError):
        return TransientSmtpError(
            f"{where} refused the connection", reason=Reason.CONNECTION_REFUSED
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | ssl.SSLError):
        return TransientSmtpError(
            f"{where} closed the connection ({step})", reason=Reason.CONNECTION_LOST
        )
    if isinstance(exc, smtplib.SMTPException):
        return PermanentSmtpError(f"{where}: {exc}", reason=Reason.PROTOCOL_ERROR)
    reason = exc.strerror or str(exc)
    return TransientSmtpError(
        f"{where} could not be reached: {reason}", reason=Reason.UNREACHABLE, detail=reason
    )


def _handshake_error(exc: ssl.SSLError, *, where: str, tls_mode: str) -> SmtpError:
    if answered_in_plaintext(exc) and tls_mode == "tls":
        return PermanentSmtpError(
            f"{where} answered the TLS handshake in plain text", reason=Reason.TLS_MISMATCH
        )
    reason = str(exc.reason or exc)
    return PermanentSmtpError(
        f"TLS handshake with {where} failed: {reason}", reason=Reason.TLS_FAILED, detail=reason
    )


def hostport(host, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    host = str(host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
