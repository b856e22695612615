"""/api/v1/email-templates/{kind}/{locale}: the tenant's texts, with the tab's validation."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Router, Schema

from api.auth import scope_required
from api.errors import ApiError
from api.schemas import ErrorOut
from email_templates.locales import LOCALES
from email_templates.models import FIELDS
from email_templates.rendering import Customisation, email_render, tenant_customisation
from email_templates.sandbox import template_compile
from email_templates.selectors import builtin_fields, email_template_get
from email_templates.services import (
    TemplateInvalid,
    email_template_clean,
    email_template_reset,
    email_template_save,
)
from email_templates.variables import kind_variables, sample_context
from mailer.kinds import KINDS
from tenants.selectors import tenant_current

router = Router(tags=["Email templates"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
PATH = "/{kind}/{locale}"


class TemplateIn(Schema):
    subject: str = SchemaField("", description="Empty: the built-in text.")
    body_text: str = ""
    body_html: str = ""


class TemplateTexts(Schema):
    subject: str
    body_text: str
    body_html: str


class TemplateOut(Schema):
    kind: str
    locale: str
    version: int
    customised: bool
    subject: str = SchemaField(..., description="The tenant's text; empty means built-in.")
    body_text: str
    body_html: str
    builtin: TemplateTexts
    variables: list[str]


class PreviewOut(Schema):
    locale: str
    subject: str
    text: str
    html: str


def _checked(kind: str, locale: str) -> None:
    if kind not in KINDS:
        raise ApiError(404, "not_found", f"No email kind {kind!r}; use one of {', '.join(KINDS)}.")
    if locale not in LOCALES:
        raise ApiError(
            404, "not_found", f"No language {locale!r}; use one of {', '.join(LOCALES)}."
        )


def _out(kind: str, locale: str) -> dict:
    current = email_template_get(kind=kind, locale=locale)
    return {
        "kind": kind,
        "locale": locale,
        "version": current.version,
        "customised": current.is_customised,
        **current.fields(),
        "builtin": builtin_fields(kind=kind, locale=locale),
        "variables": list(kind_variables(kind)),
    }


def _invalid(invalid: TemplateInvalid) -> ApiError:
    return ApiError(400, "invalid_template", str(invalid), invalid.errors)


@router.get(PATH, response={200: TemplateOut, **ERRORS}, summary="Read an email template")
def template_get(request: HttpRequest, kind: str, locale: str):
    """The tenant's texts for a kind in a language, and the built-in ones. Scope:
    `templates:read`."""
    scope_required(request, "templates:read")
    _checked(kind, locale)
    return _out(kind, locale)


@router.put(PATH, response={200: TemplateOut, **ERRORS}, summary="Write an email template")
def template_put(request: HttpRequest, kind: str, locale: str, body: TemplateIn):
    """Save the texts as a new version (the page's validation; empty fields use the built-in
    text). The same texts again change nothing. Scope: `templates:write`."""
    scope_required(request, "templates:write")
    _checked(kind, locale)
    try:
        email_template_save(
            actor=request.actor,
            tenant=tenant_current(),
            kind=kind,
            locale=locale,
            fields=body.dict(),
            request=request,
        )
    except TemplateInvalid as invalid:
        raise _invalid(invalid) from None
    return _out(kind, locale)


@router.delete(PATH, response={200: TemplateOut, **ERRORS}, summary="Reset an email template")
def template_delete(request: HttpRequest, kind: str, locale: str):
    """Back to the built-in text in every field, as a new version. Scope: `templates:write`."""
    scope_required(request, "templates:write")
    _checked(kind, locale)
    email_template_reset(
        actor=request.actor, tenant=tenant_current(), kind=kind, locale=locale, request=request
    )
    return _out(kind, locale)


@router.post(f"{PATH}/preview", response={200: PreviewOut, **ERRORS}, summary="Preview an email")
def template_preview(request: HttpRequest, kind: str, locale: str, body: TemplateIn | None = None):
    """The email rendered with sample values: the saved texts, or the ones in the body (not
    saved, validated as PUT would). Scope: `templates:read`."""
    scope_required(request, "templates:read")
    _checked(kind, locale)
    tenant = tenant_current()
    customisation = None
    if body is not None and any(body.dict().values()):
        try:
            draft = email_template_clean(
                tenant=tenant, kind=kind, locale=locale, fields=body.dict()
            )
        except TemplateInvalid as invalid:
            raise _invalid(invalid) from None
        saved = tenant_customisation(tenant)
        compiled = {
            name: template_compile(draft[name], html=name == "body_html")
            for name in FIELDS
            if draft[name]
        }
        customisation = Customisation(
            default_locale=saved.default_locale,
            brand_colour=saved.brand_colour,
            logo_url=saved.logo_url,
            overrides={**saved.overrides, (kind, locale): compiled},
        )
    base = request.build_absolute_uri("/").rstrip("/")
    rendered = email_render(
        KINDS[kind],
        context=sample_context(kind, base_url=base),
        tenant=tenant,
        locale=locale,
        customisation=customisation,
    )
    return {
        "locale": rendered.locale,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
    }
