"""The Email templates tab: brand and language, then per kind and language an editor with
its preview (text and HTML side by side), Send to me, and the history."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from audit.models import AuditAction
from audit.services import audit_record
from cymmetri.decorators import permission_required_page
from cymmetri.throttle import RateLimited, Throttle
from email_templates.forms import EmailBrandForm, EmailTemplateForm
from email_templates.locales import LOCALES
from email_templates.models import FIELDS
from email_templates.rendering import Customisation, email_render, tenant_customisation
from email_templates.sandbox import template_compile
from email_templates.selectors import (
    builtin_fields,
    email_brand_get,
    email_template_get,
    email_template_versions,
    email_templates_customised,
)
from email_templates.services import (
    TemplateInvalid,
    email_brand_save,
    email_template_clean,
    email_template_reset,
    email_template_revert,
    email_template_save,
)
from email_templates.variables import DESCRIPTIONS, ESSENTIAL, kind_variables, sample_context
from mailer import send_email
from mailer.kinds import KINDS, EmailKind
from smtp_integration.models import CHANGE_PERMISSION
from smtp_integration.selectors import email_delivery_status, smtp_config_get
from tenants.selectors import tenant_current

SENDS_PER_WINDOW = 5
SEND_THROTTLE = Throttle(
    "throttle:template-send",
    SENDS_PER_WINDOW,
    timedelta(minutes=10),
    f"You have sent yourself {SENDS_PER_WINDOW} test emails in the last 10 minutes. "
    "Try again in {wait}.",
)
# Email HTML styles itself inline; it is shown in a sandboxed frame with a policy of its own
# (no scripts; images over https only, as mail clients show them).
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'"
)


def _checked(kind: str, locale: str) -> None:
    if kind not in KINDS or locale not in LOCALES:
        raise Http404("No such email or language.")


def _draft_key(kind: str, locale: str) -> str:
    return f"email_template_draft:{kind}:{locale}"


def _draft_customisation(tenant, kind: str, locale: str, fields: dict) -> Customisation:
    """The tenant's customisation with ``fields`` as its texts for (kind, locale)."""
    saved = tenant_customisation(tenant)
    draft = {
        name: template_compile(source, html=name == "body_html")
        for name, source in fields.items()
        if source
    }
    return Customisation(
        default_locale=saved.default_locale,
        brand_colour=saved.brand_colour,
        logo_url=saved.logo_url,
        overrides={**saved.overrides, (kind, locale): draft},
    )


def _preview(request: HttpRequest, kind: str, locale: str, *, draft: dict | None = None):
    tenant = tenant_current()
    base = request.build_absolute_uri("/").rstrip("/")
    customisation = _draft_customisation(tenant, kind, locale, draft) if draft else None
    return email_render(
        KINDS[kind],
        context=sample_context(kind, base_url=base),
        tenant=tenant,
        locale=locale,
        customisation=customisation,
    )


def _sender() -> dict:
    """From and Reply-to as the active route sends them now."""
    config = smtp_config_get()
    status = email_delivery_status(config)
    custom = config is not None and config.enabled
    name = config.from_name if custom else tenant_current().display_name
    return {
        "from": f"{name} <{config.from_address if custom else status.from_address}>",
        "reply_to": config.reply_to if custom else "",
        "route": status.label,
    }


@permission_required_page(CHANGE_PERMISSION)
def templates_index(request: HttpRequest) -> HttpResponse:
    brand = email_brand_get()
    form = EmailBrandForm(
        initial={
            "default_locale": brand.default_locale,
            "brand_colour": brand.brand_colour,
            "logo_url": brand.logo_url,
        }
    )
    status = 200
    if request.method == "POST":
        form = EmailBrandForm(request.POST)
        if form.is_valid():
            changed = email_brand_save(
                actor=request.user,
                tenant=tenant_current(),
                data=form.cleaned_data,
                request=request,
            )
            messages.success(
                request,
                "Saved: every email uses these from now on." if changed else "Nothing changed.",
            )
            return redirect("integrations:email_templates")
        status = 400
    customised = email_templates_customised()
    rows = [
        (
            value,
            label,
            [(code, name, (value, code) in customised) for code, name in LOCALES.items()],
        )
        for value, label in EmailKind.choices
    ]
    context = {"tab": "templates", "form": form, "rows": rows, "locales": LOCALES}
    return render(request, "email_templates/index.html", context, status=status)


def _edit_page(request, kind, locale, *, form, errors=None, draft=None, status=200):
    customised = email_templates_customised()
    context = {
        "tab": "templates",
        "kind": kind,
        "kind_label": KINDS[kind].label,
        "locale": locale,
        "locale_label": LOCALES[locale],
        "kinds": EmailKind.choices,
        "locales": [(code, name, (kind, code) in customised) for code, name in LOCALES.items()],
        "form": form,
        "errors": errors or {},
        "draft": draft is not None,
        "rendered": _preview(request, kind, locale, draft=draft),
        "sender": _sender(),
        "variables": [(name, DESCRIPTIONS[name]) for name in kind_variables(kind)],
        "essential": ESSENTIAL[kind],
        "current": email_template_get(kind=kind, locale=locale),
        "versions": email_template_versions(kind=kind, locale=locale),
        "default_locale": tenant_customisation(tenant_current()).default_locale,
    }
    return render(request, "email_templates/edit.html", context, status=status)


