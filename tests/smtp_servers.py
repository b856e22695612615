"""Real SMTP servers on 127.0.0.1 for tests, with TLS, AUTH, scripted failures and records.

    with SmtpTestServer(mode="starttls", auth={"apikey": "secret"}) as server:
        ...connect to server.host, server.port...
        assert server.messages[0].message["Subject"] == "Hello"

Servers start in a few milliseconds, so most tests make their own; session fixtures can reuse
one and call reset() between tests. Certificates come from a throwaway CA (``certificates()``):
``ca_signed`` (localhost, smtp.test, 127.0.0.1), ``self_signed`` (same names) and
``wrong_name`` (CA-signed, for other.example only).
"""

import asyncio
import base64
import binascii
import datetime
import email
import email.policy
import functools
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
# Where the test servers listen: what the platform must be allowed to reach to use them.
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
SMTP_USERNAME = "apikey"
SMTP_PASSWORD = "Sm7p-pa55word-do-not-leak"
SERVER_NAMES = ("localhost", "smtp.test", "smtp.postmarkapp.com")
# Steps a reply can be scripted at; "data" is the reply after the final dot.
SCRIPTABLE_STEPS = ("greeting", "ehlo", "auth", "mail_from", "rcpt", "data")
AUTH_MECHANISMS = ("PLAIN", "LOGIN")
OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
# Google's answer to a refused bearer token (RFC 7628 error challenge), before its 535.
OAUTH_ERROR = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}


# --- certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertPair:
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class Certificates:
    """Files of a test CA and of the server certificates made with it."""

    ca_file: Path
    ca_signed: CertPair
    self_signed: CertPair
    wrong_name: CertPair


def make_certificates(directory: Path) -> Certificates:
    """A test CA and three server certificates, written as PEM files into directory."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Cymmetri Test CA")
    ca_cert = _certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True, names=())
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return Certificates(
        ca_file=ca_file,
        ca_signed=_issue(directory, "ca-signed", SERVER_NAMES, issuer=(ca_name, ca_key)),
        self_signed=_issue(directory, "self-signed", SERVER_NAMES, issuer=None),
        wrong_name=_issue(directory, "wrong-name", ("other.example",), issuer=(ca_name, ca_key)),
    )


@functools.cache
def certificates() -> Certificates:
    """The process-wide test certificates, made on first use (a few milliseconds)."""
    directory = Path(tempfile.mkdtemp(prefix="smtp-test-certs-"))
    return make_certificates(directory)


def server_tls_context(pair: CertPair) -> ssl.SSLContext:
    """A server-side TLS context presenting pair."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pair.cert_file, pair.key_file)
    return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(directory: Path, stem: str, names, *, issuer) -> CertPair:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(names[0])
    issuer_name, issuer_key = issuer or (subject, key)
    cert = _certificate(subject, key.public_key(), issuer_name, issuer_key, ca=False, names=names)
    pair = CertPair(directory / f"{stem}.pem", directory / f"{stem}.key")
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pair


def _certificate(subject, public_key, issuer, signing_key, *, ca: bool, names) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        alt_names = [x509.DNSName(name) for name in names]
        if "localhost" in names:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(HOST)))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    # time.time() when the client sent MAIL FROM (the send started) and when DATA ended.
    mail_from_at: float = 0.0
    received_at: float = 0.0


@dataclass(frozen=True)
class AuthAttempt:
    mechanism: str
    username: str
    password: str
    success: bool


# --- the aiosmtpd server -----------------------------------------------------------------------


