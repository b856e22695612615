"""OAuth 2.0 access tokens for signing in to SMTP: Microsoft 365 (client credentials),
Google Workspace (a service account's signed JWT, RFC 7523) and any provider offering the
client credentials grant (Keycloak, Zitadel, Okta…).

Authlib builds the requests (client authentication, the signed assertion); the transport
POSTs them under the platform's network policy. Tokens are kept in each worker's memory per
tenant and config version until shortly before they expire: a Save (a new version) never
reuses a token of the old settings, and no tenant ever gets another's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from urllib.parse import urlsplit

from authlib.common.urls import url_encode
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc7523 import JWTBearerGrant
from django.conf import settings
from joserfc.jwk import RSAKey

from smtp_integration.models import OAuthProvider, SmtpConfig
from smtp_integration.selectors import smtp_policy
from smtp_integration.transport import (
    AccessToken,
    SmtpPolicy,
    TokenRefused,
    TokenUnavailable,
    printable,
)
from smtp_integration.transport.https import post_form
from smtp_integration.transport.types import Step

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# A token is used until this long before it expires (or half its life, if that is shorter).
EXPIRY_MARGIN = 120.0
TOKEN_DEADLINE = 10.0
DESCRIPTION_LENGTH = 300
# Answers that mean the client itself is refused (integration-wide: pause and tell the
# admins); anything else (5xx, 429, no answer) is worth trying again later.
REFUSALS = frozenset(
    {
        "invalid_client",
        "unauthorized_client",
        "invalid_grant",
        "invalid_scope",
        "invalid_request",
        "unsupported_grant_type",
        "access_denied",
    }
)


@dataclass(frozen=True)
class TokenRequest:
    """One provider's token request: where it goes and what it carries (form-encoded)."""

    url: str
    body: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    provider: str = ""  # an OAuthProvider value


def microsoft_token_url(tenant_id: str) -> str:
    return f"{settings.OAUTH_MICROSOFT_AUTHORITY.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"


def google_token_url() -> str:
    return settings.OAUTH_GOOGLE_TOKEN_URL


def token_url(config: SmtpConfig) -> str:
    """Where the config's token requests go."""
    if config.oauth_provider == OAuthProvider.MICROSOFT:
        return microsoft_token_url(config.oauth_tenant_id)
    if config.oauth_provider == OAuthProvider.GOOGLE:
        return google_token_url()
    return config.oauth_token_url


def token_request(config: SmtpConfig, secret: str) -> TokenRequest:
    """The token request for ``config``, signed or authenticated with ``secret``."""
    url = token_url(config)
    if config.oauth_provider == OAuthProvider.GOOGLE:
        # The service account signs a JWT naming the user it acts for (domain-wide
        # delegation); Google answers with a token for that user.
        assertion = JWTBearerGrant.sign(
            key=RSAKey.import_key(secret),
            issuer=config.oauth_client_email,
            audience=url,
            subject=config.username,
            claims={"scope": GOOGLE_SCOPE},
            header={"alg": "RS256", "kid": config.oauth_key_id},
        )
        form = [("grant_type", JWT_BEARER), ("assertion", _text(assertion))]
        return TokenRequest(url, url_encode(form), provider=config.oauth_provider)
    microsoft = config.oauth_provider == OAuthProvider.MICROSOFT
    form = {
        "grant_type": "client_credentials",
        "scope": MICROSOFT_SCOPE if microsoft else config.oauth_scope,
    }
    if not form["scope"]:
        del form["scope"]
    # Microsoft documents the secret in the body; elsewhere HTTP Basic is the default.
    method = "client_secret_post" if microsoft else "client_secret_basic"
    auth = ClientAuth(config.oauth_client_id, secret, method)
    _, headers, body = auth.prepare("POST", url, {}, url_encode(list(form.items())))
    return TokenRequest(url, body, headers, provider=config.oauth_provider)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def token_fetch(request: TokenRequest, policy: SmtpPolicy) -> AccessToken:
    """Ask the endpoint; TokenRefused or TokenUnavailable (SmtpErrors) when it says no."""
    response = post_form(
        request.url,
        request.body,
        headers=request.headers,
        policy=policy,
        deadline_s=TOKEN_DEADLINE,
    )
    endpoint = endpoint_label(request.url)
    host = urlsplit(request.url).hostname
    body = response.body
    token = body.get("access_token")
    if response.status == 200 and isinstance(token, str) and token:
        expires_in = body.get("expires_in")
        try:
            expires_in = float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            expires_in = None
        return AccessToken(value=token, endpoint=endpoint, http_status=200, expires_in=expires_in)
    error = printable(str(body.get("error") or ""), 80)
    description = printable(str(body.get("error_description") or ""), DESCRIPTION_LENGTH)
    said = f"{error}: {description}" if description else error
    # Step facts, as for a token that came: the Token step shows where and what status.
    facts = {
        "endpoint": endpoint,
        "status": response.status,
        "error": error,
        "provider": request.provider,
    }
    if 400 <= response.status < 500 and response.status != 429 and error in REFUSALS:
        raise TokenRefused(
            f"{endpoint} refused the client: {error}",
            error=error,
            description=description,
            status=response.status,
            reply=said,
            host=host,
            facts=facts,
        )
    raise TokenUnavailable(
        f"{endpoint} answered {response.status} {error}".rstrip(),
        step=Step.TOKEN,
        reply=said,
        host=host,
        detail=f"HTTP {response.status}",
        facts=facts,
    )


