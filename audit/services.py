"""The only writer of the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from psycopg.types.json import Jsonb

from audit.models import AuditEvent
from cymmetri.db import server_cursor
from tenants.selectors import tenant_current

# Metadata is shown to operators and kept forever: a key that names a secret is a bug.
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api_?key|credential", re.IGNORECASE)


class AuditMetadataError(ValueError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who acted, where no user object is at hand: an API token (acting for ``user``, the
    admin who made it), or a user recorded earlier (a connection test that a worker
    finishes). ``pk`` becomes the event's actor id."""

    pk: str
    email: str
    user: Any = None


def actor_user(actor):
    """The user behind ``actor`` (itself, or the admin an API token acts for)."""
    return actor.user if isinstance(actor, Actor) else actor


def _check_metadata(metadata: dict[str, Any], path: str = "") -> None:
    for key, value in metadata.items():
        if _SECRET_KEY.search(str(key)) and not str(key).endswith(("_changed", "_set")):
            raise AuditMetadataError(f"Audit metadata key {path}{key} looks like a secret.")
        if isinstance(value, dict):
            _check_metadata(value, f"{path}{key}.")


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is the client's word unless a proxy we run set it.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    action: str,
    *,
    tenant=None,
    request: HttpRequest | None = None,
    actor=None,
    target: str = "",
    recipient: str = "",
    metadata: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event; tenant, actor and IP default to the current request and schema."""
    metadata = metadata or {}
    _check_metadata(metadata)
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if ip is None and request is not None:
        ip = _client_ip(request)
    return AuditEvent.objects.create(
        tenant=tenant if tenant is not None else tenant_current(),
        action=action,
        actor_id=str(actor.pk) if actor is not None else "",
        actor_email=getattr(actor, "email", "") if actor is not None else "",
        target=target[:255],
        recipient=recipient[:254],
        metadata=metadata,
        ip=ip,
    )


def audit_record_many(events: list[dict[str, Any]], *, tenant=None) -> int:
    """Append several events in one statement (the mailer records a step's sends at once);
    returns how many.

    Each dict holds ``action`` and optionally ``target``, ``recipient``, ``metadata``.
    """
    if not events:
        return 0
    tenant = tenant if tenant is not None else tenant_current()
    if getattr(tenant, "schema_name", None) == "public":
        tenant = None
    for event in events:
        _check_metadata(event.get("metadata") or {})
    with server_cursor() as cursor:
        cursor.execute(
            _INSERT_MANY,
            [
                timezone.now(),
                tenant.pk if tenant is not None else None,
                [event["action"] for event in events],
                [event.get("target", "")[:255] for event in events],
                [event.get("recipient", "")[:254] for event in events],
                [Jsonb(event.get("metadata") or {}) for event in events],
            ],
        )
    return len(events)


_INSERT_MANY = """
INSERT INTO public.audit_auditevent
    (created_at, tenant_id, action, actor_id, actor_email, target, recipient, metadata)
SELECT %s, %s, e.action, '', '', e.target, e.recipient, e.metadata
FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::jsonb[])
    AS e(action, target, recipient, metadata)
"""
