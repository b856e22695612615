"""Messages as they go on the wire: the usual one written directly, the rest by the email
package, both read back the same by a mail client, none with a header a value could start."""

from __future__ import annotations

import email
import email.policy

import pytest

from smtp_integration.transport import HeaderInjectionError, build_message
from smtp_integration.transport.message import WireMessage

HTML = "<p>Your code is <b>493027</b> = valid for 10 minutes.</p>\n<p>Grüße</p>\n"


def build(**overrides):
    options = {
        "from_address": "noreply@acme.test",
        "from_name": "Acme Auth",
        "to": "ada@example.com",
        "subject": "Your sign-in code",
        "text": "Your code is 493027.\n\nIt is valid for 10 minutes.\n",
        "html": HTML,
        "reply_to": "support@acme.test",
        "message_id": "<abc@mail.acme.test>",
        "headers": {"Auto-Submitted": "auto-generated"},
    } | overrides
    return build_message(**options)


def read(message):
    """The message as a mail client reads it (the test SMTP server parses it the same way)."""
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    return email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)


def test_the_usual_message_is_written_directly_and_reads_as_sent():
    message = build()
    assert isinstance(message, WireMessage)

    parsed = read(message)

    assert parsed["From"].addresses[0].display_name == "Acme Auth"
    assert parsed["From"].addresses[0].addr_spec == "noreply@acme.test"
    assert (parsed["To"], parsed["Reply-To"]) == ("ada@example.com", "support@acme.test")
    assert parsed["Subject"] == "Your sign-in code"
    assert parsed["Message-ID"] == "<abc@mail.acme.test>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content() == (
        "Your code is 493027.\n\nIt is valid for 10 minutes.\n"
    )
    assert parsed.get_body(("html",)).get_content() == HTML
    assert message.get("Message-ID") == "<abc@mail.acme.test>"


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Ihr Anmeldecode für Köln"},
        {"from_name": "Grüße GmbH"},
    ],
)
def test_headers_that_need_encoding_or_folding_read_as_sent(overrides):
    parsed = read(build(**overrides))

    assert parsed["Subject"] == overrides.get("subject", "Your sign-in code")
    assert parsed["From"].addresses[0].display_name == overrides.get("from_name", "Acme Auth")
    assert parsed.get_body(("html",)).get_content() == HTML


@pytest.mark.parametrize(
    "text",
    [
        "A line longer than a 7bit body allows: " + "x" * 1000 + "\n",
        "Grüße aus Köln\n",
        "A stray \x00 NUL and a bare\rCR\n",
    ],
)
def test_text_that_7bit_cannot_carry_goes_quoted_printable_and_reads_back(text):
    parsed = read(build(text=text, html=None))

    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert parsed.get_content() == text


def test_a_long_subject_is_folded_by_the_email_package():
    subject = "A subject long enough that its header line runs past seventy-eight characters"
    message = build(subject=subject)

    assert not isinstance(message, WireMessage)
    assert b"Subject: A subject long enough" in message.as_bytes()
    assert read(message)["Subject"] == subject


def test_every_line_on_the_wire_fits_rfc_5322():
    raw = build(text="y" * 5000 + "\n", html="<p>" + "z" * 5000 + "</p>").as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


@pytest.mark.parametrize("field", ["subject", "from_name", "to", "reply_to", "message_id"])
def test_a_line_break_in_a_header_value_is_refused(field):
    with pytest.raises(HeaderInjectionError):
        build(**{field: "ok\r\nBcc: victim@example.com"})


def test_international_addresses_use_the_modern_email_api():
    parsed = read(build(to="jürgen@beispiel.de"))
    assert parsed["To"] == "jürgen@beispiel.de"
