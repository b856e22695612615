"""Building RFC 5322 messages: the one place headers are put together.

The mailer builds one message per email. The usual one (ASCII addresses, headers that fit a
line) is written straight to its wire form: text as 7bit when it can be, else quoted-printable
UTF-8, HTML as quoted-printable UTF-8, each line within the limits of RFC 5322. Anything else
goes through the email package: compat32 MIME classes (about four times faster than
EmailMessage), or EmailMessage for international addresses. compat32 does not refuse line
breaks in header values by itself, so every header value is checked here first.
"""

from __future__ import annotations

import binascii
import re
import uuid
from email import policy as email_policy
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid

_LINE_BREAK = re.compile(r"[\r\n\x00]")
# RFC 5322 asks for header lines of at most 78 characters; longer ones are folded by the
# email package instead.
_HEADER_LINE = 78
_7BIT_LINE = 998
# In a 7bit body only printable ASCII, tabs and line ends may appear.
_NOT_7BIT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
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


class WireMessage:
    """A message already in its wire form (CRLF line ends), sent as it is."""

    policy = email_policy.compat32

    def __init__(self, data: bytes, headers: dict[str, str]):
        self._data = data
        self._headers = {name.lower(): value for name, value in headers.items()}

    def as_bytes(self, policy=None) -> bytes:
        return self._data

    def get(self, name: str, default=None):
        return self._headers.get(name.lower(), default)

    def __getitem__(self, name: str):
        return self._headers.get(name.lower())


def _wire_part(body: str, subtype: str) -> bytes:
    lines = body.split("\n")
    if (
        subtype == "plain"
        and body.isascii()
        and not _NOT_7BIT.search(body)
        and max(map(len, lines)) <= _7BIT_LINE
    ):
        return (
            b'Content-Type: text/plain; charset="us-ascii"\r\n'
            b"Content-Transfer-Encoding: 7bit\r\n\r\n" + "\r\n".join(lines).encode("ascii")
        )
    encoded = binascii.b2a_qp(body.encode("utf-8"), istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'.encode()
        + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    )


def _wire_message(headers: dict[str, str], text: str, html: str | None) -> WireMessage | None:
    """The message in wire form, or None when a header needs the email package's folding."""
    lines = []
    for name, value in headers.items():
        if not value.isascii() or len(name) + 2 + len(value) > _HEADER_LINE:
            return None
        lines.append(f"{name}: {value}")
    if html:
        boundary = f"=_{uuid.uuid4().hex}"
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        delimiter = f"\r\n--{boundary}\r\n".encode()
        body = (
            delimiter.lstrip(b"\r\n")
            + _wire_part(text, "plain")
            + delimiter
            + _wire_part(html, "html")
            + f"\r\n--{boundary}--\r\n".encode()
        )
        head = "\r\n".join([*lines, "MIME-Version: 1.0"]).encode() + b"\r\n\r\n"
        return WireMessage(head + body, headers)
    part = _wire_part(text, "plain")
    head = "\r\n".join([*lines, "MIME-Version: 1.0"]).encode() + b"\r\n"
    return WireMessage(head + part + (b"" if part.endswith(b"\r\n") else b"\r\n"), headers)


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
) -> Message | WireMessage:
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
    wire_headers = {
        "From": formataddr((_header(from_name), from_address), charset="utf-8"),
        "To": to,
        **({"Reply-To": reply_to} if reply_to else {}),
        "Subject": _header(subject),
        "Date": formatdate(usegmt=True),
        "Message-ID": _header(message_id or message_id_for(from_address)),
        **{name: _header(value) for name, value in (headers or {}).items()},
    }
    wire = _wire_message(wire_headers, text, html)
    if wire is not None:
        return wire
    if html:
        # A random boundary of our own spares the generator a regex scan of the body.
        message: Message = MIMEMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}")
        message.attach(_text(text, "plain"))
        message.attach(_text(html, "html"))
    else:
        message = _text(text, "plain")
    for name, value in wire_headers.items():
        message[name] = value
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
