"""SmtpConnection: the one place that opens SMTP connections.

The host is resolved and checked once (policy), the socket goes to a checked address, and
TLS is verified against the host name. smtplib does the SMTP framing; this module owns the
socket, TLS, AUTH and timing so that each step can be reported and bounded by a deadline.
"""

import contextlib
import email.message
import functools
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from typing import NamedTuple

from smtp_integration.transport.auth import (
    authenticate,
    authenticate_oauth,
    choose_mechanism,
    choose_oauth_mechanism,
    secret_forms,
    token_forms,
)
from smtp_integration.transport.deadline import Deadline
from smtp_integration.transport.errors import (
    PermanentSmtpError,
    PlaintextNotAllowed,
    SmtpError,
    SmtpTimeout,
    answered_in_plaintext,
    classify_reply,
    hostport,
    network_error,
)
from smtp_integration.transport.policy import (
    SmtpPolicy,
    parse_host,
    resolve_and_check,
    ssl_context_for,
)
from smtp_integration.transport.text import masked, printable
from smtp_integration.transport.types import (
    Reason,
    SendResult,
    Skipped,
    SmtpServerConfig,
    Step,
    StepResult,
    TlsMode,
)

IMPLICIT_TLS_PORT = 465
# A plain server greets within milliseconds; silence on 465 means it waits for our ClientHello.
IMPLICIT_PORT_GREETING_TIMEOUT = 5.0
TLS_SNIFF_TIMEOUT = 2.0
# How long a server may stay silent before we check, on a second connection, whether it
# expects TLS from the first byte (STARTTLS mode against an implicit-TLS port).
GREETING_PATIENCE = 2.0
REPLY_LIMIT = 300
MASK = "********"
# Secrets shorter than this are not masked in replies: masking "ok" would mangle every reply.
_MIN_MASKED_SECRET = 4


class _Done(NamedTuple):
    facts: dict
    code: int | None = None
    reply: bytes | str = ""