def _form_initial(kind: str, locale: str) -> dict:
    builtin = builtin_fields(kind=kind, locale=locale)
    current = email_template_get(kind=kind, locale=locale)
    return {name: getattr(current, name) or builtin[name] for name in FIELDS}


@permission_required_page(CHANGE_PERMISSION)
def template_edit(request: HttpRequest, kind: str, locale: str) -> HttpResponse:
    _checked(kind, locale)
    if request.method != "POST":
        form = EmailTemplateForm(initial=_form_initial(kind, locale))
        return _edit_page(request, kind, locale, form=form)
    form = EmailTemplateForm(request.POST)
    form.is_valid()
    fields = {name: form.cleaned_data.get(name, "") for name in FIELDS}
    tenant = tenant_current()
    if request.POST.get("action") == "preview":
        try:
            cleaned = email_template_clean(tenant=tenant, kind=kind, locale=locale, fields=fields)
        except TemplateInvalid as invalid:
            return _edit_page(request, kind, locale, form=form, errors=invalid.errors, status=400)
        request.session[_draft_key(kind, locale)] = cleaned
        return _edit_page(request, kind, locale, form=form, draft=cleaned)
    try:
        version = email_template_save(
            actor=request.user,
            tenant=tenant,
            kind=kind,
            locale=locale,
            fields=fields,
            request=request,
        )
    except TemplateInvalid as invalid:
        return _edit_page(request, kind, locale, form=form, errors=invalid.errors, status=400)
    request.session.pop(_draft_key(kind, locale), None)
    if version is None:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(
            request,
            f"Saved as version {version.number}: {KINDS[kind].label.lower()} emails in "
            f"{LOCALES[locale]} use it from now on.",
        )
    return redirect("integrations:email_template", kind=kind, locale=locale)


@permission_required_page(CHANGE_PERMISSION)
@xframe_options_sameorigin
def template_preview_html(request: HttpRequest, kind: str, locale: str) -> HttpResponse:
    _checked(kind, locale)
    draft = request.session.get(_draft_key(kind, locale)) if request.GET.get("draft") else None
    response = HttpResponse(_preview(request, kind, locale, draft=draft).html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def template_send_to_me(request: HttpRequest, kind: str, locale: str) -> HttpResponse:
    """The saved email, as users receive it, to the signed-in admin only."""
    _checked(kind, locale)
    here = reverse("integrations:email_template", kwargs={"kind": kind, "locale": locale})
    try:
        SEND_THROTTLE.take(str(request.user.pk))
    except RateLimited as refusal:
        messages.error(request, str(refusal))
        return redirect(here)
    base = request.build_absolute_uri("/").rstrip("/")
    email = send_email(
        kind,
        to=request.user.email,
        context=sample_context(kind, base_url=base),
        locale=locale,
        test=True,
    )
    audit_record(
        AuditAction.EMAIL_TEMPLATE_TEST_SENT,
        request=request,
        target=f"outbound_email:{email.pk}",
        recipient=request.user.email,
        metadata={"kind": kind, "locale": locale},
    )
    messages.success(
        request,
        f"Sent to {request.user.email} through {_sender()['route'].lower()}: it shows in "
        "Activity marked as a test.",
    )
    return redirect(here)


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def template_revert(request: HttpRequest, kind: str, locale: str, number: int) -> HttpResponse:
    _checked(kind, locale)
    try:
        version = email_template_revert(
            actor=request.user,
            tenant=tenant_current(),
            kind=kind,
            locale=locale,
            number=number,
            request=request,
        )
    except TemplateInvalid as invalid:
        messages.error(request, str(invalid))
    else:
        if version is None:
            messages.info(request, f"Version {number} is what is in use already.")
        else:
            messages.success(
                request, f"Reverted to version {number} (saved as version {version.number})."
            )
    return redirect("integrations:email_template", kind=kind, locale=locale)


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def template_reset(request: HttpRequest, kind: str, locale: str) -> HttpResponse:
    _checked(kind, locale)
    version = email_template_reset(
        actor=request.user, tenant=tenant_current(), kind=kind, locale=locale, request=request
    )
    if version is None:
        messages.info(request, "This email already uses the built-in text.")
    else:
        messages.success(
            request,
            f"Back to the built-in text (version {version.number}); earlier versions stay in "
            "the history.",
        )
    return redirect("integrations:email_template", kind=kind, locale=locale)


def _default_locale() -> str:
    return tenant_customisation(tenant_current()).default_locale


@permission_required_page(CHANGE_PERMISSION)
def previews_moved(request: HttpRequest, kind: str | None = None) -> HttpResponse:
    """The former Email previews tab: its addresses lead to the same email here."""
    if kind is None:
        return redirect("integrations:email_templates", permanent=True)
    _checked(kind, "en")
    return redirect(
        "integrations:email_template", kind=kind, locale=_default_locale(), permanent=True
    )


@permission_required_page(CHANGE_PERMISSION)
def preview_html_moved(request: HttpRequest, kind: str) -> HttpResponse:
    _checked(kind, "en")
    return redirect(
        "integrations:email_template_html", kind=kind, locale=_default_locale(), permanent=True
    )
