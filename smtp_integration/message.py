"""Building RFC 5322 messages: the one place headers are put together."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def message_id_for(from_address: str, unique: str | None = None) -> str:
    """A Message-ID on the From domain; stable when ``unique`` is given (retries keep it)."""
    domain = from_address.rpartition("@")[2] or "localhost"
    if unique:
        return f"<{unique}@{domain}>"
    return make_msgid(domain=domain)


def build_message(
    *,
    from_address: str,
    from_name: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str = "",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text (and optionally HTML) message; header values are encoded, never spliced."""
    message = EmailMessage()
    local, _, domain = from_address.rpartition("@")
    message["From"] = Address(display_name=from_name, username=local, domain=domain)
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    # The email package refuses CR/LF in header values, which guards subjects too.
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or message_id_for(from_address)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message
