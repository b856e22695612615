"""Which secret a configuration signs in with, and what that secret is bound to.

One rule, used by the form, Save, Test connection and the API: a stored secret is only ever
used for the very settings it was entered for. Change where it would go (the SMTP server, the
account, the token endpoint or the client) and it must be entered again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

from cymmetri.crypto import DecryptionError
from smtp_integration.models import (
    CONFIG_FIELDS,
    CREDENTIAL_FIELDS,
    OAUTH_BINDING_FIELDS,
    AuthMethod,
    OAuthProvider,
    SmtpConfig,
)
from smtp_integration.providers import provider_for_host
from smtp_integration.secrets import secret_open, username_open


@dataclass(frozen=True)
class SecretKind:
    """A kind of secret: its name (form field and sealed column) and what binds it."""

    name: str
    binding: tuple[str, ...]


PASSWORD = SecretKind("password", ("auth_method", *CREDENTIAL_FIELDS))
OAUTH_SECRET = SecretKind("oauth_secret", ("auth_method", *OAUTH_BINDING_FIELDS))


def secret_kind(data: Mapping) -> SecretKind:
    return OAUTH_SECRET if data.get("auth_method") == AuthMethod.OAUTH2 else PASSWORD


def secret_label(data: Mapping) -> str:
    """What the admin calls the secret of these settings."""
    if data.get("auth_method") != AuthMethod.OAUTH2:
        return "password"
    if data.get("oauth_provider") == OAuthProvider.GOOGLE:
        return "service account key"
    return "client secret"


def username_is_secret(data: Mapping) -> bool:
    """Whether these settings' username is itself a credential (Postmark's API token): the
    provider recognised from the host says so."""
    if data.get("auth_method") == AuthMethod.OAUTH2:
        return False
    provider = provider_for_host(data.get("host"))
    return provider is not None and provider.username_is_secret


def stored_values(config: SmtpConfig) -> dict:
    """The stored settings as they were typed: a sealed username opened (None when it cannot
    be read any more, which nothing typed equals)."""
    values = {name: getattr(config, name) for name in CONFIG_FIELDS}
    if config.username_sealed:
        try:
            values["username"] = username_open(config)
        except DecryptionError:
            values["username"] = None
    return values


def binding_changes(data: Mapping, config: SmtpConfig | None) -> list[str]:
    """The fields binding this data's secret that differ from the stored configuration."""
    binding = secret_kind(data).binding
    if config is None:
        return list(binding)
    stored = stored_values(config)
    return [name for name in binding if data.get(name, "") != stored[name]]


def stored_secret_applies(data: Mapping, config: SmtpConfig | None) -> bool:
    """Whether the stored secret may be used for ``data``: it exists, and nothing it is bound
    to has changed."""
    if config is None or not getattr(config, _column(secret_kind(data))):
        return False
    return not binding_changes(data, config)


def secret_needed(data: Mapping) -> bool:
    """OAuth always signs in with its secret; a password only goes with a username."""
    return secret_kind(data) is OAUTH_SECRET or bool(data.get("username"))


def secret_for_use(data: Mapping, config: SmtpConfig | None) -> str:
    """The secret typed with ``data``, or the stored one where it applies, else ""."""
    kind = secret_kind(data)
    if data.get(kind.name):
        return data[kind.name]
    if stored_secret_applies(data, config):
        return secret_open(config, kind.name)
    return ""


def _column(kind: SecretKind) -> str:
    return f"{kind.name}_encrypted"


# What a connection test proves. The password settings' list is the one tests were always
# fingerprinted with, so tests run before OAuth existed still count.
_FINGERPRINTED = ("host", "port", "tls_mode", "username")
_FINGERPRINTED_OAUTH = ("auth_method", *OAUTH_BINDING_FIELDS[len(CREDENTIAL_FIELDS) :])


def settings_fingerprint(data: Mapping, secret: str) -> str:
    """A keyed digest of what a connection test proves, secret included (never reversible)."""
    parts = [str(data.get(name, "")) for name in _FINGERPRINTED]
    parts += [secret, str(data.get("from_address", ""))]
    if data.get("auth_method") == AuthMethod.OAUTH2:
        parts += [str(data.get(name, "")) for name in _FINGERPRINTED_OAUTH]
    return salted_hmac(
        "smtp_integration.settings_fingerprint", "\x1f".join(parts), algorithm="sha256"
    ).hexdigest()