class SmtpConnection:
    """One SMTP session with a tenant's server, opened only to policy-checked addresses.

    ``deadline`` is a time.monotonic() instant after which any operation in progress is cut
    off with SmtpTimeout; a pool may move it forward before each use. ``on_step`` is called
    with each step as soon as it is recorded (a test shows its steps as they arrive).
    """

    def __init__(
        self,
        config: SmtpServerConfig,
        policy: SmtpPolicy,
        *,
        deadline: float | None = None,
        on_step: Callable[[StepResult], None] | None = None,
    ):
        self.config = config
        self.policy = policy
        self.steps: list[StepResult] = []
        self._on_step = on_step
        self._server_name = config.host.strip("[]").removesuffix(".")
        self._addresses = []
        self._address = None
        self._client: smtplib.SMTP | None = None
        self._sock = None
        self._open_steps = 0
        self._broken = False
        self._deadline = Deadline(deadline, on_expiry=self._cut)
        self._secrets = secret_forms(
            config.username, config.password, username_is_secret=config.username_is_secret
        )
        self._token = None

    @property
    def _username_shown(self) -> str:
        username = self.config.username
        return masked(username) if self.config.username_is_secret else username

    @property
    def deadline(self) -> float | None:
        """The time.monotonic() instant at which any operation in progress is cut off."""
        return self._deadline.at

    @deadline.setter
    def deadline(self, at: float | None) -> None:
        self._deadline.at = at

    def __enter__(self) -> "SmtpConnection":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> "SmtpConnection":
        """Resolve, connect, secure, greet and authenticate; closes itself if a step fails."""
        try:
            with self._deadline.watch():
                self._open()
        except SmtpError:
            self.close()
            raise
        self._open_steps = len(self.steps)
        return self

    def send(
        self, msg: email.message.Message, *, from_addr: str, to_addrs: list[str]
    ) -> SendResult:
        """Send one message step by step; raises SmtpError on any reply that is not 2xx."""
        if self._client is None:
            raise RuntimeError("open() the connection before sending")
        # A pooled connection sends thousands of emails: keep the open() steps and this send's.
        del self.steps[self._open_steps :]
        international = not all(address.isascii() for address in [from_addr, *to_addrs])
        policy = msg.policy.clone(linesep="\r\n")
        if international and hasattr(policy, "utf8"):  # compat32 messages have no utf8 mode
            policy = policy.clone(utf8=True)
        payload = msg.as_bytes(policy=policy)
        try:
            with self._deadline.watch():
                mail = functools.partial(self._mail, from_addr, payload, international)
                self._run(Step.MAIL_FROM, mail)
                for address in to_addrs:
                    self._run(Step.RCPT, functools.partial(self._rcpt, address))
                self._run(Step.DATA, functools.partial(self._data, from_addr, payload))
        except SmtpError:
            self._reset_session()
            raise
        accepted = self.steps[-1]
        return SendResult(accepted.code, accepted.reply, msg.get("Message-ID"))

    def noop(self) -> bool:
        """Whether the session still answers (for pooled connections); never raises."""
        if self._client is None or self._broken:
            return False
        try:
            with self._deadline.watch():
                code, _ = self._client.noop()
        except (smtplib.SMTPException, OSError):
            self._broken = True
            return False
        return 200 <= code < 300 and not self._deadline.passed

    def close(self) -> None:
        """QUIT if the session is still usable, then close the socket; never raises."""
        client = self._client
        if client is None:
            return
        if self._broken:
            self._skip(Step.QUIT, Skipped.ALREADY_CLOSED)
        else:
            with contextlib.suppress(SmtpError), self._deadline.watch():
                self._run(Step.QUIT, self._quit)
        self._client = self._sock = None
        client.close()

    # --- the steps ---------------------------------------------------------------------------

    def _open(self) -> None:
        mode = self.config.tls_mode
        if mode == TlsMode.NONE and not self.policy.allow_plaintext:
            self._run(Step.TLS, self._refuse_plaintext)
        self._run(Step.RESOLVE, self._resolve)
        self._run(Step.CONNECT, self._connect)
        if mode == TlsMode.NONE:
            self._skip(Step.TLS, Skipped.PLAINTEXT)
        else:
            self._run(Step.TLS, self._implicit_tls if mode == TlsMode.TLS else self._starttls)
        self._run(Step.EHLO, self._ehlo)
        if self.config.token_source is not None:
            self._run(Step.TOKEN, self._fetch_token)
            self._run(Step.AUTH, self._auth_with_token)
            return
        if self.config.username:
            self._run(Step.AUTH, self._auth)
        else:
            self._skip(Step.AUTH, Skipped.NO_USERNAME)

    def _refuse_plaintext(self) -> _Done:
        raise PlaintextNotAllowed(self.config.host, self.config.port)

    def _resolve(self) -> _Done:
        timeout = self._deadline.limit(self.policy.connect_timeout)
        self._addresses = resolve_and_check(
            self.config.host, self.config.port, self.policy, timeout=timeout
        )
        return _Done(
            {
                "host": self.config.host,
                "ip_literal": not isinstance(parse_host(self.config.host), str),
                "addresses": [str(address) for address in self._addresses],
            }
        )

    def _connect(self) -> _Done:
        self._sock = self._open_socket()
        local_hostname = self.config.local_hostname or _default_local_hostname()
        self._client = smtplib.SMTP(local_hostname=local_hostname)
        self._client.sock = self._sock
        facts = {"address": hostport(self._address, self.config.port)}
        if self.config.tls_mode == TlsMode.TLS:
            return _Done(facts)  # the greeting comes inside TLS
        code, reply = self._greeting()
        return _Done(facts, code, reply)

    def _open_socket(self) -> socket.socket:
        """A TCP connection to the first checked address that accepts one."""
        error = None
        for address in self._addresses:
            self._address = address
            timeout = self._deadline.limit(self.policy.connect_timeout)
            try:
                sock = socket.create_connection((str(address), self.config.port), timeout)
            except OSError as exc:
                error = exc
                continue
            sock.settimeout(self.policy.command_timeout)
            return sock
        raise error

    def _greeting(self) -> tuple[int, bytes]:
        wait = self.policy.command_timeout
        if self.config.port == IMPLICIT_TLS_PORT:
            wait = min(wait, IMPLICIT_PORT_GREETING_TIMEOUT)
        started = time.monotonic()
        if not self._first_byte_within(min(wait, GREETING_PATIENCE)):
            # Silence so far: an implicit-TLS port waits for our ClientHello. Ask a second
            # connection, so that a merely slow server can still greet this one.
            if self._peer_speaks_tls():
                self._broken = True
                raise PermanentSmtpError(
                    f"{self._where()} sent no SMTP greeting but answers TLS: it expects TLS "
                    "from the first byte",
                    reason=Reason.TLS_MISMATCH,
                )
            if not self._first_byte_within(wait - (time.monotonic() - started)):
                self._broken = True
                raise SmtpTimeout(f"{self._where()} sent no SMTP greeting within {wait:.1f} s")
        self._sock.settimeout(self.policy.command_timeout)
        code, reply = self._client.getreply()
        self._expect(Step.CONNECT, code, reply)
        return code, reply

    def _first_byte_within(self, seconds: float) -> bool:
        """Wait for the server's first byte without taking it."""
        if seconds <= 0:
            return False
        self._sock.settimeout(self._deadline.limit(seconds))
        try:
            return bool(self._sock.recv(1, socket.MSG_PEEK))
        except TimeoutError:
            return False

    def _peer_speaks_tls(self) -> bool:
        """Whether a fresh connection to the same checked address answers a TLS handshake."""
        timeout = self._deadline.limit(min(TLS_SNIFF_TIMEOUT, self.policy.command_timeout))
        try:
            with socket.create_connection((str(self._address), self.config.port), timeout) as raw:
                raw.settimeout(timeout)
                context = ssl_context_for(self.policy)
                with context.wrap_socket(raw, server_hostname=self._server_name):
                    return True
        except ssl.SSLCertVerificationError:
            return True
        except ssl.SSLError as exc:
            return not answered_in_plaintext(exc) and not isinstance(exc, ssl.SSLEOFError)
        except OSError:
            return False

    def _implicit_tls(self) -> _Done:
        sock = self._wrap_tls()
        code, reply = self._client.getreply()
        self._expect(Step.CONNECT, code, reply)
        return _Done(self._tls_facts(sock), code, reply)

    def _starttls(self) -> _Done:
        client = self._client
        code, reply = client.ehlo()
        self._expect(Step.EHLO, code, reply)
        if not client.has_extn("starttls"):
            raise PermanentSmtpError(
                f"{self._where()} does not offer STARTTLS",
                reason=Reason.STARTTLS_UNAVAILABLE,
            )
        code, reply = client.docmd("STARTTLS")
        self._expect(Step.TLS, code, reply)
        sock = self._wrap_tls()
        # RFC 3207: forget everything learnt before TLS; the next EHLO asks again.
        client.helo_resp = client.ehlo_resp = None
        client.esmtp_features = {}
        client.does_esmtp = False
        return _Done(self._tls_facts(sock), code, reply)

    def _wrap_tls(self) -> ssl.SSLSocket:
        """Handshake on the connected socket, verifying the certificate against the host name."""
        sock = ssl_context_for(self.policy).wrap_socket(
            self._sock, server_hostname=self._server_name, do_handshake_on_connect=False
        )
        # Tracked before the handshake so that the deadline can cut a stalled one.
        self._sock = self._client.sock = sock
        self._client.file = None
        sock.do_handshake()
        return sock

    def _tls_facts(self, sock: ssl.SSLSocket) -> dict:
        version = (sock.version() or "TLS").replace("TLSv", "TLS ")
        return {"version": version, "server_name": self._server_name}

    def _ehlo(self) -> _Done:
        code, reply = self._client.ehlo()
        self._expect(Step.EHLO, code, reply)
        features = [
            " ".join([name.upper(), *value.split()])
            for name, value in self._client.esmtp_features.items()
        ]
        return _Done({"features": features}, code, reply.split(b"\n")[0])

    def _auth(self) -> _Done:
        offered = self._client.esmtp_features.get("auth", "").upper().split()
        mechanism = choose_mechanism(offered)
        if mechanism is None:
            offers = f"offers only {' '.join(offered)}" if offered else "does not offer AUTH"
            raise PermanentSmtpError(
                f"{self._where()} {offers}",
                reason=Reason.AUTH_UNAVAILABLE,
                detail=" ".join(offered),
            )
        username, password = self.config.username, self.config.password
        code, reply = authenticate(self._client, mechanism, username, password)
        facts = {"username": self._username_shown, "mechanism": mechanism}
        self._expect(Step.AUTH, code, reply, facts=facts)
        return _Done(facts, code, reply)

    def _fetch_token(self, *, fresh: bool = False) -> _Done:
        self._token = self.config.token_source.token(fresh=fresh)
        self._secrets += token_forms(
            self.config.username, self._token.value, self._server_name, self.config.port
        )
        return _Done(
            {
                "endpoint": self._token.endpoint,
                "status": self._token.http_status,
                "cached": self._token.cached,
                "expires_in": self._token.expires_in,
            }
        )

    def _auth_with_token(self) -> _Done:
        offered = self._client.esmtp_features.get("auth", "").upper().split()
        mechanism = choose_oauth_mechanism(offered)
        if mechanism is None:
            raise PermanentSmtpError(
                f"{self._where()} offers no OAuth 2.0 sign-in (XOAUTH2, OAUTHBEARER)",
                reason=Reason.AUTH_UNAVAILABLE,
                detail=" ".join(offered) or "none",
            )
        code, reply = self._sign_in_with_token(mechanism)
        if code == 535 and self._token.cached:
            # A cached token the server no longer takes (revoked, expired early): one more
            # try with a new one, and no more.
            self._fetch_token(fresh=True)
            code, reply = self._sign_in_with_token(mechanism)
        facts = {"username": self._username_shown, "mechanism": mechanism}
        self._expect(Step.AUTH, code, reply, facts=facts)
        return _Done(facts, code, reply)

    def _sign_in_with_token(self, mechanism: str) -> tuple[int, bytes]:
        return authenticate_oauth(
            self._client,
            mechanism,
            self.config.username,
            self._token.value,
            self._server_name,
            self.config.port,
        )

    def _mail(self, from_addr: str, payload: bytes, international: bool) -> _Done:
        options = []
        if international:
            if not self._client.has_extn("smtputf8"):
                raise PermanentSmtpError(
                    "The server does not accept non-ASCII addresses (no SMTPUTF8)",
                    reason=Reason.SMTPUTF8_UNSUPPORTED,
                    mailbox=from_addr,
                )
            options.append("SMTPUTF8")
        if not payload.isascii() and self._client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        code, reply = self._client.mail(from_addr, options)
        self._expect(Step.MAIL_FROM, code, reply, mailbox=from_addr)
        return _Done({"address": from_addr}, code, reply)

    def _rcpt(self, address: str) -> _Done:
        code, reply = self._client.rcpt(address)
        self._expect(Step.RCPT, code, reply, mailbox=address)
        return _Done({"address": address}, code, reply)

    def _data(self, from_addr: str, payload: bytes) -> _Done:
        try:
            code, reply = self._client.data(payload)
        except smtplib.SMTPDataError as exc:  # the DATA command itself was refused
            code, reply = exc.smtp_code, exc.smtp_error
        self._expect(Step.DATA, code, reply, mailbox=from_addr)
        return _Done({"bytes": len(payload)}, code, reply)

    def _quit(self) -> _Done:
        code, reply = self._client.docmd("QUIT")
        self._expect(Step.QUIT, code, reply)
        return _Done({}, code, reply)

    def _reset_session(self) -> None:
        """After a refused email, RSET so that a pooled session can carry the next one."""
        if self._broken or self._client is None:
            return
        try:
            with self._deadline.watch():
                self._client.rset()
        except (smtplib.SMTPException, OSError):
            self._broken = True

    # --- bookkeeping ---------------------------------------------------------------------------

    def _run(self, name: Step, action) -> None:
        """Run one step, record it, and turn any failure into an SmtpError."""
        started = time.perf_counter()
        try:
            done = action()
            if self._deadline.passed:
                # The cut may have ended a partial line that smtplib then parsed as a reply.
                raise SmtpTimeout()
        except (SmtpError, smtplib.SMTPException, OSError) as exc:
            error = self._translate(name, exc)
            self._record(
                name, False, error.code, error.reply, error.facts, started, reason=error.reason
            )
            if error is exc:
                raise
            raise error from exc
        self._record(name, True, done.code, done.reply, done.facts, started)

    def _skip(self, name: Step, why: Skipped) -> None:
        self._append(StepResult(name, None, skipped=why))

    def _record(self, name, ok, code, reply, facts, started, *, reason=None) -> None:
        self._append(
            StepResult(
                name,
                ok,
                code,
                self._text(reply),
                facts,
                (time.perf_counter() - started) * 1000,
                reason=reason,
            )
        )

    def _append(self, step: StepResult) -> None:
        self.steps.append(step)
        if self._on_step is not None:
            self._on_step(step)

    def _expect(
        self, step: str, code: int, reply: bytes, *, mailbox: str | None = None, facts=None
    ) -> None:
        if not 200 <= code < 300:
            error = classify_reply(step, code, self._text(reply))
            error.mailbox = mailbox
            error.facts = facts or {}
            raise error

    def _translate(self, step: str, exc: Exception) -> SmtpError:
        if self._deadline.passed:
            error = SmtpTimeout(f"the time limit ran out ({step})")
        elif isinstance(exc, SmtpError):
            error = exc
        else:
            where = self._where()
            if self._address is not None and str(self._address) != self._server_name:
                where += f" ({self._address})"
            error = network_error(step, exc, where=where, tls_mode=self.config.tls_mode)
        if not isinstance(exc, SmtpError) or error.code == 421 or error.reason == Reason.TIMEOUT:
            self._broken = True  # the session cannot carry another command
        error.step = step
        error.host = error.host or self.config.host
        error.port = error.port or self.config.port
        error.tls_mode = self.config.tls_mode
        error.message = self._scrub(error.message)
        error.reply = self._scrub(error.reply)
        error.detail = self._scrub(error.detail)
        return error

    def _where(self) -> str:
        return hostport(self.config.host, self.config.port)

    def _text(self, reply: bytes | str) -> str:
        """A server reply as one printable, trimmed line of text, with any secret masked."""
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return printable(self._scrub(reply), REPLY_LIMIT)

    def _scrub(self, text: str) -> str:
        """The text with any form of the password masked and no control characters."""
        text = printable(text, None)
        for secret in self._secrets:
            if len(secret) >= _MIN_MASKED_SECRET:
                text = text.replace(secret, MASK)
        return text

    def _cut(self) -> None:
        """Deadline passed: shut the socket down so that the blocked read returns now."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown: SSLSocket.shutdown would also drop its TLS
                # state under the feet of the thread that is reading.
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)


@functools.cache
def _default_local_hostname() -> str:
    # Looked up once: getfqdn() may wait on reverse DNS. Callers should pass local_hostname.
    return socket.getfqdn()
