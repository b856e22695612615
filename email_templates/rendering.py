"""An email of a kind, for a tenant, in a language: the tenant's texts where it has them,
field by field, else the built-in text; inside the platform's layout."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC as _UTC
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape, unescape

from django.template import Context
from django.template.loader import get_template
from django.utils import dateformat, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import npgettext
from django_tenants.utils import schema_context
from liquid import Template

from email_templates.builtin import builtin_source
from email_templates.locales import DEFAULT_LOCALE, locale_match
from email_templates.models import EmailBrand, EmailTemplate
from email_templates.sandbox import (
    DEFAULT_BRAND_COLOUR,
    TemplateRenderError,
    template_compile,
    template_render,
)
from email_templates.sanitize import html_sanitize
from email_templates.variables import ESSENTIAL, sample_context
from mailer.kinds import KINDS, Kind

logger = logging.getLogger(__name__)

# How "expires_at" reads in each language (month names come from Django's catalogues).
DATETIME_FORMATS = {
    "en": "j F Y, H:i",
    "de": "j. F Y, H:i",
    "fr": "j F Y à H:i",
    "es": r"j \d\e F \d\e Y, H:i",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Customisation:
    """A tenant's brand and its compiled overrides: {(kind, locale): {field: Template}}."""

    default_locale: str = DEFAULT_LOCALE
    brand_colour: str = DEFAULT_BRAND_COLOUR
    logo_url: str = ""
    overrides: dict = field(default_factory=dict)


BUILT_IN = Customisation()


def tenant_customisation(tenant, *, revision: uuid.UUID | None = None) -> Customisation:
    """The tenant's brand and overrides (as of ``revision``, by default its latest); read and
    compiled once per revision per process."""
    revision = revision or getattr(tenant, "email_templates_revision", None)
    if revision is None:
        return BUILT_IN
    return _customisation_load(tenant.schema_name, revision)


def email_locale(tenant, locale: str | None, *, customisation: Customisation | None = None) -> str:
    """The language an email asked for in ``locale`` is written in: that one where there is
    a translation, else the tenant's default language, else English."""
    return locale_match(locale) or (customisation or tenant_customisation(tenant)).default_locale


@lru_cache(maxsize=2048)
def _customisation_load(schema_name: str, revision: uuid.UUID) -> Customisation:
    with schema_context(schema_name):
        brand = EmailBrand.objects.first()
        rows = list(EmailTemplate.objects.all())
    overrides = {
        (row.kind, row.locale): {
            name: template_compile(source, html=name == "body_html")
            for name, source in row.fields().items()
            if source
        }
        for row in rows
    }
    if brand is None:
        return Customisation(overrides=overrides)
    return Customisation(
        default_locale=brand.default_locale,
        brand_colour=brand.brand_colour,
        logo_url=brand.logo_url,
        overrides=overrides,
    )


@lru_cache(maxsize=64)
def _builtin_compiled(kind: str, locale: str) -> dict[str, Template]:
    with translation.override(locale):
        source = builtin_source(kind)
    return {
        "subject": template_compile(source.subject, html=False),
        "body_text": template_compile(source.text, html=False),
        "body_html": template_compile(source.html, html=True),
        "footer": template_compile(source.footer, html=False),
    }


@lru_cache(maxsize=1024)
def _footer(kind: str, locale: str, tenant_name: str) -> str:
    """The built-in footer names only the tenant: rendered once per tenant name and language."""
    return template_render(_builtin_compiled(kind, locale)["footer"], {"tenant_name": tenant_name})


_SUBJECT = "\x00subject\x00"
_CONTENT = "\x00content\x00"


@lru_cache(maxsize=1024)
def _layout(lang: str, tenant_name: str, brand_colour: str, logo_url: str, footer: str):
    """The layout around an email's subject and content, rendered once per language and
    brand: (before the subject, between it and the content, after the content)."""
    html = get_template("emails/layout.html").template.render(
        Context(
            {
                "lang": lang,
                "subject": mark_safe(_SUBJECT),  # noqa: S308 (a marker, replaced by the caller)
                "tenant_name": tenant_name,
                "brand_colour": brand_colour,
                "logo_url": logo_url,
                "content": mark_safe(_CONTENT),  # noqa: S308 (a marker, replaced by the caller)
                "footer": footer,
            }
        )
    )
    head, rest = html.split(_SUBJECT)
    middle, tail = rest.split(_CONTENT)
    return head, middle, tail