class SmtpTestServer:
    """An aiosmtpd server on 127.0.0.1 and a free port, in a thread; use as a context manager.

    mode: "starttls" (plain first, STARTTLS offered unless offer_starttls=False), "tls"
    (implicit TLS from the first byte) or "plain" (no TLS, AUTH offered in the clear).
    auth: {username: password} to accept, or None for a server without AUTH.
    auth_mechanisms: the AUTH mechanisms offered, of PLAIN and LOGIN (and, with oauth, XOAUTH2
    and OAUTHBEARER).
    oauth: ``accepts(user, token) -> bool`` for OAuth 2.0 bearer tokens (SASL XOAUTH2 and
    OAUTHBEARER); a refused token gets Google's error challenge, then 535.
    script: {step: "550 5.7.1 Sender not verified"}, replies given every time (see fail_at()).
    """

    def __init__(
        self,
        mode: str = "starttls",
        *,
        auth: dict[str, str] | None = None,
        offer_starttls: bool = True,
        auth_mechanisms: tuple[str, ...] | None = None,
        oauth: Callable[[str, str], bool] | None = None,
        cert: CertPair | None = None,
        script: dict[str, str] | None = None,
        port: int = 0,
        data_delay: float = 0.0,
        accept_reply: str = "",
    ):
        if mode not in ("starttls", "tls", "plain"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.credentials = auth
        self.oauth = oauth
        if auth_mechanisms is None:
            auth_mechanisms = OAUTH_MECHANISMS if oauth else AUTH_MECHANISMS
        if oauth and auth is None:
            self.credentials = {}  # AUTH is offered, for tokens only
        self.host = HOST
        self.port: int | None = None
        self._requested_port = port
        # Seconds to wait before accepting each message, like a busy provider.
        self.data_delay = data_delay
        # The reply to an accepted message; empty: "250 2.0.0 OK: queued as <n>".
        self.accept_reply = accept_reply
        self._running = False
        self._sessions = weakref.WeakSet()  # live _RecordingSMTP instances, for stop()
        self._lock = threading.Lock()
        self._initial_script = dict(script or {})
        self._controller = self._make_controller(
            cert or certificates().ca_signed, offer_starttls, auth_mechanisms
        )
        self.reset()

    def _make_controller(self, cert: CertPair, offer_starttls: bool, mechanisms) -> Controller:
        options = {
            "server_hostname": "smtp.test",
            "authenticator": self._authenticate,
            "auth_exclude_mechanism": {*AUTH_MECHANISMS, *OAUTH_MECHANISMS} - set(mechanisms),
        }
        if self.mode == "tls":
            # aiosmtpd cannot tell the socket is already TLS: without this it hides AUTH.
            options.update(ssl_context=server_tls_context(cert), auth_require_tls=False)
        elif self.mode == "starttls" and offer_starttls:
            options.update(tls_context=server_tls_context(cert), auth_require_tls=True)
        else:
            # A sloppy server offering AUTH in the clear: the client must not take the offer.
            options.update(auth_require_tls=False)
        return _Controller(
            self, _Handler(self), hostname=HOST, port=self._requested_port, **options
        )

    def start(self) -> "SmtpTestServer":
        """Start listening; records start empty (the start-up probe is not counted)."""
        self._controller.start()
        self._running = True
        self.port = self._controller.port
        self.reset()
        return self

    def stop(self) -> None:
        """Stop listening and close open sessions; stopping twice is harmless."""
        if self._running:
            # aiosmtpd's stop() cancels sessions but leaves their sockets open.
            self._controller.loop.call_soon_threadsafe(self._close_sessions)
            self._controller.stop()
            self._running = False

    def drop_sessions(self) -> None:
        """Close every open session and keep listening, as providers do with idle ones."""

        async def close() -> None:
            self._close_sessions()

        asyncio.run_coroutine_threadsafe(close(), self._controller.loop).result(timeout=5)

    def _close_sessions(self) -> None:
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.abort()  # close() would wait on a TLS goodbye that never comes

    def __enter__(self) -> "SmtpTestServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget records and scripted replies (for a server reused across tests)."""
        with self._lock:
            self.messages: list[ReceivedMessage] = []
            self.auth_attempts: list[AuthAttempt] = []
            self.commands: list[str] = []
            self.ehlo_names: list[str] = []  # what clients said they are
            self.connections = 0
            self._scripts = {step: [reply, None] for step, reply in self._initial_script.items()}

    def fail_at(self, step: str, reply: str, *, times: int | None = None) -> None:
        """Answer reply at step, the next `times` times (None: always), e.g. "421 4.7.0 Later"."""
        if step not in SCRIPTABLE_STEPS:
            raise ValueError(f"step must be one of {SCRIPTABLE_STEPS}")
        with self._lock:
            self._scripts[step] = [reply, times]

    def scripted_reply(self, step: str) -> str | None:
        """The scripted reply for step, used up once; None to behave normally."""
        with self._lock:
            script = self._scripts.get(step)
            if script is None:
                return None
            reply, times = script
            if times is not None:
                if times <= 1:
                    del self._scripts[step]
                else:
                    script[1] = times - 1
            return reply

    def _record(self, attribute: str, value) -> None:
        with self._lock:
            getattr(self, attribute).append(value)

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        username = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        scripted = self.scripted_reply("auth")
        success = scripted is None and (self.credentials or {}).get(username) == password
        self._record("auth_attempts", AuthAttempt(mechanism, username, password, success))
        if success:
            return AuthResult(success=True, auth_data=auth_data)
        # handled=False makes aiosmtpd send the reply; handled=True would leave the client hanging.
        return AuthResult(success=False, handled=False, message=scripted)

    async def oauth_sign_in(self, smtp, mechanism: str, args: list[str]) -> AuthResult:
        """One SASL XOAUTH2 or OAUTHBEARER exchange, the way Google answers it."""
        try:
            blob = base64.b64decode(args[1], validate=True) if len(args) > 1 else b""
        except binascii.Error:
            return AuthResult(success=False, handled=False, message="501 5.5.2 Bad base64")
        if not blob:
            blob = await smtp.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        user, token = _bearer_parts(mechanism, blob.decode("utf-8", "replace"))
        scripted = self.scripted_reply("auth")
        success = scripted is None and self.oauth is not None and self.oauth(user, token)
        self._record("auth_attempts", AuthAttempt(mechanism, user, token, success))
        if success:
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        if scripted:
            return AuthResult(success=False, handled=False, message=scripted)
        await smtp.challenge_auth(json.dumps(OAUTH_ERROR))  # the client answers empty or ^A
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )


