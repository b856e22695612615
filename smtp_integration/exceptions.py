"""SMTP errors: one hierarchy, split into transient (retry later) and permanent (fail now).

Every error says where it happened (``step``), what the server answered (``code``, ``reply``)
and why, as a short machine slug (``reason``) that the mailer and the diagnostics key on.
Messages carry server replies and host names, never a password.
"""

import ipaddress
import re

STEP_LABELS = {
    "resolve": "DNS lookup",
    "connect": "the connection",
    "tls": "TLS setup",
    "ehlo": "EHLO",
    "auth": "AUTH",
    "mail_from": "MAIL FROM",
    "rcpt": "RCPT TO",
    "data": "DATA",
    "quit": "QUIT",
}

# Providers answer these when they throttle: the email can go through later.
RATE_LIMIT_CODES = frozenset({421, 450, 451, 452})

# After RCPT or DATA, providers (SendGrid, SES, Mailgun) refuse an unverified sender with a 5xx
# whose text names the sender; everything else there is about the recipient or the content.
_SENDER_HINT = re.compile(
    r"sender|from address|identit|not verified|unverified|not (?:allowed|authori[sz]ed) to send",
    re.IGNORECASE,
)
_RELAY_HINT = re.compile(r"relay", re.IGNORECASE)


class SmtpError(Exception):
    """A failed SMTP exchange: where it failed, what the server said, and whether to retry."""

    permanent = False
    default_reason = "smtp_error"

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
    ):
        super().__init__(message)
        self.message = message
        self.step = step
        self.code = code
        self.reply = reply
        self.reason = reason or self.default_reason
        self.host = host
        self.port = port
        self.tls_mode = tls_mode
        self.mailbox = mailbox  # the envelope address a rejection is about
        self.detail = detail  # e.g. the certificate verification message

    def __str__(self) -> str:
        if self.message:
            return self.message
        where = STEP_LABELS.get(self.step or "", self.step or "SMTP")
        if self.code is not None:
            return f"{where}: the server replied {self.code} {self.reply}".rstrip()
        return f"{where}: {self.reason}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, step={self.step!r}, code={self.code})"
        )


class TransientSmtpError(SmtpError):
    """Worth retrying later: 4xx replies, timeouts, dropped or refused connections."""

    default_reason = "temporary_failure"


class PermanentSmtpError(SmtpError):
    """Retrying will not help: 5xx replies, policy refusals, certificate and TLS problems."""

    permanent = True
    default_reason = "rejected"


class SmtpTimeout(TransientSmtpError):
    """The server did not answer in time, or the overall deadline passed."""

    default_reason = "timeout"


class DnsUnavailable(TransientSmtpError):
    """The host name could not be looked up right now (resolver timeout or SERVFAIL)."""

    default_reason = "dns_unavailable"

    def __init__(self, host: str, detail: str):
        super().__init__(
            f"DNS lookup for {host} failed: {detail}", step="resolve", host=host, detail=detail
        )


class PolicyError(PermanentSmtpError):
    """Refused by the platform's network policy, before any connection is made."""


class HostBlocked(PolicyError):
    """The host is, or resolves to, an address the platform does not connect to."""

    default_reason = "host_blocked"

    def __init__(self, host: str, address, category: str):
        self.address = address
        self.category = category  # e.g. "a private address"
        if _is_ip_literal(host):
            message = f"{host} is {category}"
        else:
            message = f"{host} resolves to {address}, {category}"
        super().__init__(message, step="resolve", host=host, detail=category)


class HostUnresolvable(PolicyError):
    """The host name has no address (NXDOMAIN or no A/AAAA record)."""

    default_reason = "unresolvable"

    def __init__(self, host: str):
        super().__init__(f"{host} does not resolve to any address", step="resolve", host=host)


class PortNotAllowed(PolicyError):
    """The port is not one of SMTP_ALLOWED_PORTS."""

    default_reason = "port_not_allowed"

    def __init__(self, port, allowed):
        self.allowed = tuple(sorted(allowed))
        listed = ", ".join(str(p) for p in self.allowed)
        super().__init__(
            f"Port {port} is not allowed (allowed: {listed})", step="resolve", port=port
        )


class InvalidHost(PolicyError):
    """The host is neither a DNS name nor an IP address."""

    default_reason = "invalid_host"

    def __init__(self, host):
        shown = repr(host) if len(str(host)) <= 80 else repr(str(host)[:80]) + "…"
        super().__init__(f"{shown} is not a valid host name or IP address", step="resolve")


class PlaintextNotAllowed(PolicyError):
    """TLS mode 'none' while SMTP_ALLOW_PLAINTEXT is off."""

    default_reason = "plaintext_not_allowed"

    def __init__(self, host: str, port: int):
        super().__init__(
            "Unencrypted SMTP is not allowed on this platform", step="tls", host=host, port=port
        )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def classify_reply(step: str, code: int, reply: str) -> SmtpError:
    """The error a non-success SMTP reply stands for: 4xx transient, anything else permanent."""
    if 400 <= code < 500:
        reason = "rate_limited" if code in RATE_LIMIT_CODES else "temporary_failure"
        return TransientSmtpError(step=step, code=code, reply=reply, reason=reason)
    reason = _permanent_reason(step, code, reply) if code >= 500 else "protocol_error"
    return PermanentSmtpError(step=step, code=code, reply=reply, reason=reason)


def _permanent_reason(step: str, code: int, reply: str) -> str:
    if step == "auth":
        return "auth_failed"
    if code == 530:
        return "auth_required"
    if step == "mail_from":
        return "sender_rejected"
    if step in ("rcpt", "data") and _SENDER_HINT.search(reply):
        return "sender_rejected"
    if step == "rcpt" and _RELAY_HINT.search(reply):
        return "relay_denied"
    by_step = {
        "connect": "connection_rejected",
        "tls": "starttls_unavailable",
        "rcpt": "recipient_rejected",
        "data": "message_rejected",
    }
    return by_step.get(step, "rejected")
