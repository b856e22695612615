"""/api/v1/emails: send a transactional email from any language, idempotently; read status."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from psycopg.types.json import Jsonb

from api.auth import scope_required
from api.errors import ApiError
from api.models import IdempotentRequest
from api.schemas import EmailIn, EmailOut, EmailPageOut, ErrorOut
from audit.models import AuditAction
from audit.services import audit_record
from mailer import send_email
from mailer.exceptions import (
    EmailRequestError,
    InvalidContext,
    InvalidLocale,
    InvalidRecipient,
    UnknownKind,
)
from mailer.models import EmailStatus, OutboundEmail
from mailer.selectors import email_activity
from tenants.selectors import tenant_current

router = Router(tags=["Emails"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 255
PAGE_SIZE = 50
_FIELD_OF_ERROR = {
    UnknownKind: "kind",
    InvalidRecipient: "to",
    InvalidContext: "context",
    InvalidLocale: "locale",
}


class EmailQueuedOut(Schema):
    id: int
    status: str = SchemaField(..., examples=["queued"])
    kind: str
    to: str
    url: str


# --- sending ---------------------------------------------------------------------------------


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"The Idempotency-Key header must be printable and at most {MAX_KEY_LENGTH} "
            "characters (a UUID is ideal).",
            {"Idempotency-Key": ["Use a UUID per email."]},
        )
    return key


# The answer is stored in the same statement that takes the key: a key seen in the last 24 h
# conflicts (a concurrent request with it waits on the unique index for the first to commit),
# an older one is taken over.
_REMEMBER = """
INSERT INTO api_idempotentrequest (key, request_hash, status_code, response, created_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code,
        response = EXCLUDED.response, created_at = EXCLUDED.created_at
    WHERE api_idempotentrequest.created_at < %s
RETURNING id
"""


class _Answered(Exception):
    """The key was used within the window: undo this request's writes and replay."""


def _remember(key: str, digest: str, status: int, answer: dict) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _REMEMBER, [key, digest, status, Jsonb(answer), now, now - IDEMPOTENCY_WINDOW]
        )
        if cursor.fetchone() is None:
            raise _Answered


def _replay(key: str, digest: str):
    first = IdempotentRequest.objects.get(key=key)
    if first.request_hash != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request in the last 24 hours; "
            "use a new key for a new email.",
            {"Idempotency-Key": ["Already used for another request."]},
        )
    return Status(first.status_code, first.response)


def _queue(request: HttpRequest, body: EmailIn) -> dict:
    try:
        email = send_email(body.kind, to=body.to, context=body.context, locale=body.locale)
    except EmailRequestError as exc:
        field = _FIELD_OF_ERROR.get(type(exc), "body")
        raise ApiError(400, "invalid_email", str(exc), {field: [str(exc)]}) from None
    audit_record(
        AuditAction.API_EMAIL_REQUESTED,
        request=request,
        actor=request.actor,
        target=f"email:{email.pk}",
        recipient=email.to_address,
        metadata={"kind": email.kind, "email_id": email.pk},
    )
    return {
        "id": email.pk,
        "status": EmailStatus.QUEUED.value,
        "kind": email.kind,
        "to": email.to_address,
        "url": reverse("api-1:email_get", kwargs={"email_id": email.pk}),
    }


@router.post(
    "",
    response={202: EmailQueuedOut, 422: ErrorOut, **ERRORS},
    summary="Send an email",
    openapi_extra={
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
                "description": "The same key within 24 hours returns the first answer and "
                "queues nothing new. Use a UUID per email.",
            }
        ]
    },
)
def email_send(request: HttpRequest, body: EmailIn):
    """Queue a transactional email of `kind` to `to`, rendered from `context` (the kind's
    required fields, as in the admin guide). Scope: `email:send`."""
    scope_required(request, "email:send")
    key = _idempotency_key(request)
    if not key:
        with transaction.atomic():
            return Status(202, _queue(request, body))
    digest = hashlib.sha256(
        json.dumps(body.model_dump(), sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        with transaction.atomic():
            answer = _queue(request, body)
            _remember(key, digest, 202, answer)
    except _Answered:
        return _replay(key, digest)
    return Status(202, answer)


# --- reading ---------------------------------------------------------------------------------


def _email_out(email: OutboundEmail) -> dict:
    return {
        "id": email.pk,
        "status": email.status,
        "kind": email.kind,
        "to": email.to_address,
        "route": email.transport,
        "smtp_host": email.smtp_host,
        "attempts": email.attempts,
        "reply_code": email.reply_code,
        "reply_text": email.reply_text,
        "reason": email.failure_reason or email.waiting_for,
        "created_at": email.created_at,
        "next_attempt_at": email.next_attempt_at if email.status == EmailStatus.QUEUED else None,
        "finished_at": email.finished_at,
    }


def _cursor_encode(email: OutboundEmail) -> str:
    raw = f"{email.created_at.isoformat()}|{email.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, pk = raw.split("|")
        return datetime.fromisoformat(created), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400,
            "invalid_cursor",
            "This cursor is not one the API gave; use next_cursor from the previous page.",
            {"cursor": ["Unknown cursor."]},
        ) from None


class EmailFilters(Schema):
    status: EmailStatus | None = None
    kind: str | None = None
    to: str | None = None
    cursor: str | None = None
    limit: int = SchemaField(PAGE_SIZE, ge=1, le=200)


@router.get("", response={200: EmailPageOut, **ERRORS}, summary="List emails")
def email_list(request: HttpRequest, filters: Query[EmailFilters]):
    """The tenant's emails, newest first, with their status (never their content: it can
    hold sign-in codes). Scope: `email:read`."""
    scope_required(request, "email:read")
    emails = email_activity(
        tenant=tenant_current(), status=filters.status, kind=filters.kind, to=filters.to
    )
    if filters.cursor:
        created, pk = _cursor_decode(filters.cursor)
        emails = emails.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    page = list(emails[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "emails": [_email_out(email) for email in page],
        "next_cursor": _cursor_encode(page[-1]) if more else None,
    }


@router.get(
    "/{email_id}",
    response={200: EmailOut, 404: ErrorOut, **ERRORS},
    url_name="email_get",
    summary="One email",
)
def email_get(request: HttpRequest, email_id: int):
    """One email's status, route, attempts and the server's last reply. Scope:
    `email:read`."""
    scope_required(request, "email:read")
    email = email_activity(tenant=tenant_current()).filter(pk=email_id).first()
    if email is None:
        raise ApiError(404, "not_found", f"There is no email {email_id} in this tenant.")
    return _email_out(email)
