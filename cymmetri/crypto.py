"""Encryption of secrets at rest: AES-256-GCM with keys from FIELD_ENCRYPTION_KEYS.

A token looks like ``v1.<key id>.<base64(nonce + ciphertext + tag)>``. The key id names
which key sealed it (the first key seals; every key opens). Each token is bound to a
context (for an SMTP password: the tenant's schema, the table and the row's id) as
associated data, so a token copied into another tenant's row or another column does not
open. Nothing here ever falls back to plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A secret cannot be opened: wrong key, wrong context, or a damaged token."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"cymmetri-field-key:" + key).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise DecryptionError("No encryption key is configured (FIELD_ENCRYPTION_KEYS).")
        if any(len(key) != 32 for key in self.keys):
            raise DecryptionError("Every FIELD_ENCRYPTION_KEYS key must be 32 bytes.")

    @classmethod
    def from_settings(cls) -> Keyring:
        from django.conf import settings

        return cls(tuple(settings.FIELD_ENCRYPTION_KEYS))

    @property
    def current_id(self) -> str:
        return key_id(self.keys[0])

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal ``plaintext`` under the first key, bound to ``context``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[0]).encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{VERSION}.{self.current_id}.{body}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Open a token sealed for ``context`` with whichever configured key sealed it."""
        version, _, rest = token.partition(".")
        wanted_id, _, body = rest.partition(".")
        if version != VERSION or not body:
            raise DecryptionError("The stored secret is not an encrypted token.")
        key = next((k for k in self.keys if key_id(k) == wanted_id), None)
        if key is None:
            raise DecryptionError(
                f"The stored secret was encrypted with key {wanted_id}, which is not in "
                "FIELD_ENCRYPTION_KEYS; add that key back (after the current one)."
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError(
                "The stored secret does not open with its key in this place: it was "
                "damaged, or copied from another tenant or row."
            ) from None
        return plaintext.decode()

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was sealed by a key other than the current one."""
        return token.split(".", 2)[1:2] != [self.current_id]
