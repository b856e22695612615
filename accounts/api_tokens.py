"""Tenant API tokens: create (shown once), revoke, authenticate. Only a SHA-256 is stored.

A token lives in its tenant's schema, so a token of tenant A is unknown on tenant B's domain.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiScope, ApiToken
from audit.models import AuditAction
from audit.services import Actor, audit_record
from smtp_integration.selectors import smtp_admins

TOKEN_PREFIX = "cym_"  # noqa: S105  a marker that tells scanners what leaked, not a secret
TOKEN_BYTES = 32
SHOWN_PREFIX = 12  # "cym_" and 8 characters: enough to tell tokens apart, useless to guess
# last_used_at is written at most this often per token: not one UPDATE per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def token_actor(token: ApiToken) -> Actor:
    """The token as the actor of audit events, acting for the admin who made it."""
    return Actor(
        pk=f"api-token:{token.prefix}", email=token.created_by.email, user=token.created_by
    )


def api_token_create(
    *,
    actor,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> CreatedToken:
    """A new token for ``actor``'s tenant; its plaintext is returned once."""
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "Give the token a name that says what uses it, e.g. “Terraform”."
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if not scopes or unknown:
        errors["scopes"] = (
            "Choose at least one scope."
            if not scopes
            else (f"Unknown scope: {', '.join(unknown)}.")
        )
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "Choose an expiry date in the future, or none."
    if errors:
        raise ValidationError(errors)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            prefix=plaintext[:SHOWN_PREFIX],
            token_hash=token_hash(plaintext),
            scopes=[scope for scope in ApiScope.values if scope in scopes],
            created_by=actor,
            expires_at=expires_at,
        )
        audit_record(
            AuditAction.API_TOKEN_CREATED,
            request=request,
            actor=actor,
            target=f"api_token:{token.prefix}",
            metadata={
                "name": token.name,
                "scopes": token.scopes,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return CreatedToken(token=token, plaintext=plaintext)


def api_token_revoke(*, actor, token_id: int, request: HttpRequest | None = None) -> bool:
    """Revoke a token at once; False if it was already revoked or is unknown."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or token.revoked_at is not None:
            return False
        token.revoked_at = timezone.now()
        token.revoked_by_email = actor.email
        token.save(update_fields=["revoked_at", "revoked_by_email"])
        audit_record(
            AuditAction.API_TOKEN_REVOKED,
            request=request,
            actor=actor,
            target=f"api_token:{token.prefix}",
            metadata={"name": token.name},
        )
    return True


def api_token_authenticate(plaintext: str, *, ip: str | None = None) -> ApiToken | None:
    """The active token ``plaintext`` is, with its creator; None for anything else."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = token_hash(plaintext)
    # A token acts for the admin who made it, and no longer than they are one: checked in the
    # same query as the token.
    creator_is_admin = Exists(smtp_admins().filter(pk=OuterRef("created_by_id")))
    token = (
        ApiToken.objects.select_related("created_by")
        .annotate(creator_is_admin=creator_is_admin)
        .filter(token_hash=digest)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.active or not token.creator_is_admin:
        return None
    now = timezone.now()
    if (
        token.last_used_at is None
        or now - token.last_used_at >= LAST_USED_PRECISION
        or token.last_used_ip != ip
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token
