"""The keyring behind secrets at rest: tokens bound to a context, keys that must match."""

import base64
import os

import pytest

from cymmetri.crypto import DecryptionError, Keyring


def new_key() -> bytes:
    return os.urandom(32)


def test_round_trip_and_context_binding():
    keyring = Keyring((new_key(),))
    token = keyring.encrypt("s3cret", context="tenant-a/row-1")
    assert token.startswith(f"v1.{keyring.current_id}.")
    assert "s3cret" not in token
    assert keyring.decrypt(token, context="tenant-a/row-1") == "s3cret"
    with pytest.raises(DecryptionError, match="copied from another tenant or row"):
        keyring.decrypt(token, context="tenant-b/row-1")


def test_a_wrong_or_missing_key_fails_loudly():
    token = Keyring((new_key(),)).encrypt("s3cret", context="c")
    with pytest.raises(DecryptionError, match="not in FIELD_ENCRYPTION_KEYS"):
        Keyring((new_key(),)).decrypt(token, context="c")
    with pytest.raises(DecryptionError, match="No encryption key"):
        Keyring(())
    with pytest.raises(DecryptionError, match="not an encrypted token"):
        Keyring((new_key(),)).decrypt("plaintext-password", context="c")


def test_a_tampered_token_does_not_open():
    keyring = Keyring((new_key(),))
    token = keyring.encrypt("s3cret", context="c")
    version, kid, body = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    tampered = f"{version}.{kid}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptionError):
        keyring.decrypt(tampered, context="c")