def expires_in_text(lifetime: timedelta) -> str:
    """ "10 minutes", "1 hour", "7 days" in the active language."""
    return _expires_in_text(lifetime, translation.get_language())


@lru_cache(maxsize=256)
def _expires_in_text(lifetime: timedelta, language: str) -> str:
    seconds = int(lifetime.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return npgettext("email", "%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return npgettext("email", "%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return npgettext("email", "%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def datetime_text(moment: datetime, locale: str) -> str:
    """The moment to the minute, as the language writes it (the formats show no seconds)."""
    minute = timezone.localtime(moment, _UTC).replace(second=0, microsecond=0)
    return _datetime_text(minute, locale)


@lru_cache(maxsize=512)
def _datetime_text(minute: datetime, locale: str) -> str:
    # Formatted once per minute and language: every email of that minute says the same.
    with translation.override(locale):
        text = dateformat.format(minute, DATETIME_FORMATS.get(locale, DATETIME_FORMATS["en"]))
    return f"{text} UTC"


def essential_shown(kind: str, output: str, variables: dict, *, html: bool) -> bool:
    """Whether ``output`` shows the kind's code or link (its first line, for a message)."""
    lines = str(variables.get(ESSENTIAL[kind], "")).splitlines()
    return not lines or lines[0] in (unescape(output) if html else output)


def _first_rendered(kind: str, name: str, candidates, variables: dict) -> str:
    for template, custom in candidates:
        try:
            output = template_render(template, variables)
        except TemplateRenderError as error:
            logger.warning("Tenant email template %s/%s failed: %s", kind, name, error)
            continue
        if not custom:
            return output
        if name == "body_html":
            output = html_sanitize(output)
        # A tenant's body that lost the code or link (a condition false for this recipient)
        # is not sent: the next text in the chain is.
        if name != "subject" and not essential_shown(
            kind, output, variables, html=name == "body_html"
        ):
            continue
        return output
    raise AssertionError("the built-in text always renders")  # pragma: no cover


def email_render(
    kind: Kind,
    *,
    context: dict,
    tenant,
    locale: str | None = None,
    now: datetime | None = None,
    customisation: Customisation | None = None,
) -> RenderedEmail:
    """Subject, text and HTML of ``kind`` for ``tenant`` in ``locale`` (a language tag; else
    the tenant's default language, else English). Each field falls back on its own: the
    tenant's text in that language → in its default language → the built-in text."""
    custom = customisation or tenant_customisation(tenant)
    chosen = email_locale(tenant, locale, customisation=custom)
    with translation.override(chosen):
        now = now or timezone.now()
        variables = {
            **context,
            "tenant_name": tenant.display_name,
            "expires_in": expires_in_text(kind.lifetime),
            "expires_at": datetime_text(now + kind.lifetime, chosen),
            "brand_colour": custom.brand_colour,
        }
        builtin = _builtin_compiled(kind.name, chosen)
        own = custom.overrides.get((kind.name, chosen), {})
        default = custom.overrides.get((kind.name, custom.default_locale), {})

        def render(name: str) -> str:
            candidates = [(t, True) for t in (own.get(name), default.get(name)) if t]
            return _first_rendered(
                kind.name, name, [*candidates, (builtin[name], False)], variables
            )

        subject = " ".join(render("subject").split())[:255]
        head, middle, tail = _layout(
            chosen,
            tenant.display_name,
            custom.brand_colour,
            custom.logo_url,
            _footer(kind.name, chosen, tenant.display_name),
        )
        # The content is sanitised (a tenant's) or built in; the subject is escaped here as the
        # template would have.
        html = head + escape(subject) + middle + render("body_html") + tail
        return RenderedEmail(
            subject=subject, text=render("body_text").strip() + "\n", html=html, locale=chosen
        )


def sample_variables(kind: str, *, tenant, locale: str, base_url: str = "") -> dict:
    """The variables a preview or a check renders with: sample values, real formats."""
    spec = KINDS[kind]
    with translation.override(locale):
        now = timezone.now()
        return {
            **sample_context(kind, base_url=base_url or "https://example.com"),
            "tenant_name": tenant.display_name,
            "expires_in": expires_in_text(spec.lifetime),
            "expires_at": datetime_text(now + spec.lifetime, locale),
            "brand_colour": tenant_customisation(tenant).brand_colour,
        }
