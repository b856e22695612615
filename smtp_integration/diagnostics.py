"""The transport's steps and errors in words: what happened, and what the admin can do.

Messages name the host, port, address and server reply they are about; they never contain the
password (errors are built without it and the transport masks it in server replies).
"""

from smtp_integration.transport import (
    BlockedCategory,
    HostBlocked,
    Reason,
    SmtpError,
    Step,
    StepResult,
    TlsMode,
)

REPLY_SHOWN = 160

# A step's name inside a sentence ("during the connection").
STEP_PHRASES = {
    Step.RESOLVE: "DNS lookup",
    Step.CONNECT: "the connection",
    Step.TLS: "TLS setup",
    Step.EHLO: "EHLO",
    Step.TOKEN: "the token request",
    Step.AUTH: "AUTH",
    Step.MAIL_FROM: "MAIL FROM",
    Step.RCPT: "RCPT TO",
    Step.DATA: "DATA",
    Step.QUIT: "QUIT",
}

# Where the usual mistake is provider-specific, say so (host suffix → hint); elsewhere, none.
_AUTH_HINTS = (
    ("amazonaws.com", "Amazon SES needs its SMTP credentials, not your AWS access keys"),
    ("sendgrid.net", "for SendGrid the username is the literal word apikey"),
    ("postmarkapp.com", "Postmark takes a Server API token as both username and password"),
    ("mailgun.org", "Mailgun takes the SMTP login and password of your sending domain"),
    ("brevo.com", "Brevo takes the SMTP login and key from its SMTP & API page"),
    ("office365.com", "Microsoft 365 needs SMTP AUTH enabled for the mailbox"),
    ("outlook.com", "Microsoft 365 needs SMTP AUTH enabled for the mailbox"),
    ("gmail.com", "Google needs an app password, not the account password"),
    ("googlemail.com", "Google needs an app password, not the account password"),
)
_MICROSOFT_HOSTS = ("office365.com", "outlook.com")
_GOOGLE_HOSTS = ("gmail.com", "googlemail.com")
OAUTH_MECHANISMS = frozenset({"XOAUTH2", "OAUTHBEARER"})

# What a token endpoint's refusal means, by Microsoft's AADSTS code or the OAuth error.
_AADSTS_FIXES = (
    (
        "AADSTS90002",
        "the directory (tenant) ID is wrong: copy it from Microsoft Entra ID → Overview",
    ),
    (
        "AADSTS900023",
        "the directory (tenant) ID is not valid: copy it from Microsoft Entra ID → Overview",
    ),
    (
        "AADSTS700016",
        "no application with this client ID is registered in that directory: "
        "check the application (client) ID and the directory (tenant) ID",
    ),
    (
        "AADSTS7000215",
        "the client secret is wrong: paste the secret's Value (not its "
        "Secret ID) from Certificates & secrets",
    ),
    (
        "AADSTS7000222",
        "the client secret has expired: create a new one under Certificates & "
        "secrets and enter it here",
    ),
    (
        "AADSTS65001",
        "admin consent is missing: under API permissions, grant admin consent for SMTP.SendAsApp",
    ),
    (
        "AADSTS70011",
        "the scope was refused: the application needs the SMTP.SendAsApp "
        "permission of Office 365 Exchange Online",
    ),
    (
        "AADSTS7000112",
        "the application is disabled in that directory: enable it in Enterprise applications",
    ),
)
_OAUTH_FIXES = {
    "invalid_client": "the client ID or secret is wrong, or the secret has expired",
    "unauthorized_client": "this client may not use this grant or scope",
    "invalid_grant": "the grant was refused",
    "invalid_scope": "the scope is not allowed for this client",
    "access_denied": "the provider denied access to this client",
    "invalid_key": "the stored key cannot sign: upload the service account's JSON key again",
}
_GOOGLE_FIXES = (
    (
        "unauthorized_client",
        "domain-wide delegation is missing: in the Google Admin console, "
        "Security → Access and data control → API controls → Manage domain-wide delegation, add "
        "the service account's client ID with the scope https://mail.google.com/",
    ),
    (
        "invalid email",
        "the user to send as is not a user of your Google Workspace: enter "
        "their full address as the mailbox",
    ),
    (
        "invalid jwt signature",
        "Google does not know this key (deleted or from another "
        "project): create a new JSON key for the service account and upload it",
    ),
    (
        "invalid_grant",
        "the key or the user to send as was refused: check that the key is "
        "current and the mailbox is a user of your Workspace",
    ),
)


def explain(error: SmtpError) -> str:
    """A specific, actionable message for the admin about why the step failed."""
    describe = _MESSAGES.get(error.reason, _generic)
    return describe(error)


