"""The integration's secrets at rest: the SMTP password, and the OAuth 2.0 secret (a client
secret or a service account's private key). Each is sealed per tenant, row and kind of
secret, and opened only to sign in."""

from __future__ import annotations

import json

from django.db import connection

from cymmetri.crypto import DecryptionError, Keyring
from smtp_integration.models import SmtpConfig
from smtp_integration.transport import PermanentSmtpError, Reason, Step, masked

# Each secret a sign-in method uses: the column that holds it and the name its ciphertext is
# bound to.
SEALED = {"password": "password_encrypted", "oauth_secret": "oauth_secret_encrypted"}
# Everything sealed: those, and a username that is itself a credential.
SEALED_COLUMNS = {**SEALED, "username": "username_encrypted"}


class SecretUnreadable(PermanentSmtpError):
    """A stored secret cannot be opened with the current keys: nothing can sign in."""

    default_reason = Reason.SECRET_UNREADABLE


def secret_context(config: SmtpConfig, name: str) -> str:
    """What the ciphertext is bound to: this tenant's schema, this table, this row, this
    kind of secret (a password copied into the OAuth column does not open either)."""
    return f"{connection.schema_name}/smtp_integration.smtpconfig/{config.secret_id}/{name}"


def secret_seal(config: SmtpConfig, name: str, value: str) -> None:
    sealed = Keyring.from_settings().encrypt(value, context=secret_context(config, name))
    setattr(config, SEALED_COLUMNS[name], sealed if value else "")


def secret_open(config: SmtpConfig, name: str) -> str:
    """The plaintext; raises DecryptionError rather than guess."""
    sealed = getattr(config, SEALED_COLUMNS[name])
    if not sealed:
        return ""
    return Keyring.from_settings().decrypt(sealed, context=secret_context(config, name))


def secret_open_for_sending(config: SmtpConfig, name: str) -> str:
    """The plaintext, or SecretUnreadable: an integration-wide failure to send."""
    try:
        return secret_open(config, name)
    except DecryptionError:
        raise SecretUnreadable(
            f"the stored {name} cannot be decrypted",
            step=Step.AUTH,
            host=config.host,
            detail=name,
        ) from None


def password_seal(config: SmtpConfig, password: str) -> None:
    secret_seal(config, "password", password)


def password_open(config: SmtpConfig) -> str:
    return secret_open(config, "password")


def username_store(config: SmtpConfig, username: str, *, secret: bool) -> None:
    """Keep ``username`` as is, or, when it is a credential, sealed with only its mask shown."""
    secret = secret and bool(username)
    secret_seal(config, "username", username if secret else "")
    config.username = masked(username) if secret else username


def username_open(config: SmtpConfig) -> str:
    """The username to sign in with (opened when sealed); raises DecryptionError."""
    return secret_open(config, "username") if config.username_sealed else config.username


def _test_request_context(test) -> str:
    return f"{connection.schema_name}/smtp_integration.smtpconnectiontest/{test.pk}/request"


def test_request_seal(test, payload: dict) -> None:
    """Seal the settings a queued connection test will use (its secret included) on its row."""
    text = json.dumps(payload, separators=(",", ":"))
    test.sealed_request = Keyring.from_settings().encrypt(text, context=_test_request_context(test))


def test_request_open(test) -> dict:
    """The settings sealed by test_request_seal; raises DecryptionError rather than guess."""
    return json.loads(
        Keyring.from_settings().decrypt(test.sealed_request, context=_test_request_context(test))
    )
