"""A real OAuth 2.0 token endpoint over HTTPS on 127.0.0.1, for tests.

It speaks like the three kinds of endpoint the platform asks for tokens:

- ``/ms/{tenant}/oauth2/v2.0/token``: Microsoft identity platform v2.0, client credentials with
  the secret in the body, scope ``https://outlook.office365.com/.default``, errors with AADSTS
  codes as Microsoft words them;
- ``/google/token``: Google's JWT bearer grant (RFC 7523): the assertion's RS256 signature is
  verified against the service account's public key (by ``kid``), and its issuer, audience,
  scope, subject and lifetime are checked;
- ``/generic/token``: client credentials with HTTP Basic client authentication (Keycloak…).

Tokens it issues are remembered, so an SMTP test server can accept exactly those (``accepts``).
Controls: ``down`` (503 to everything), ``revoke_client``, ``expires_in``, ``reset()``; records:
``requests`` (one per token request, with its kind and form).
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from tests.smtp_servers import HOST, certificates, server_tls_context

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass
class ServiceAccount:
    """A Google service account: its key pair and the users it may act for."""

    client_email: str
    key_id: str
    private_key_pem: str = field(repr=False)
    public_key: str = field(repr=False)  # PEM
    delegated: set[str] = field(default_factory=set)

    @classmethod
    def make(cls, client_email: str, delegated=()) -> ServiceAccount:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(client_email, secrets.token_hex(20), pem, public.decode(), set(delegated))

    def json_key(self, **overrides) -> str:
        """The JSON key file as Google Cloud console downloads it."""
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "cymmetri-test",
                "private_key_id": self.key_id,
                "private_key": self.private_key_pem,
                "client_email": self.client_email,
                "client_id": "104857600000000000001",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": "https://oauth2.googleapis.com/token",
                **overrides,
            }
        )


@dataclass(frozen=True)
class TokenRequestRecord:
    kind: str  # "microsoft", "google" or "generic"
    form: dict[str, str] = field(repr=False)
    status: int = 200


@dataclass(frozen=True)
class Issued:
    subject: str | None  # the user a Google token acts for; None: the client's own token
    client: str
    expires_at: float


class OAuthTestServer:
    """Start with ``with OAuthTestServer() as server:`` or start()/stop()."""

    def __init__(self) -> None:
        self.host = "localhost"
        self.port: int | None = None
        self._lock = threading.Lock()
        # Microsoft: {(tenant, client_id): secret}; generic: {client_id: secret}.
        self.microsoft_apps: dict[tuple[str, str], str] = {}
        self.expired_secrets: set[str] = set()
        self.generic_clients: dict[str, str] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.reset()
        self._httpd = ThreadingHTTPServer((HOST, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._httpd.socket = server_tls_context(certificates().ca_signed).wrap_socket(
            self._httpd.socket, server_side=True
        )
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OAuthTestServer:
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OAuthTestServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.requests: list[TokenRequestRecord] = []
            self.issued: dict[str, Issued] = {}
            self.down = False
            self.expires_in = 3600
            self.revoked: set[str] = set()

    # --- where the platform points --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def microsoft_authority(self) -> str:
        return f"{self.base_url}/ms"

    @property
    def google_token_url(self) -> str:
        return f"{self.base_url}/google/token"

    @property
    def generic_token_url(self) -> str:
        return f"{self.base_url}/generic/token"

    # --- registrations and controls --------------------------------------------------------------

    def register_microsoft_app(self, tenant_id: str, client_id: str, secret: str) -> None:
        self.microsoft_apps[(tenant_id, client_id)] = secret

    def register_generic_client(self, client_id: str, secret: str) -> None:
        self.generic_clients[client_id] = secret

    def register_service_account(self, account: ServiceAccount) -> ServiceAccount:
        self.service_accounts[account.client_email] = account
        return account

    def revoke_client(self, client: str) -> None:
        """The client (or service account) is refused from now on, its tokens too."""
        with self._lock:
            self.revoked.add(client)

    def requests_of(self, kind: str) -> list[TokenRequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.kind == kind]

    def accepts(self, user: str, token: str) -> bool:
        """Whether ``token`` was issued here, is live, and may act for ``user``."""
        with self._lock:
            issued = self.issued.get(token)
            return (
                issued is not None
                and issued.client not in self.revoked
                and time.time() < issued.expires_at
                and issued.subject in (None, user)
            )

    # --- answers -------------------------------------------------------------------------------

    def _issue(self, kind: str, form: dict, *, client: str, subject: str | None = None):
        token = f"{kind}-token-" + secrets.token_urlsafe(24)
        with self._lock:
            self.issued[token] = Issued(subject, client, time.time() + self.expires_in)
            self.requests.append(TokenRequestRecord(kind, form))
        body = {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token}
        return 200, body

    def _refuse(self, kind: str, form: dict, status: int, error: str, description: str):
        with self._lock:
            self.requests.append(TokenRequestRecord(kind, form, status))
        return status, {"error": error, "error_description": description}

    def answer(self, path: str, form: dict, authorization: str) -> tuple[int, dict]:
        if self.down:
            return self._refuse("down", form, 503, "temporarily_unavailable", "Try later.")
        parts = path.strip("/").split("/")
        if parts[0] == "ms" and parts[2:] == ["oauth2", "v2.0", "token"]:
            return self._microsoft(unquote(parts[1]), form)
        if parts == ["google", "token"]:
            return self._google(form)
        if parts == ["generic", "token"]:
            return self._generic(form, authorization)
        return 404, {"error": "not_found"}

    def _microsoft(self, tenant: str, form: dict):
        kind = "microsoft"
        if form.get("grant_type") != "client_credentials":
            return self._refuse(kind, form, 400, "unsupported_grant_type", "AADSTS70003")
        if tenant not in {t for t, _ in self.microsoft_apps}:
            return self._refuse(
                kind,
                form,
                400,
                "invalid_request",
                f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud.",
            )
        client_id = form.get("client_id", "")
        secret = self.microsoft_apps.get((tenant, client_id))
        if secret is None:
            return self._refuse(
                kind,
                form,
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in "
                f"the directory '{tenant}'.",
            )
        if client_id in self.revoked or form.get("client_secret") != secret:
            return self._refuse(
                kind,
                form,
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID.",
            )
        if secret in self.expired_secrets:
            return self._refuse(
                kind,
                form,
                401,
                "invalid_client",
                f"AADSTS7000222: The provided client secret keys for app '{client_id}' are "
                "expired.",
            )
        if form.get("scope") != MICROSOFT_SCOPE:
            return self._refuse(kind, form, 400, "invalid_scope", "AADSTS70011: invalid scope")
        return self._issue(kind, form, client=client_id)

    def _google(self, form: dict):
        kind = "google"
        if form.get("grant_type") != JWT_BEARER or "assertion" not in form:
            return self._refuse(kind, form, 400, "unsupported_grant_type", "Invalid grant_type")
        assertion = form["assertion"]
        try:
            header = json.loads(_b64decode(assertion.split(".")[0]))
            claims_unverified = json.loads(_b64decode(assertion.split(".")[1]))
        except (ValueError, IndexError):
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT.")
        account = self.service_accounts.get(claims_unverified.get("iss", ""))
        if account is None or header.get("kid") != account.key_id:
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT Signature.")
        try:
            verified = jwt.decode(assertion, RSAKey.import_key(account.public_key), ["RS256"])
            jwt.JWTClaimsRegistry(exp={"essential": True}).validate(verified.claims)
        except (JoseError, ValueError):
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT Signature.")
        claims = verified.claims
        if header.get("alg") != "RS256" or claims.get("aud") != self.google_token_url:
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT: audience.")
        if not claims.get("exp") or claims["exp"] - claims.get("iat", 0) > 3600:
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT: lifetime.")
        if account.client_email in self.revoked:
            return self._refuse(kind, form, 400, "invalid_grant", "Invalid JWT Signature.")
        subject = claims.get("sub", "")
        if claims.get("scope") != GOOGLE_SCOPE or subject not in account.delegated:
            return self._refuse(
                kind,
                form,
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or "
                "client not authorized for any of the scopes requested.",
            )
        return self._issue(kind, form, client=account.client_email, subject=subject)

    def _generic(self, form: dict, authorization: str):
        kind = "generic"
        client_id, secret = _basic_credentials(authorization)
        if form.get("grant_type") != "client_credentials":
            return self._refuse(kind, form, 400, "unsupported_grant_type", "")
        if (
            client_id in self.revoked
            or client_id not in self.generic_clients
            or self.generic_clients[client_id] != secret
        ):
            return self._refuse(kind, form, 401, "invalid_client", "Invalid client credentials")
        return self._issue(kind, form, client=client_id)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _basic_credentials(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except ValueError:
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        form = {key: values[0] for key, values in parse_qs(body).items()}
        owner: OAuthTestServer = self.server.owner
        status, answer = owner.answer(self.path, form, self.headers.get("Authorization", ""))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:
        pass


def client_tls_context() -> ssl.SSLContext:
    """A client context trusting the test CA (for tests that call the server directly)."""
    return ssl.create_default_context(cafile=str(certificates().ca_file))