def step_detail(step: StepResult) -> str:
    """One line on what a step of Test connection did, found or why it failed."""
    if step.ok is None:
        return step.skipped.label if step.skipped else "Skipped"
    facts = step.facts
    if step.ok is False:
        label = Reason(step.reason).label if step.reason else "Failed"
        if step.name == Step.TOKEN and facts.get("endpoint"):
            status = f"HTTP {facts['status']} from " if facts.get("status") else ""
            return f"{label}: {status}{facts['endpoint']}"
        return label
    describe = {
        Step.RESOLVE: lambda: (
            f"{facts['host']} is an IP address: no lookup needed"
            if facts["ip_literal"]
            else f"{facts['host']} resolves to {', '.join(facts['addresses'])}"
        ),
        Step.CONNECT: lambda: f"Connected to {facts['address']}",
        Step.TLS: lambda: f"{facts['version']}, certificate for {facts['server_name']} verified",
        Step.EHLO: lambda: f"Server offers: {', '.join(facts['features']) or 'no extensions'}",
        Step.TOKEN: lambda: _token_detail(facts),
        Step.AUTH: lambda: f"Authenticated as {facts['username']} with {facts['mechanism']}",
        Step.MAIL_FROM: lambda: f"Sender <{facts['address']}> accepted",
        Step.RCPT: lambda: f"Recipient <{facts['address']}> accepted",
        Step.DATA: lambda: f"Message accepted ({facts['bytes']} bytes)",
        Step.QUIT: lambda: "Session closed",
    }
    return describe[step.name]()


def _token_detail(facts: dict) -> str:
    lasts = facts.get("expires_in")
    valid = f", valid for {round(lasts / 60)} min" if lasts else ""
    if facts.get("cached"):
        return f"Token from {facts['endpoint']} reused{valid}"
    return f"Token issued by {facts['endpoint']} (HTTP {facts['status']}){valid}"


def host_blocked_text(error: HostBlocked) -> str:
    """Why the host is refused. An address typed as the host is named with its kind; a name is
    never followed to its address, and reads exactly like a name that does not resolve: else
    the answers would map the platform's internal names (db, redis) for anyone who asks."""
    if not error.literal:
        return unresolvable_text(error.host)
    category = BlockedCategory(error.category).label
    if error.embedded is not None:
        category = f"{category} (it embeds {error.embedded})"
    return f"{error.host} is {category}"


def unresolvable_text(host: str) -> str:
    return f"{host} does not resolve to an address the platform may connect to"


def _server_said(error: SmtpError) -> str:
    reply = error.reply if len(error.reply) <= REPLY_SHOWN else error.reply[: REPLY_SHOWN - 1] + "…"
    return f"{error.code} {reply}".strip() if error.code is not None else reply


def _where(error: SmtpError) -> str:
    return f"{error.host}:{error.port}"


def _host_blocked(error) -> str:
    if not error.literal:
        return _unresolvable(error)
    return (
        f"{host_blocked_text(error)}; ask your operator to allow this network if the server "
        "really is there"
    )


def _port_not_allowed(error) -> str:
    allowed = ", ".join(str(port) for port in error.allowed)
    return (
        f"Port {error.port} is not allowed here; use one of {allowed} "
        "(587 with STARTTLS is the usual choice)"
    )


def _invalid_host(error) -> str:
    return (
        f"{error.shown} is not a valid host name or IP address: enter a host name such as "
        "smtp.example.com, without scheme, port or path"
    )


def _unresolvable(error) -> str:
    return (
        f"{unresolvable_text(error.host)}: check the spelling, wait for a new DNS record to "
        "propagate, or, for your own relay on a private network, ask your operator to allow "
        "that network"
    )


def _dns_unavailable(error) -> str:
    return (
        f"DNS lookup for {error.host} failed ({error.detail}); DNS is not answering right now, "
        "try again in a minute"
    )


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
    if error.step in (Step.CONNECT, Step.TLS):
        return (
            f"{_where(error)} did not answer in time: check the host and port; a firewall may "
            "be dropping the connection"
        )
    label = STEP_PHRASES.get(error.step, "the session")
    return f"The server stopped answering during {label}: try again later"


def _tls_mismatch(error) -> str:
    if error.tls_mode == TlsMode.TLS:
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
    if error.facts.get("mechanism") in OAUTH_MECHANISMS:
        return _token_not_accepted(error, host)
    hint = next((h for suffix, h in _AUTH_HINTS if host.endswith(suffix)), "")
    hint = f"; {hint}" if hint else ""
    return f"Authentication failed ({_server_said(error)}): check the username and password{hint}"


