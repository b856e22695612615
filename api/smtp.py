"""/api/v1/email-smtp: everything the Email SMTP page does, with the page's rules."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from api.auth import scope_required
from api.errors import ApiError, fields_of
from api.schemas import (
    DeliverabilityOut,
    ErrorOut,
    SmtpConfigOut,
    SmtpConfigPatch,
    SmtpConfigPut,
    SmtpTestIn,
    TestOut,
    TestStartedOut,
)
from deliverability.selectors import deliverability_page_get, deliverability_summary
from deliverability.services import RECHECK_THROTTLE, domain_dns_check
from smtp_integration.forms import SmtpConfigForm
from smtp_integration.models import CONFIG_FIELDS, SmtpConfig
from smtp_integration.selectors import (
    email_delivery_status,
    platform_from_address,
    smtp_config_get,
    smtp_connection_test_get,
    smtp_last_test,
)
from smtp_integration.services import (
    smtp_config_delete,
    smtp_config_save,
    smtp_config_toggle,
)
from smtp_integration.tester import smtp_connection_test_start

router = Router(tags=["Email SMTP"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
SECRET_FIELDS = ("password", "oauth_secret", "oauth_key")


# --- reading ---------------------------------------------------------------------------------


def _test_out(view) -> dict | None:
    if view is None:
        return None
    return {
        "id": view.id,
        "status": view.status,
        "message": view.message,
        "reason": view.reason,
        "host": view.host,
        "port": view.port,
        "tls_mode": view.tls_mode,
        "to": view.recipient,
        "created_at": view.created_at,
        "finished_at": view.finished_at,
        "duration_ms": view.duration_ms,
        "steps": view.steps,
    }


def config_out(config: SmtpConfig | None) -> dict:
    status = email_delivery_status(config)
    last = smtp_last_test()
    summary = deliverability_summary()
    out = {
        "configured": config is not None,
        "route": "platform_default",
        "enabled": False,
        "status": vars(status) | {},
        "from_address": platform_from_address(),
        "last_test": _test_out(smtp_connection_test_get(last.pk)) if last else None,
        "deliverability": (
            {
                "overall": summary.overall,
                "domain": summary.domain,
                "checked_at": summary.checked_at,
            }
            if summary
            else None
        ),
    }
    if config is None:
        return out
    return (
        out
        | {name: getattr(config, name) for name in CONFIG_FIELDS}
        | {
            "route": "custom" if config.enabled else "custom_disabled",
            "enabled": config.enabled,
            "has_password": config.has_password,
            "has_oauth_secret": config.has_oauth_secret,
            "version": config.version,
            "updated_at": config.updated_at,
            "updated_by": config.updated_by_email,
            "health": {
                "status": config.health,
                "last_success_at": config.last_success_at,
                "last_failure_at": config.last_failure_at,
                "last_failure_reason": config.last_failure_reason,
            },
        }
    )


@router.get("", response={200: SmtpConfigOut, **ERRORS}, summary="The configuration")
def smtp_get(request: HttpRequest):
    """The tenant's SMTP configuration, its health, last test and deliverability; secrets
    never (`has_password` says whether one is stored). Scope: `smtp:read`."""
    scope_required(request, "smtp:read")
    return config_out(smtp_config_get())


# --- writing ---------------------------------------------------------------------------------


def _form_data(body: dict) -> dict:
    """The body as the page's form receives it."""
    data = {}
    for name, value in body.items():
        if name == "oauth_key" and isinstance(value, dict):
            value = json.dumps(value)
        data[name] = "" if value is None else value
    return data


def validated(body: dict, config: SmtpConfig | None, *, merge: bool) -> dict:
    """The page's form rules (SSRF policy, CR/LF, masks, secrets bound to their server) on
    ``body``; with ``merge``, stored values fill the fields it leaves out."""
    stored = {name: getattr(config, name) for name in CONFIG_FIELDS} if config and merge else {}
    data = _form_data({**stored, **body})
    if not data.get("fallback_to_platform"):
        data.pop("fallback_to_platform", None)  # an unchecked box is an absent one
    form = SmtpConfigForm(data, config=config)
    if form.is_valid():
        return form.cleaned_data
    fields = {name: list(messages) for name, messages in form.errors.items()}
    missing_secret = any(name in fields and not body.get(name) for name in SECRET_FIELDS)
    code = "secret_required" if missing_secret else "validation_failed"
    first = next(iter(fields.values()))[0]
    raise ApiError(400, code, first, fields)


def _save(request: HttpRequest, body: dict, *, merge: bool):
    scope_required(request, "smtp:write")
    config = smtp_config_get()
    data = validated(body, config, merge=merge)
    try:
        result = smtp_config_save(actor=request.actor, data=data, request=request)
    except ValidationError as exc:
        raise ApiError(400, "secret_required", exc.messages[0], fields_of(exc)) from None
    status = 201 if result.created else 200
    return Status(status, config_out(result.config))


