"""Reads of a tenant's email templates, brand and history."""

from __future__ import annotations

from django.utils import translation

from email_templates.builtin import builtin_source
from email_templates.models import FIELDS, EmailBrand, EmailTemplate, EmailTemplateVersion


def email_brand_get() -> EmailBrand:
    """The tenant's brand (unsaved defaults when it never set one)."""
    return EmailBrand.objects.first() or EmailBrand()


def email_template_get(*, kind: str, locale: str) -> EmailTemplate:
    """The tenant's texts for ``kind`` in ``locale`` (an unsaved, empty one if none)."""
    found = EmailTemplate.objects.filter(kind=kind, locale=locale).first()
    return found or EmailTemplate(kind=kind, locale=locale)


def email_templates_customised() -> set[tuple[str, str]]:
    """(kind, locale) pairs where the tenant has a text of its own."""
    rows = EmailTemplate.objects.values_list("kind", "locale", *FIELDS)
    return {(kind, locale) for kind, locale, *fields in rows if any(fields)}


def email_template_versions(*, kind: str, locale: str, limit: int = 50):
    return EmailTemplateVersion.objects.filter(kind=kind, locale=locale)[:limit]


def email_template_version_get(*, kind: str, locale: str, number: int):
    return EmailTemplateVersion.objects.filter(kind=kind, locale=locale, number=number).first()


def builtin_fields(*, kind: str, locale: str) -> dict[str, str]:
    """The built-in sources of ``kind`` in ``locale``, by field: where an editor starts."""
    with translation.override(locale):
        source = builtin_source(kind)
    return {"subject": source.subject, "body_text": source.text, "body_html": source.html}
