"""Building RFC 5322 messages: the one place headers are put together.

The mailer builds one message per email, so this uses the email package's compat32 MIME
classes, about four times faster than EmailMessage. compat32 does not refuse line breaks
in header values by itself, so every header value is checked here first.
"""

from __future__ import annotations

import re
import uuid
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid

_LINE_BREAK = re.compile(r"[\r\n\x00]")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any client's "show source", unlike base64


class HeaderInjectionError(ValueError):
    """A header value contained a line break: refused rather than sent."""


def message_id_for(from_address: str) -> str:
    """A new Message-ID on the From domain."""
    return make_msgid(domain=from_address.rpartition("@")[2] or "localhost")


def _header(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise HeaderInjectionError("Header values may not contain line breaks.")
    return value if value.isascii() else Header(value, "utf-8").encode()


def _text(body: str, subtype: str) -> MIMEText:
    # 7-bit bodies go as they are; anything else as quoted-printable UTF-8.
    return MIMEText(body, subtype, "us-ascii" if body.isascii() else _UTF8_QP)


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
) -> Message:
    """A plain-text (and optionally HTML) message; header values are encoded, never spliced."""
    addresses = [from_address, to, reply_to]
    if not all(address.isascii() for address in addresses):
        return _international(
            from_address=from_address,
            from_name=from_name,
            to=to,
            subject=subject,
            text=text,
            html=html,
            reply_to=reply_to,
            message_id=message_id,
            headers=headers,
        )
    for address in addresses:
        _header(address)
    if html:
        # A random boundary of our own spares the generator a regex scan of the body.
        message: Message = MIMEMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}")
        message.attach(_text(text, "plain"))
        message.attach(_text(html, "html"))
    else:
        message = _text(text, "plain")
    message["From"] = formataddr((_header(from_name), from_address), charset="utf-8")
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = _header(subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = _header(message_id or message_id_for(from_address))
    for name, value in (headers or {}).items():
        message[name] = _header(value)
    return message


def _international(
    *, from_address, from_name, to, subject, text, html, reply_to, message_id, headers
) -> EmailMessage:
    """Non-ASCII addresses need SMTPUTF8 and the modern email API (rare, so not the fast path)."""
    message = EmailMessage()
    local, _, domain = from_address.rpartition("@")
    message["From"] = Address(display_name=from_name, username=local, domain=domain)
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id or message_id_for(from_address)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message