def _token_not_accepted(error, host: str) -> str:
    mailbox = error.facts.get("username") or "the mailbox"
    said = f"The server refused the token for {mailbox} ({_server_said(error)})"
    if host.endswith(_MICROSOFT_HOSTS):
        return (
            f"{said}: register the application's service principal in Exchange Online, give "
            f"it FullAccess to {mailbox}, and make sure SMTP AUTH is enabled for that mailbox "
            "(the commands are in Help → Microsoft 365 with OAuth 2.0)"
        )
    if host.endswith(_GOOGLE_HOSTS):
        return f"{said}: the mailbox must be a user of your Workspace with Gmail enabled"
    return f"{said}: check that the client may send as {mailbox} on this server"


def _basic_auth_disabled(error) -> str:
    return (
        f"The provider no longer accepts passwords for SMTP ({_server_said(error)}): Microsoft "
        "365 is switching basic authentication off. Choose OAuth 2.0 as the sign-in method "
        "(Microsoft 365 section below) and register an application for it"
    )


def _token_refused(error) -> str:
    said = error.reply or error.error
    where = error.facts.get("endpoint") or error.host
    return f"{where} refused the client ({said}): {_token_fix(error)}"


def _token_fix(error) -> str:
    text = f"{error.error} {error.description}"
    for code, fix in _AADSTS_FIXES:
        if code in text:
            return fix
    if error.facts.get("provider") == "google":
        lowered = text.lower()
        for marker, fix in _GOOGLE_FIXES:
            if marker in lowered:
                return fix
    return _OAUTH_FIXES.get(error.error, "check the client ID, the secret and the scope")


def _token_unavailable(error) -> str:
    where = error.facts.get("endpoint") or error.host
    status = error.facts.get("status")
    what = f"answered HTTP {status}" if status else f"could not be reached ({error.detail})"
    return (
        f"The token endpoint {where} {what}: the provider may be having trouble; emails wait "
        "and are retried"
    )


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
    label = STEP_PHRASES.get(error.step, "the session")
    return (
        f"The server closed the connection during {label}: try again; if it keeps happening, "
        "check the port and TLS mode"
    )


def _connection_rejected(error) -> str:
    return (
        f"The server refused the connection ({_server_said(error)}): it may not accept mail "
        "from this platform"
    )


def _secret_unreadable(error) -> str:
    what = {"oauth_secret": "OAuth 2.0 secret", "username": "username (an API token)"}.get(
        error.detail, "password"
    )
    return (
        f"The stored {what} can't be read with the current keys: enter it again under "
        "Integrations → Email SMTP and save"
    )


def _smtputf8(error) -> str:
    return (
        "The server does not accept international (non-ASCII) addresses: use an ASCII From "
        "address, or a provider that supports SMTPUTF8"
    )


def _generic(error) -> str:
    said = _server_said(error)
    label = Reason(error.reason).label if error.reason in Reason.values else "SMTP error"
    where = STEP_PHRASES.get(error.step, "the session")
    return f"{label} during {where}" + (f" ({said})" if said else "")


_MESSAGES = {
    Reason.HOST_BLOCKED: _host_blocked,
    Reason.PORT_NOT_ALLOWED: _port_not_allowed,
    Reason.INVALID_HOST: _invalid_host,
    Reason.UNRESOLVABLE: _unresolvable,
    Reason.DNS_UNAVAILABLE: _dns_unavailable,
    Reason.PLAINTEXT_NOT_ALLOWED: _plaintext,
    Reason.CONNECTION_REFUSED: _connection_refused,
    Reason.UNREACHABLE: _unreachable,
    Reason.TIMEOUT: _timeout,
    Reason.TLS_MISMATCH: _tls_mismatch,
    Reason.CERTIFICATE_INVALID: _certificate_invalid,
    Reason.TLS_FAILED: _tls_failed,
    Reason.STARTTLS_UNAVAILABLE: _starttls_unavailable,
    Reason.AUTH_FAILED: _auth_failed,
    Reason.BASIC_AUTH_DISABLED: _basic_auth_disabled,
    Reason.TOKEN_REFUSED: _token_refused,
    Reason.TOKEN_UNAVAILABLE: _token_unavailable,
    Reason.AUTH_UNAVAILABLE: _auth_unavailable,
    Reason.AUTH_REQUIRED: _auth_required,
    Reason.SENDER_REJECTED: _sender_rejected,
    Reason.RECIPIENT_REJECTED: _recipient_rejected,
    Reason.RELAY_DENIED: _relay_denied,
    Reason.MESSAGE_REJECTED: _message_rejected,
    Reason.RATE_LIMITED: _rate_limited,
    Reason.TEMPORARY_FAILURE: _temporary_failure,
    Reason.CONNECTION_LOST: _connection_lost,
    Reason.CONNECTION_REJECTED: _connection_rejected,
    Reason.SMTPUTF8_UNSUPPORTED: _smtputf8,
    Reason.SECRET_UNREADABLE: _secret_unreadable,
}
