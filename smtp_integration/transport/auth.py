"""AUTH: one mechanism, one attempt, UTF-8 credentials."""

import base64
import smtplib

# One mechanism, one attempt: smtplib's login() tries PLAIN then LOGIN, so a wrong password
# would cost two failures at the provider (and count twice towards a lockout).
PREFERRED_MECHANISMS = ("PLAIN", "LOGIN")


def choose_mechanism(offered: list[str]) -> str | None:
    """The first of PLAIN and LOGIN that the server offers, or None."""
    return next((m for m in PREFERRED_MECHANISMS if m in offered), None)


def authenticate(
    client: smtplib.SMTP, mechanism: str, username: str, password: str
) -> tuple[int, bytes]:
    """Run one AUTH exchange and return the server's last reply."""
    # By hand, because smtplib's auth() encodes credentials as ASCII; RFC 4616 says UTF-8.
    if mechanism == "PLAIN":
        return client.docmd("AUTH", "PLAIN " + _plain_token(username, password))
    code, reply = client.docmd("AUTH", "LOGIN")
    if code == 334:
        code, reply = client.docmd(_b64(username))
    if code == 334:
        code, reply = client.docmd(_b64(password))
    return code, reply


def secret_forms(username: str, password: str) -> list[str]:
    """The password as a careless server might echo it: as typed and as sent on the wire."""
    return [password, _plain_token(username, password), _b64(password)]


def _plain_token(username: str, password: str) -> str:
    return _b64(f"\0{username}\0{password}")  # RFC 4616: authzid NUL authcid NUL passwd


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
