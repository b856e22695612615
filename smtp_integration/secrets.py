"""The SMTP password at rest: sealed per tenant and row, opened only to send."""

from __future__ import annotations

from django.db import connection
from django.utils.crypto import salted_hmac

from cymmetri.crypto import DecryptionError, Keyring
from smtp_integration.models import SmtpConfig
from smtp_integration.transport import PermanentSmtpError, Reason, Step


class SecretUnreadable(PermanentSmtpError):
    """The stored password cannot be opened with the current keys: nothing can sign in."""

    default_reason = Reason.SECRET_UNREADABLE


def password_context(config: SmtpConfig) -> str:
    """What the ciphertext is bound to: this tenant's schema, this table, this row."""
    return f"{connection.schema_name}/smtp_integration.smtpconfig/{config.secret_id}/password"


def password_seal(config: SmtpConfig, password: str) -> None:
    config.password_encrypted = (
        Keyring.from_settings().encrypt(password, context=password_context(config))
        if password
        else ""
    )


def password_open(config: SmtpConfig) -> str:
    """The plaintext password; raises DecryptionError rather than guess."""
    if not config.password_encrypted:
        return ""
    return Keyring.from_settings().decrypt(
        config.password_encrypted, context=password_context(config)
    )


def password_open_for_sending(config: SmtpConfig) -> str:
    """The plaintext password, or SecretUnreadable: an integration-wide failure to send."""
    try:
        return password_open(config)
    except DecryptionError:
        raise SecretUnreadable(
            "the stored password cannot be decrypted", step=Step.AUTH, host=config.host
        ) from None


def settings_fingerprint(
    *, host: str, port: int, tls_mode: str, username: str, password: str, from_address: str
) -> str:
    """A keyed digest of what a connection test proves, password included (never reversible)."""
    value = "\x1f".join([host, str(port), tls_mode, username, password, from_address])
    return salted_hmac(
        "smtp_integration.settings_fingerprint", value, algorithm="sha256"
    ).hexdigest()
