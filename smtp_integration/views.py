from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cymmetri.crypto import DecryptionError
from cymmetri.decorators import permission_required_page
from cymmetri.throttle import RateLimited, Throttle
from smtp_integration.forms import SmtpConfigForm
from smtp_integration.models import CHANGE_PERMISSION
from smtp_integration.presets import presets_for_page
from smtp_integration.providers import provider_for_host
from smtp_integration.selectors import (
    email_delivery_status,
    platform_from_address,
    smtp_config_get,
    smtp_connection_test_get,
    smtp_settings_test,
)
from smtp_integration.services import (
    smtp_config_delete,
    smtp_config_save,
    smtp_config_toggle,
)
from smtp_integration.tester import smtp_connection_test_start


@login_required
def integrations_index(request: HttpRequest) -> HttpResponse:
    status = email_delivery_status(smtp_config_get())
    return render(request, "integrations/index.html", {"email_status": status})


def _page(
    request,
    *,
    config,
    form,
    test_result=None,
    test_error="",
    tested=False,
    save_error="",
    status=200,
):
    context = {
        "config": config,
        "form": form,
        "status": email_delivery_status(config),
        "settings_test": smtp_settings_test(config),
        "presets": presets_for_page(),
        "current_preset": getattr(provider_for_host(form["host"].value()), "key", ""),
        "test_result": test_result,
        "test_error": test_error,
        "tested": tested,
        "save_error": save_error,
        "tab": "configuration",
        "platform_from": platform_from_address(),
    }
    return render(request, "integrations/email_smtp/configure.html", context, status=status)


SAVES_PER_WINDOW = 20
# Per admin, before the form looks the host up: Save must not be a free DNS oracle either.
SAVE_THROTTLE = Throttle(
    "throttle:smtp-save",
    SAVES_PER_WINDOW,
    timedelta(minutes=10),
    f"You have saved {SAVES_PER_WINDOW} times in the last 10 minutes. Try again in {{wait}}; "
    "what you typed is still here (except secrets).",
)


@permission_required_page(CHANGE_PERMISSION)
def email_smtp(request: HttpRequest) -> HttpResponse:
    config = smtp_config_get()
    if request.method != "POST":
        return _page(request, config=config, form=SmtpConfigForm(config=config))
    try:
        SAVE_THROTTLE.take(str(request.user.pk))
    except RateLimited as exc:
        # Shown unvalidated (validating looks the host up): the typed values, no secrets.
        hidden = SmtpConfigForm(request.POST, config=config).secret_fields  # not validated
        typed = {name: value for name, value in request.POST.items() if name not in hidden}
        form = SmtpConfigForm(initial=typed, config=config)
        return _page(request, config=config, form=form, save_error=str(exc), status=429)
    form = SmtpConfigForm(request.POST, request.FILES, config=config)
    if not form.is_valid():
        return _page(request, config=config, form=form, status=400)
    result = smtp_config_save(actor=request.user, data=form.cleaned_data, request=request)
    verb = "saved and active" if result.created else "saved"
    host = result.config.host
    saved = f"Your SMTP settings are {verb}: new email goes through {host} from now on"
    if result.tested:
        messages.success(request, f"{saved}.")
    elif result.last_test is not None:
        messages.error(
            request,
            f"{saved}, but the last test of these settings failed: every email goes to a server "
            "that refused it. Fix the settings and save, or switch custom SMTP off.",
        )
    else:
        messages.warning(
            request,
            f"{saved}. These settings have not passed Test connection yet: run it now to make "
            "sure your users receive their emails.",
        )
    if form.port_warning:
        messages.warning(request, form.port_warning)
    return redirect("integrations:email_smtp")


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def email_smtp_test(request: HttpRequest) -> HttpResponse:
    """Queue a test of the settings on the form: the probe worker runs it, the page follows
    its steps (scripts poll; without them, a result page refreshes itself). A request never
    waits on the SMTP server."""
    config = smtp_config_get()
    form = SmtpConfigForm(request.POST, request.FILES, config=config)
    test, error, status = None, "", 202
    if form.is_valid():
        try:
            test = smtp_connection_test_start(
                actor=request.user, data=form.cleaned_data, request=request
            )
        except RateLimited as exc:
            error, status = str(exc), 429
        except DecryptionError:
            form.add_error(
                form.secret_field(form.cleaned_data),
                "The stored secret cannot be read any more; enter it again.",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        status = 400
    fetched = request.headers.get("X-Requested-With") == "fetch"
    if test is not None and not fetched:
        return redirect("integrations:email_smtp_test_result", test_id=test.pk)
    if fetched:
        field_errors = {
            name: [str(message) for message in messages_]
            for name, messages_ in form.errors.items()
            if name != "__all__"
        }
        context = {
            "form": form,
            "test_result": smtp_connection_test_get(test.pk) if test else None,
            "test_error": error,
            "tested": True,
            "field_errors": field_errors,
        }
        return render(request, "integrations/email_smtp/_test_result.html", context, status=status)
    return _page(request, config=config, form=form, test_error=error, tested=True, status=status)


@permission_required_page(CHANGE_PERMISSION)
def email_smtp_test_result(request: HttpRequest, test_id: int) -> HttpResponse:
    """One connection test as it runs (the page polls it) and once it has finished."""
    result = smtp_connection_test_get(test_id)
    if result is None:
        raise Http404("No such connection test.")
    context = {"test_result": result, "tested": True}
    if request.headers.get("X-Requested-With") == "fetch":
        return render(request, "integrations/email_smtp/_test_result.html", context)
    config = smtp_config_get()
    context |= {
        "config": config,
        "status": email_delivery_status(config),
        "settings_test": smtp_settings_test(config),
        "tab": "configuration",
    }
    return render(request, "integrations/email_smtp/test_result.html", context)


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def email_smtp_toggle(request: HttpRequest) -> HttpResponse:
    config = smtp_config_get()
    if config is None:
        messages.error(request, "There is no custom SMTP to switch on or off.")
        return redirect("integrations:email_smtp")
    enabled = request.POST.get("enabled") == "1"
    smtp_config_toggle(actor=request.user, enabled=enabled, request=request)
    if enabled:
        messages.success(request, f"Custom SMTP is on: new email goes through {config.host}.")
    else:
        messages.success(
            request,
            "Custom SMTP is off: new email goes through the platform "
            "default until you switch it on again.",
        )
    return redirect("integrations:email_smtp")


@permission_required_page(CHANGE_PERMISSION)
def email_smtp_delete(request: HttpRequest) -> HttpResponse:
    config = smtp_config_get()
    if config is None:
        return redirect("integrations:email_smtp")
    if request.method == "POST":
        smtp_config_delete(actor=request.user, request=request)
        messages.success(
            request,
            "Your SMTP settings and password are removed. Email goes through the platform default.",
        )
        return redirect("integrations:email_smtp")
    context = {"config": config, "platform_from": platform_from_address()}
    return render(request, "integrations/email_smtp/delete.html", context)
