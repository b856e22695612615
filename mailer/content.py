"""What an email says, rendered by the worker that sends it (and nowhere else kept)."""

from __future__ import annotations

from email_templates.locales import DEFAULT_LOCALE
from email_templates.rendering import RenderedEmail, email_render, tenant_customisation
from mailer.kinds import KINDS
from mailer.models import OutboundEmail
from tenants.selectors import tenant_get


def email_content(email: OutboundEmail, *, tenant=None) -> RenderedEmail:
    """Subject, text and HTML of ``email``: its variables in the tenant's templates as saved
    when it was queued or later (its revision names them, so a worker's cached copy of older
    texts is never used), its expiry as stored."""
    if email.body_text:  # queued by a version that rendered on the caller's side
        return RenderedEmail(
            email.subject, email.body_text, email.body_html, email.locale or DEFAULT_LOCALE
        )
    spec = KINDS[email.kind]
    tenant = tenant or tenant_get(email.tenant_id)
    return email_render(
        spec,
        context=email.context,
        tenant=tenant,
        locale=email.locale,
        now=email.expires_at - spec.lifetime,
        customisation=tenant_customisation(tenant, revision=email.templates_revision),
    )