@router.put(
    "", response={200: SmtpConfigOut, 201: SmtpConfigOut, **ERRORS}, summary="Create or replace"
)
def smtp_put(request: HttpRequest, body: SmtpConfigPut):
    """Create or replace the configuration; it is active at once. The same body again
    changes nothing and records nothing. Scope: `smtp:write`."""
    return _save(request, body.model_dump(exclude_none=True), merge=False)


@router.patch("", response={200: SmtpConfigOut, 404: ErrorOut, **ERRORS}, summary="Change")
def smtp_patch(request: HttpRequest, body: SmtpConfigPatch):
    """Change some fields; the others keep their stored values. Scope: `smtp:write`."""
    if smtp_config_get() is None:
        _not_configured()
    return _save(request, body.model_dump(exclude_unset=True), merge=True)


def _not_configured():
    raise ApiError(
        404,
        "not_configured",
        "There is no custom SMTP configuration: create one with PUT /api/v1/email-smtp.",
    )


@router.delete("", response={204: None, 404: ErrorOut, **ERRORS}, summary="Remove")
def smtp_delete(request: HttpRequest):
    """Remove the configuration and its secret; email goes through the platform default.
    Scope: `smtp:write`."""
    scope_required(request, "smtp:write")
    if not smtp_config_delete(actor=request.actor, request=request):
        _not_configured()
    return Status(204, None)


def _toggle(request: HttpRequest, enabled: bool):
    scope_required(request, "smtp:write")
    if smtp_config_get() is None:
        _not_configured()
    return config_out(smtp_config_toggle(actor=request.actor, enabled=enabled, request=request))


@router.post("/enable", response={200: SmtpConfigOut, 404: ErrorOut, **ERRORS}, summary="Switch on")
def smtp_enable(request: HttpRequest):
    """Send through the tenant's own SMTP from now on. Scope: `smtp:write`."""
    return _toggle(request, True)


@router.post(
    "/disable", response={200: SmtpConfigOut, 404: ErrorOut, **ERRORS}, summary="Switch off"
)
def smtp_disable(request: HttpRequest):
    """Send through the platform default from now on; the settings stay. Scope:
    `smtp:write`."""
    return _toggle(request, False)


# --- Test connection -------------------------------------------------------------------------


@router.post(
    "/test", response={202: TestStartedOut, 404: ErrorOut, **ERRORS}, summary="Test connection"
)
def smtp_test(request: HttpRequest, body: SmtpTestIn | None = None):
    """Queue a test email through the saved configuration (empty body) or an unsaved one;
    poll `GET /api/v1/email-smtp/tests/{id}` for its steps. Limited per admin as on the
    page. Scope: `smtp:write`."""
    scope_required(request, "smtp:write")
    fields = body.model_dump(exclude_unset=True) if body is not None else {}
    to = fields.pop("to", "") or ""
    config = smtp_config_get()
    data = validated(fields, config, merge=False) if fields else None
    if data is None and config is None:
        _not_configured()
    test = smtp_connection_test_start(actor=request.actor, data=data, to=to, request=request)
    url = reverse("api-1:smtp_test_get", kwargs={"test_id": test.pk})
    return Status(202, {"id": test.pk, "status": "running", "url": url})


@router.get(
    "/tests/{test_id}",
    response={200: TestOut, 404: ErrorOut, **ERRORS},
    url_name="smtp_test_get",
    summary="A test and its steps",
)
def smtp_test_get(request: HttpRequest, test_id: int):
    """A connection test: `running` with the steps done so far, then `passed` or `failed`
    with every step and the advice the page shows. Scope: `smtp:read`."""
    scope_required(request, "smtp:read")
    view = smtp_connection_test_get(test_id)
    if view is None:
        raise ApiError(404, "not_found", f"There is no connection test {test_id}.")
    return _test_out(view)


# --- Deliverability --------------------------------------------------------------------------


def _deliverability_out() -> dict:
    page = deliverability_page_get()
    if page.target is None:
        return {"route": "platform_default"}
    report = page.report.to_dict() if page.report else None
    state = page.state
    return {
        "route": "custom",
        "domain": page.target.domain,
        "smtp_host": page.target.smtp_host,
        "overall": state.overall if page.report else None,
        "checked_at": state.checked_at if page.report else None,
        "records": (report or {}).get("rows", []),
        "report": report,
    }


@router.get(
    "/deliverability", response={200: DeliverabilityOut, **ERRORS}, summary="Deliverability"
)
def smtp_deliverability(request: HttpRequest):
    """The stored SPF, DKIM, DMARC and return-path result of the From domain, per record
    with the record to publish. Scope: `smtp:read`."""
    scope_required(request, "smtp:read")
    return _deliverability_out()


@router.post(
    "/deliverability/check",
    response={200: DeliverabilityOut, **ERRORS},
    summary="Re-check deliverability now",
)
def smtp_deliverability_check(request: HttpRequest):
    """Check the From domain in DNS now, past every cache; the same budget as the tab's
    Re-check now. Scope: `smtp:write`."""
    scope_required(request, "smtp:write")
    RECHECK_THROTTLE.take()
    domain_dns_check(fresh=True, actor=request.actor, request=request)
    return _deliverability_out()
