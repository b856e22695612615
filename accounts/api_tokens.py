"""Tenant API tokens: create (shown once), revoke, authenticate. Only a SHA-256 is stored.

A token lives in its tenant's schema, so a token of tenant A is unknown on tenant B's domain.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiScope, ApiToken
from audit.models import AuditAction
from audit.services import Actor, audit_record
from cymmetri.db import model_columns, model_from_row, server_cursor
from smtp_integration.selectors import smtp_admin_sql

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
    token = _token_with_creator(digest)
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


def _token_with_creator(digest: str) -> ApiToken | None:
    """The token with this hash, its creator's address, and whether the creator is still an
    admin (a token acts for the admin who made it, no longer than they are one): one
    statement, prepared once per connection, as every API request runs it."""
    sql, params = _authenticate_sql()
    with server_cursor() as cursor:
        cursor.execute(sql, {**params, "digest": digest})
        row = cursor.fetchone()
    if row is None:
        return None
    *columns, email, creator_is_admin = row
    token = model_from_row(ApiToken, columns)
    token.creator_is_admin = creator_is_admin
    # What the request needs of its actor; anything else loads on first use.
    token.created_by = get_user_model().from_db(None, ["id", "email"], [token.created_by_id, email])
    return token


@cache
def _authenticate_sql() -> tuple[str, dict]:
    is_admin, params = smtp_admin_sql("u")
    columns = model_columns(ApiToken, "t")
    users = get_user_model()._meta.db_table
    # Names from the models, never from input; tenant tables resolve through the search path.
    sql = (
        f"SELECT {columns}, u.email, {is_admin} FROM {ApiToken._meta.db_table} t "  # noqa: S608
        f"JOIN {users} u ON u.id = t.created_by_id WHERE t.token_hash = %(digest)s"
    )
    return sql, params
