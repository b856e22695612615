"""What a failed SMTP step means for the tenant admin, and what to do about it.

Messages name the host, port, address and server reply they are about; they never contain the
password (errors are built without it and the transport masks it in server replies).
"""

from smtp_integration.exceptions import STEP_LABELS, SmtpError

REPLY_SHOWN = 160

# Where the usual mistake is provider-specific, say so (host suffix → hint).
_AUTH_HINTS = (
    ("amazonaws.com", "Amazon SES needs SMTP credentials, not your AWS access keys"),
    ("office365.com", "Microsoft 365 needs SMTP AUTH enabled for the mailbox"),
    ("outlook.com", "Microsoft 365 needs SMTP AUTH enabled for the mailbox"),
    ("gmail.com", "Google needs an app password, not the account password"),
    ("googlemail.com", "Google needs an app password, not the account password"),
)
_DEFAULT_AUTH_HINT = "for SendGrid the username is the literal word apikey"


def explain(error: SmtpError) -> str:
    """A specific, actionable message for the admin about why the step failed."""
    describe = _MESSAGES.get(error.reason, _generic)
    return describe(error)


def _server_said(error: SmtpError) -> str:
    reply = error.reply if len(error.reply) <= REPLY_SHOWN else error.reply[: REPLY_SHOWN - 1] + "…"
    return f"{error.code} {reply}".strip() if error.code is not None else reply


def _where(error: SmtpError) -> str:
    return f"{error.host}:{error.port}"


def _host_blocked(error) -> str:
    return f"{error}; ask your operator to allow this network if the server really is there"


def _port_not_allowed(error) -> str:
    allowed = ", ".join(str(port) for port in error.allowed)
    return (
        f"Port {error.port} is not allowed here; use one of {allowed} "
        "(587 with STARTTLS is the usual choice)"
    )


def _invalid_host(error) -> str:
    return f"{error}: enter a host name such as smtp.example.com, without scheme, port or path"


def _unresolvable(error) -> str:
    return (
        f"{error.host} does not resolve: check the spelling, or wait for a new DNS record "
        "to propagate"
    )


def _dns_unavailable(error) -> str:
    return f"{error}; DNS is not answering right now, try again in a minute"


def _plaintext(error) -> str:
    return (
        "Unencrypted SMTP is not allowed on this platform: choose STARTTLS (usually port 587) "
        "or TLS (port 465)"
    )


def _connection_refused(error) -> str:
    return (
        f"Nothing is listening on {_where(error)}: check the host and port "
        "(587 for STARTTLS, 465 for TLS)"
    )


def _unreachable(error) -> str:
    return (
        f"{_where(error)} could not be reached ({error.detail}): check the host and port; "
        "some networks block outgoing port 25"
    )


def _timeout(error) -> str:
    if error.step in ("connect", "tls"):
        return (
            f"{_where(error)} did not answer in time: check the host and port; a firewall may "
            "be dropping the connection"
        )
    label = STEP_LABELS.get(error.step or "", "the session")
    return f"The server stopped answering during {label}: try again later"


def _tls_mismatch(error) -> str:
    if error.tls_mode == "tls":
        return (
            f"The server on port {error.port} speaks plain SMTP first; choose STARTTLS, not TLS "
            "(or use port 465 for TLS)"
        )
    return (
        f"Port {error.port} expects TLS from the first byte; choose TLS, or use port 587 "
        "with STARTTLS"
    )


def _certificate_invalid(error) -> str:
    if "mismatch" in error.detail.lower():
        return (
            f"The server's certificate is not valid for {error.host} ({error.detail}): use the "
            "host name your provider documents"
        )
    return (
        f"The server's certificate could not be verified ({error.detail}): use the host name "
        "your provider documents; a server with a private certificate authority needs your "
        "operator to trust that authority"
    )


def _tls_failed(error) -> str:
    return (
        f"The TLS handshake with {_where(error)} failed ({error.detail}): the server may only "
        "offer TLS versions older than 1.2, which are not accepted"
    )


def _starttls_unavailable(error) -> str:
    return (
        f"The server on port {error.port} does not offer STARTTLS, so the password would travel "
        "unencrypted: choose TLS (port 465), or a port where the server offers STARTTLS"
    )


def _auth_failed(error) -> str:
    host = (error.host or "").lower()
    hint = next((h for suffix, h in _AUTH_HINTS if host.endswith(suffix)), _DEFAULT_AUTH_HINT)
    return f"Authentication failed ({_server_said(error)}): check the username and password; {hint}"


def _auth_unavailable(error) -> str:
    if error.detail:
        return (
            f"The server offers only {error.detail} for login, and PLAIN or LOGIN is needed: "
            "check the host and port"
        )
    return (
        "The server does not offer authentication on this connection: clear the username, "
        "or check the host, port and TLS mode"
    )


def _auth_required(error) -> str:
    return (
        f"The server requires authentication ({_server_said(error)}): enter a username and password"
    )


def _sender_rejected(error) -> str:
    return (
        f"The provider refused the From address ({_server_said(error)}): verify "
        f"{error.mailbox or 'the From address'} (or its domain) with your provider"
    )


def _recipient_rejected(error) -> str:
    return f"The provider refused the recipient {error.mailbox} ({_server_said(error)})"


def _relay_denied(error) -> str:
    return (
        f"The server refused to relay to {error.mailbox} ({_server_said(error)}): it expects "
        "authentication, or the From address is not one it sends for"
    )


def _message_rejected(error) -> str:
    return (
        f"The provider rejected the message ({_server_said(error)}): check the From address "
        "and your account's standing with the provider"
    )


def _rate_limited(error) -> str:
    return (
        f"The provider is rate-limiting ({_server_said(error)}): wait and try again, "
        "or raise your plan's limit"
    )


def _temporary_failure(error) -> str:
    return (
        f"The server reported a temporary problem ({_server_said(error)}): try again in a few "
        "minutes"
    )


def _connection_lost(error) -> str:
    label = STEP_LABELS.get(error.step or "", "the session")
    return (
        f"The server closed the connection during {label}: try again; if it keeps happening, "
        "check the port and TLS mode"
    )


def _connection_rejected(error) -> str:
    return (
        f"The server refused the connection ({_server_said(error)}): it may not accept mail "
        "from this platform"
    )


def _generic(error) -> str:
    return str(error)


_MESSAGES = {
    "host_blocked": _host_blocked,
    "port_not_allowed": _port_not_allowed,
    "invalid_host": _invalid_host,
    "unresolvable": _unresolvable,
    "dns_unavailable": _dns_unavailable,
    "plaintext_not_allowed": _plaintext,
    "connection_refused": _connection_refused,
    "unreachable": _unreachable,
    "timeout": _timeout,
    "tls_mismatch": _tls_mismatch,
    "certificate_invalid": _certificate_invalid,
    "tls_failed": _tls_failed,
    "starttls_unavailable": _starttls_unavailable,
    "auth_failed": _auth_failed,
    "auth_unavailable": _auth_unavailable,
    "auth_required": _auth_required,
    "sender_rejected": _sender_rejected,
    "recipient_rejected": _recipient_rejected,
    "relay_denied": _relay_denied,
    "message_rejected": _message_rejected,
    "rate_limited": _rate_limited,
    "temporary_failure": _temporary_failure,
    "connection_lost": _connection_lost,
    "connection_rejected": _connection_rejected,
}
