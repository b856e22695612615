"""send_email(): validate, write the outbox row in the caller's transaction, enqueue on commit."""

from __future__ import annotations

import logging
import uuid
from contextlib import nullcontext
from functools import partial

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from mailer.models import EmailStatus, OutboundEmail
from mailer.rendering import email_render
from mailer.routing import from_domain_now
from mailer.validation import context_clean, kind_get, recipient_clean
from tenants.selectors import tenant_current

logger = logging.getLogger(__name__)


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
    kind: str, *, to: str, context: dict, tenant=None, force_platform_default: bool = False
) -> OutboundEmail:
    """Queue one email of ``kind`` to ``to``.

    The row is written in the caller's transaction and handed to a worker when that
    transaction commits; if the broker is down then, the sweeper picks the row up later.
    Raises an EmailRequestError subclass naming what is wrong with the request.
    """
    spec = kind_get(kind)
    address = recipient_clean(to)
    context = context_clean(spec, context)
    switch = (
        tenant_context(tenant)
        if tenant is not None and tenant.schema_name != connection.schema_name
        else nullcontext()
    )
    with switch:
        current = tenant or _current_tenant()
        rendered = email_render(spec, context=context, tenant_name=current.display_name)
        now = timezone.now()
        email = OutboundEmail.objects.create(
            kind=spec.name,
            to_address=address,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            message_id=f"<{uuid.uuid4().hex}@{from_domain_now(force_platform_default)}>",
            force_platform_default=force_platform_default,
            next_attempt_at=now,
            expires_at=now + spec.lifetime,
        )
        transaction.on_commit(partial(email_enqueue, current.schema_name, email.pk))
    return email


def email_enqueue(schema_name: str, email_id: int, *, countdown: float | None = None) -> bool:
    """Hand an email to the workers; False (and a log line) when the broker is unreachable."""
    from mailer.tasks import email_deliver_task

    try:
        # The schema travels in the task's headers, taken from the connection at send time.
        with schema_context(schema_name):
            email_deliver_task.apply_async(args=[email_id], countdown=countdown, retry=False)
    except Exception:  # the broker is down: the row stays queued and the sweeper sends it
        logger.warning(
            "Could not enqueue email %s of %s; the sweeper will.",
            email_id,
            schema_name,
            exc_info=True,
        )
        with schema_context(schema_name):
            # Marked, so the next sweep takes it at once instead of after the grace period.
            OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
                waiting_for="broker_unavailable"
            )
        return False
    return True