def endpoint_label(url: str) -> str:
    """host/path of a token URL, as the Token step shows it."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port and parts.port != 443 else ""
    return f"{parts.hostname}{port}{parts.path}"


class _Kept(NamedTuple):
    token: AccessToken
    until: float  # monotonic time after which it is not used
    got_at: float


class _TokenCache:
    """Tokens by (schema, config row, version), in this worker's memory. One request at a
    time per key: threads that need the same token wait for the one asking for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple, _Kept] = {}
        self._fetching: dict[tuple, threading.Lock] = {}

    def fetch(self, key: tuple, fetcher, *, fresh: bool) -> AccessToken:
        """The kept token, or ``fetcher()``'s (then kept). ``fresh``: only a token got after
        this call began will do (the server refused the one before)."""
        asked_at = time.monotonic()
        with self._lock:
            lock = self._fetching.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                kept = self._tokens.pop(key, None)
            now = time.monotonic()
            if kept is not None and now < kept.until and (not fresh or kept.got_at > asked_at):
                with self._lock:
                    self._tokens[key] = kept
                return replace(kept.token, cached=True, expires_in=kept.until - now)
            token = fetcher()
            self._put(key, token)
            return token

    def _put(self, key: tuple, token: AccessToken) -> None:
        lifetime = token.expires_in or 3600.0
        now = time.monotonic()
        kept = _Kept(token, now + lifetime - min(EXPIRY_MARGIN, lifetime / 2), now)
        with self._lock:
            # Older versions of the same config are of no use any more.
            for old in [k for k in self._tokens if k[:2] == key[:2] and k != key]:
                del self._tokens[old]
                self._fetching.pop(old, None)
            self._tokens[key] = kept


token_cache = _TokenCache()


@dataclass
class OAuthTokenSource:
    """The transport's TokenSource for one config: cached unless asked for a fresh one."""

    config: SmtpConfig
    secret: str = field(repr=False)
    cache_key: tuple | None = None  # None: never cached (Test connection)
    policy: SmtpPolicy = field(default_factory=smtp_policy)
    requests: int = 0  # token requests made through this source

    def token(self, *, fresh: bool) -> AccessToken:
        if self.cache_key is None:
            return self._ask()
        return token_cache.fetch(self.cache_key, self._ask, fresh=fresh)

    def _ask(self) -> AccessToken:
        try:
            request = token_request(self.config, self.secret)
        except ValueError:  # a private key Authlib cannot read
            raise TokenRefused(
                "the stored private key cannot sign",
                error="invalid_key",
                description="The service account's private key could not be read.",
                status=0,
                host=urlsplit(token_url(self.config)).hostname,
                facts={"endpoint": endpoint_label(token_url(self.config)), "status": None},
            ) from None
        self.requests += 1
        return token_fetch(request, self.policy)
