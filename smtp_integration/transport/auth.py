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


def secret_forms(username: str, password: str, *, username_is_secret: bool = False) -> list[str]:
    """The password (and a username that is a credential) as a careless server might echo
    them: as typed and as sent on the wire."""
    forms = [password, _plain_token(username, password), _b64(password)]
    if username_is_secret:
        forms += [username, _b64(username)]
    return forms


def _plain_token(username: str, password: str) -> str:
    return _b64(f"\0{username}\0{password}")  # RFC 4616: authzid NUL authcid NUL passwd


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


# --- OAuth 2.0 bearer tokens (SASL XOAUTH2, and OAUTHBEARER of RFC 7628) ---------------------

# XOAUTH2 first: Microsoft 365 and Google offer it; OAUTHBEARER where a server offers only that.
OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def choose_oauth_mechanism(offered: list[str]) -> str | None:
    return next((m for m in OAUTH_MECHANISMS if m in offered), None)


def oauth_initial_response(mechanism: str, user: str, token: str, host: str, port: int) -> str:
    if mechanism == "XOAUTH2":
        return _b64(f"user={user}\x01auth=Bearer {token}\x01\x01")
    # RFC 7628: a GS2 header naming the user, then key=value pairs, each ended by ^A.
    return _b64(f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")


def authenticate_oauth(
    client: smtplib.SMTP, mechanism: str, user: str, token: str, host: str, port: int
) -> tuple[int, bytes]:
    """One AUTH exchange with a bearer token; the server's last reply."""
    code, reply = client.docmd(
        "AUTH", f"{mechanism} {oauth_initial_response(mechanism, user, token, host, port)}"
    )
    if code == 334:
        # The server refused the token and sent its reasons (base64 JSON): an empty response
        # (XOAUTH2) or ^A (OAUTHBEARER) ends the exchange, and it answers 5xx.
        code, reply = client.docmd("" if mechanism == "XOAUTH2" else _b64("\x01"))
    return code, reply


def token_forms(user: str, token: str, host: str, port: int) -> list[str]:
    """The token as a careless server might echo it back."""
    return [token, *(oauth_initial_response(m, user, token, host, port) for m in OAUTH_MECHANISMS)]
