"""Writes: a tenant's template versions (save, revert, reset) and its brand, each audited."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest

from audit.models import AuditAction
from audit.services import audit_record
from email_templates.locales import LOCALES
from email_templates.models import FIELDS, EmailBrand, EmailTemplate, EmailTemplateVersion
from email_templates.models import VersionAction as Action
from email_templates.selectors import builtin_fields, email_template_version_get
from email_templates.validation import template_errors
from tenants.models import Tenant


class TemplateInvalid(ValueError):
    """The texts would be refused; ``errors`` is {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(message for found in errors.values() for message in found))


def _revision_bump(tenant) -> None:
    # Every process's compiled templates are keyed by this: they reload on next use.
    tenant.email_templates_revision = uuid.uuid4()
    Tenant.objects.filter(pk=tenant.pk).update(
        email_templates_revision=tenant.email_templates_revision
    )


def _normalised(*, kind: str, locale: str, fields: dict[str, str]) -> dict[str, str]:
    """Line endings as \\n; a field left as the built-in text is stored empty, so it keeps
    following the built-in text (and its translations) as they improve."""
    builtin = builtin_fields(kind=kind, locale=locale)
    cleaned = {}
    for name in FIELDS:
        value = (fields.get(name) or "").replace("\r\n", "\n").replace("\r", "\n")
        if name == "subject":
            value = value.strip()
        cleaned[name] = "" if value.strip() == builtin[name].strip() else value
    return cleaned


def email_template_clean(*, tenant, kind: str, locale: str, fields: dict[str, str]) -> dict:
    """The fields as they would be saved; TemplateInvalid naming every problem."""
    if locale not in LOCALES:
        raise TemplateInvalid({"locale": [f"Unknown language {locale!r}."]})
    cleaned = _normalised(kind=kind, locale=locale, fields=fields)
    errors = template_errors(kind=kind, tenant=tenant, locale=locale, fields=cleaned)
    if errors:
        raise TemplateInvalid(errors)
    return cleaned


def email_template_save(
    *,
    actor,
    tenant,
    kind: str,
    locale: str,
    fields: dict[str, str],
    request: HttpRequest | None = None,
    action: str = Action.SAVED,
    reverted_to: int | None = None,
) -> EmailTemplateVersion | None:
    """Save the tenant's texts as a new version; None when nothing changed.

    Raises TemplateInvalid naming every problem. Empty fields use the built-in text.
    """
    cleaned = email_template_clean(tenant=tenant, kind=kind, locale=locale, fields=fields)
    with transaction.atomic():
        current, _ = EmailTemplate.objects.select_for_update().get_or_create(
            kind=kind, locale=locale
        )
        changed = [name for name in FIELDS if getattr(current, name) != cleaned[name]]
        if not changed:
            return None
        for name in FIELDS:
            setattr(current, name, cleaned[name])
        current.version += 1
        current.save()
        version = EmailTemplateVersion.objects.create(
            kind=kind,
            locale=locale,
            number=current.version,
            action=action,
            reverted_to=reverted_to,
            changed=changed,
            # An API token acts for the user who created it.
            actor=getattr(actor, "user", actor),
            actor_email=getattr(actor, "email", ""),
            **cleaned,
        )
        _revision_bump(tenant)
        audit_record(
            AuditAction.EMAIL_TEMPLATE_UPDATED,
            tenant=tenant,
            request=request,
            actor=actor,
            target=f"email_template:{kind}:{locale}",
            metadata={
                "kind": kind,
                "locale": locale,
                "version": version.number,
                "action": action,
                "changed": changed,
                **({"reverted_to": reverted_to} if reverted_to else {}),
            },
        )
    return version


def email_template_revert(
    *, actor, tenant, kind: str, locale: str, number: int, request: HttpRequest | None = None
) -> EmailTemplateVersion | None:
    """Make version ``number``'s texts current again, as a new version."""
    old = email_template_version_get(kind=kind, locale=locale, number=number)
    if old is None:
        raise TemplateInvalid({"version": [f"There is no version {number} of this email."]})
    return email_template_save(
        actor=actor,
        tenant=tenant,
        kind=kind,
        locale=locale,
        fields=old.fields(),
        request=request,
        action=Action.REVERTED,
        reverted_to=number,
    )


def email_template_reset(
    *, actor, tenant, kind: str, locale: str, request: HttpRequest | None = None
) -> EmailTemplateVersion | None:
    """Back to the built-in text in every field, as a new version."""
    return email_template_save(
        actor=actor,
        tenant=tenant,
        kind=kind,
        locale=locale,
        fields=dict.fromkeys(FIELDS, ""),
        request=request,
        action=Action.RESET,
    )


def email_brand_save(*, actor, tenant, data: dict, request: HttpRequest | None = None) -> list[str]:
    """Save default language, brand colour and logo; the names of the fields that changed."""
    with transaction.atomic():
        brand = EmailBrand.objects.select_for_update().first() or EmailBrand()
        changed = [name for name, value in data.items() if getattr(brand, name) != value]
        if not changed:
            return []
        for name, value in data.items():
            setattr(brand, name, value)
        brand.save()
        _revision_bump(tenant)
        audit_record(
            AuditAction.EMAIL_BRAND_UPDATED,
            tenant=tenant,
            request=request,
            actor=actor,
            target="email_brand",
            metadata={"changed": changed, **{name: data[name] for name in changed}},
        )
    return changed
