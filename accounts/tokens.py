"""One-time links: password recovery, invitations and email-change confirmations.

Each link lives exactly as long as the email that carries it promises (mailer.kinds),
not Django's PASSWORD_RESET_TIMEOUT, which stays the lifetime of the set-password
links printed by ``create_tenant``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from mailer.kinds import KINDS


class ExpiringTokenGenerator(PasswordResetTokenGenerator):
    """Django's one-time user token with a key salt and a lifetime of its own.

    The token hashes the password, last sign-in and email, so it stops working once the
    password is set, the user signs in or the address changes.
    """

    timeout: timedelta

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > self.timeout.total_seconds():
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in (self.secret, *self.secret_fallbacks)
        )


class RecoveryTokenGenerator(ExpiringTokenGenerator):
    key_salt = "accounts.tokens.RecoveryTokenGenerator"
    timeout = KINDS["recovery"].lifetime


class InvitationTokenGenerator(ExpiringTokenGenerator):
    key_salt = "accounts.tokens.InvitationTokenGenerator"
    timeout = KINDS["invitation"].lifetime


recovery_token_generator = RecoveryTokenGenerator()
invitation_token_generator = InvitationTokenGenerator()


class EmailChangeLinkInvalid(Exception):
    """The link was altered, is not an email-change link, or has expired (``expired``)."""

    def __init__(self, *, expired: bool = False):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


@dataclass(frozen=True)
class EmailChangeClaim:
    user_id: int
    new_email: str
    old_email_digest: str

    def matches_old(self, email: str) -> bool:
        return constant_time_compare(self.old_email_digest, _digest(email))


def _digest(email: str) -> str:
    # The link travels by email and lands in logs: it names the new address (which receives
    # it anyway) but only a digest of the old one, enough to bind it.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:32]


class _Signer(signing.TimestampSigner):
    def __init__(self, *, now, **kwargs):
        super().__init__(**kwargs)
        self._now = now

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._now()))


class EmailChangeTokenGenerator:
    """A signed, expiring claim: this user asked to move from their current address to another."""

    salt = "accounts.tokens.EmailChangeTokenGenerator"
    timeout = KINDS["email_change"].lifetime

    def make_token(self, *, user, new_email: str) -> str:
        claim = {"u": user.pk, "n": new_email, "o": _digest(user.email)}
        return self._signer().sign_object(claim)

    def check_token(self, token: str) -> EmailChangeClaim:
        """The claim in ``token``; EmailChangeLinkInvalid when altered or expired."""
        try:
            claim = self._signer().unsign_object(token, max_age=self.timeout)
            return EmailChangeClaim(
                user_id=int(claim["u"]), new_email=str(claim["n"]), old_email_digest=claim["o"]
            )
        except signing.SignatureExpired:
            raise EmailChangeLinkInvalid(expired=True) from None
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise EmailChangeLinkInvalid() from None

    def _signer(self) -> signing.TimestampSigner:
        return _Signer(salt=self.salt, now=self._now)

    def _now(self) -> float:
        # A hook for tests, as on Django's token generators.
        return time.time()


email_change_token_generator = EmailChangeTokenGenerator()