def _bearer_parts(mechanism: str, text: str) -> tuple[str, str]:
    """(user, token) of an XOAUTH2 or OAUTHBEARER initial response."""
    fields = text.split("\x01")
    user = ""
    if mechanism == "XOAUTH2":
        user = fields[0].removeprefix("user=")
    else:
        gs2 = fields[0].split(",")
        user = next((part[2:] for part in gs2 if part.startswith("a=")), "")
    auth = next((f for f in fields if f.startswith("auth=")), "")
    return user, auth.removeprefix("auth=Bearer ")


class _Handler:
    """aiosmtpd hooks: scripted replies first, else accept and record."""

    def __init__(self, server: SmtpTestServer):
        self.server = server

    async def auth_XOAUTH2(self, smtp, args):
        return await self.server.oauth_sign_in(smtp, "XOAUTH2", args)

    async def auth_OAUTHBEARER(self, smtp, args):
        return await self.server.oauth_sign_in(smtp, "OAUTHBEARER", args)

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        scripted = self.server.scripted_reply("ehlo")
        if scripted:
            return [scripted]
        session.host_name = hostname
        self.server._record("ehlo_names", hostname)
        if self.server.credentials is None:
            return [line for line in responses if not line[4:].startswith("AUTH")]
        return responses

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        scripted = self.server.scripted_reply("mail_from")
        if scripted:
            return scripted
        envelope.mail_from = address
        envelope.mail_from_at = time.time()
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        scripted = self.server.scripted_reply("rcpt")
        if scripted:
            return scripted
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, smtp, session, envelope):
        scripted = self.server.scripted_reply("data")
        if scripted:
            return scripted
        if self.server.data_delay:
            await asyncio.sleep(self.server.data_delay)
        raw = bytes(envelope.original_content or envelope.content)
        # Parsed with LF line ends so that get_content() compares with the text that was sent.
        message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        received = ReceivedMessage(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message,
            raw,
            mail_from_at=getattr(envelope, "mail_from_at", 0.0),
            received_at=time.time(),
        )
        self.server._record("messages", received)
        return self.server.accept_reply or f"250 2.0.0 OK: queued as {len(self.server.messages)}"


class _RecordingSMTP(SMTP):
    """aiosmtpd's SMTP, counting connections, logging command verbs and scripting the greeting."""

    def __init__(self, owner: SmtpTestServer, handler, **options):
        super().__init__(handler, **options)
        self._owner = owner
        self._smtp_methods = {
            verb: functools.partial(self._logged, verb, method)
            for verb, method in self._smtp_methods.items()
        }

    async def _logged(self, verb, method, arg):
        self._owner._record("commands", verb)
        await method(arg)

    def _create_session(self):
        return _Session(self.loop)

    def connection_made(self, transport):
        if self.transport is None:  # not the second call that follows STARTTLS
            self._owner._count_connection()
            self._owner._sessions.add(self)
        super().connection_made(transport)

    async def _handle_client(self):
        scripted = self._owner.scripted_reply("greeting")
        if scripted:
            await self.push(scripted)
            self.transport.close()
            return
        await super()._handle_client()


class _Session(Session):
    # aiosmtpd itself sets the deprecated login_data after AUTH; a plain attribute stays quiet.
    login_data = None


class _Controller(Controller):
    def __init__(self, owner: SmtpTestServer, handler, **options):
        super().__init__(handler, **options)
        self._owner = owner

    def factory(self):
        return _RecordingSMTP(self._owner, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self):
        # Bound to port 0: learn the real port before aiosmtpd's start-up probe connects.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


# --- a server that never greets ----------------------------------------------------------------


class SilentServer:
    """Accepts TCP on 127.0.0.1 and never sends a greeting; with drip, sends "2" every drip s.

    Stands in for a dead server, for an implicit-TLS port seen by a plain client (both sides
    wait), and, dripping, for a server that keeps a per-read timeout alive forever. With cert,
    it completes a TLS handshake first (and drips inside TLS).
    """

    def __init__(self, *, drip: float | None = None, cert: CertPair | None = None):
        self.drip = drip
        self.mode = "tls" if cert else "starttls"  # the TLS mode a client should use
        self._tls = server_tls_context(cert) if cert else None
        self.host = HOST
        self.connections = 0
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="silent-smtp", daemon=True)

    def __enter__(self) -> "SilentServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        self._thread.join()
        for sock in [*self._sockets, self._listener]:
            sock.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._sockets.append(sock)
            if self.drip or self._tls:
                threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        if self._tls:
            try:
                sock = self._tls.wrap_socket(sock, server_side=True)
            except OSError:
                return
            self._sockets.append(sock)  # held open until the server stops
        while self.drip and not self._stopping.wait(self.drip):
            try:
                sock.sendall(b"2")
            except OSError:
                return


def free_port() -> int:
    """A loopback port with nothing listening (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]
