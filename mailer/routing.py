"""Which SMTP an email goes through, decided when it is sent, from the config as it is then."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from django.db import connection

from smtp_integration.models import SmtpConfig
from smtp_integration.oauth import OAuthTokenSource
from smtp_integration.secrets import secret_open_for_sending
from smtp_integration.selectors import platform_from_address, smtp_policy
from smtp_integration.transport import Reason, SmtpPolicy, SmtpServerConfig, TlsMode
from tenants.models import EmailHealth, EmailTransport

# Integration-wide failures: every email would fail the same way, so the queue pauses and the
# admins are told, instead of failing each email until it expires.
PAUSING_REASONS = frozenset(
    {
        Reason.AUTH_FAILED,
        Reason.AUTH_REQUIRED,
        Reason.AUTH_UNAVAILABLE,
        Reason.CERTIFICATE_INVALID,
        Reason.TLS_MISMATCH,
        Reason.STARTTLS_UNAVAILABLE,
        Reason.HOST_BLOCKED,
        Reason.PORT_NOT_ALLOWED,
        Reason.PLAINTEXT_NOT_ALLOWED,
        Reason.UNRESOLVABLE,
        Reason.INVALID_HOST,
        Reason.SECRET_UNREADABLE,
        Reason.TOKEN_REFUSED,
        Reason.BASIC_AUTH_DISABLED,
    }
)


@dataclass(frozen=True)
class Route:
    transport: str
    server: SmtpServerConfig
    policy: SmtpPolicy
    from_address: str
    from_name: str
    reply_to: str
    # Pooled connections are keyed by this: a new config version never reuses an old one.
    pool_key: tuple
    # (count, seconds) for this tenant on this transport, or None.
    rate: tuple[int, int] | None
    fallback: bool = False


@cache
def _platform_policy(port: int, tls_mode: str, ca_file: str | None) -> SmtpPolicy:
    # The operator configured this server: the tenant SSRF policy does not apply to it.
    everywhere = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    return SmtpPolicy(
        allowed_ports=frozenset({port}),
        allowed_networks=everywhere,
        allow_plaintext=tls_mode == TlsMode.NONE,
        ca_file=ca_file,
    )


def platform_route(*, tenant_name: str, fallback: bool = False) -> Route:
    server = SmtpServerConfig(
        host=settings.PLATFORM_SMTP_HOST,
        port=settings.PLATFORM_SMTP_PORT,
        tls_mode=settings.PLATFORM_SMTP_TLS_MODE,
        username=settings.PLATFORM_SMTP_USERNAME,
        password=settings.PLATFORM_SMTP_PASSWORD,
        local_hostname=settings.PLATFORM_EMAIL_DOMAIN,
    )
    return Route(
        transport=EmailTransport.PLATFORM_DEFAULT,
        server=server,
        policy=_platform_policy(server.port, server.tls_mode, settings.SMTP_CA_FILE),
        from_address=platform_from_address(),
        from_name=tenant_name,
        reply_to="",
        pool_key=(
            EmailTransport.PLATFORM_DEFAULT,
            server.host,
            server.port,
            server.tls_mode,
            server.username,
        ),
        rate=settings.PLATFORM_SMTP_RATE_LIMIT,
        fallback=fallback,
    )


def custom_route(config: SmtpConfig) -> Route:
    """The route for the config as it is now; built once per config version per worker."""
    return _custom_route(connection.schema_name, config.secret_id, config.version, config)


@lru_cache(maxsize=256)
def _custom_route(schema_name: str, secret_id, version: int, config: SmtpConfig) -> Route:
    # Keyed by schema, row and version (the config object rides along, unhashed by value):
    # any Save or toggle raises the version, so a changed config is never served stale.
    server = SmtpServerConfig(
        host=config.host,
        port=config.port,
        tls_mode=config.tls_mode,
        username=(
            secret_open_for_sending(config, "username")
            if config.username_sealed
            else config.username
        ),
        username_is_secret=config.username_sealed,
        password="" if config.uses_oauth else secret_open_for_sending(config, "password"),
        token_source=(
            OAuthTokenSource(
                config,
                secret_open_for_sending(config, "oauth_secret"),
                cache_key=(schema_name, str(secret_id), version),
            )
            if config.uses_oauth
            else None
        ),
        local_hostname=settings.PLATFORM_EMAIL_DOMAIN,
    )
    return Route(
        transport=EmailTransport.CUSTOM,
        server=server,
        policy=smtp_policy(),
        from_address=config.from_address,
        from_name=config.from_name,
        reply_to=config.reply_to,
        pool_key=(EmailTransport.CUSTOM, schema_name, str(secret_id), version),
        rate=(config.max_per_minute, 60) if config.max_per_minute else None,
    )


def is_paused(config: SmtpConfig | None) -> bool:
    return config is not None and config.enabled and config.health == EmailHealth.PAUSED
