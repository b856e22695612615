"""The mailer's writes that platform code and other apps call: queue, resume, requeue."""

from __future__ import annotations

import uuid
from functools import cache, partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cymmetri.db import server_cursor
from email_templates.rendering import email_locale
from mailer.models import EmailStatus, OutboundEmail, WaitReason
from mailer.validation import context_clean, kind_get, locale_clean, recipient_clean
from mailer.wakeup import email_wake
from tenants.selectors import tenant_current


class NoTenant(ValueError):
    """send_email() was called outside a tenant without tenant=."""


def _current_tenant():
    tenant = tenant_current()
    if tenant is None:
        raise NoTenant(
            "send_email() needs a tenant: call it in a tenant's request or pass tenant=."
        )
    return tenant


def send_email(
    kind: str,
    *,
    to: str,
    context: dict,
    tenant=None,
    locale: str | None = None,
    force_platform_default: bool = False,
    test: bool = False,
) -> OutboundEmail:
    """Queue one email of ``kind`` to ``to``, in ``locale`` (a language tag such as "de" or
    "fr-CA"; without it, or in a language with no translation, the tenant's default).

    ``test`` marks an email an admin sent to themselves from the templates tab.

    The row is written in the caller's transaction; when that transaction commits, a
    worker is woken (mailer.wakeup). If the broker is down then, the sweeper sends it later.
    Raises an EmailRequestError subclass naming what is wrong with the request.
    """
    spec = kind_get(kind)
    address = recipient_clean(to)
    context = context_clean(spec, context)
    locale = locale_clean(locale)
    tenant = tenant or _current_tenant()
    now = timezone.now()
    email = OutboundEmail(
        tenant=tenant,
        kind=spec.name,
        priority=spec.priority,
        to_address=address,
        # Rendered by the worker (mailer.content), with the templates of this moment.
        context=context,
        templates_revision=tenant.email_templates_revision,
        locale=email_locale(tenant, locale),
        is_test=test,
        # On the platform's domain, as providers do: stable whatever route sends it.
        message_id=f"<{uuid.uuid4().hex}@{settings.PLATFORM_EMAIL_DOMAIN}>",
        force_platform_default=force_platform_default,
        next_attempt_at=now,
        expires_at=now + spec.lifetime,
    )
    _insert(email)
    transaction.on_commit(partial(_after_commit, email.pk))
    return email


def _insert(email: OutboundEmail) -> None:
    """INSERT the row as Model.save() would, as one statement PostgreSQL prepares once (every
    send_email() call runs it; the ORM's client-side binding makes each a new statement)."""
    fields = _insert_fields()
    values = [field.get_db_prep_save(field.pre_save(email, True), connection) for field in fields]
    with server_cursor() as cursor:
        cursor.execute(_insert_sql(), values)
        (email.pk,) = cursor.fetchone()
    email._state.adding = False
    email._state.db = connection.alias


@cache
def _insert_fields() -> list:
    return [field for field in OutboundEmail._meta.concrete_fields if not field.primary_key]


@cache
def _insert_sql() -> str:
    columns = ", ".join(field.column for field in _insert_fields())
    values = ", ".join(["%s"] * len(_insert_fields()))
    # Column names from the model, never from input.
    return f"INSERT INTO public.mailer_outboundemail ({columns}) VALUES ({values}) RETURNING id"  # noqa: S608


def _after_commit(email_id: int) -> None:
    if not email_wake():
        # Noted for the Activity tab; the beat tick finds the email due and sends it anyway.
        OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
            waiting_for=WaitReason.BROKER_UNAVAILABLE
        )


def email_queue_resume(*, tenant) -> int:
    """The tenant's SMTP config changed: its emails waiting for a working server go now."""
    resumed = (
        OutboundEmail.objects.filter(tenant=tenant, status=EmailStatus.QUEUED)
        .exclude(waiting_for__in=["", WaitReason.RATE_LIMITED])
        .update(next_attempt_at=timezone.now())
    )
    if resumed:
        transaction.on_commit(email_wake)
    return resumed


def email_requeue_stale() -> int:
    """Emails whose worker died or lost its lease mid-send: back to the queue, due now."""
    return OutboundEmail.objects.filter(
        status=EmailStatus.SENDING, lease_expires_at__lt=timezone.now()
    ).update(
        status=EmailStatus.QUEUED,
        lease_token=None,
        lease_expires_at=None,
        next_attempt_at=timezone.now(),
        waiting_for=WaitReason.LEASE_EXPIRED,
    )
