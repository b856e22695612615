"""Integrations → Email SMTP → Deliverability: SPF, DKIM and DMARC of the From domain."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cymmetri.decorators import permission_required_page
from cymmetri.throttle import RateLimited, wait_text
from deliverability.forms import ADD, DkimSelectorForm
from deliverability.selectors import (
    DeliverabilityPage,
    deliverability_page_get,
    deliverability_target,
)
from deliverability.services import (
    RECHECK_THROTTLE,
    dkim_selector_add,
    dkim_selector_remove,
    domain_dns_check,
)
from smtp_integration.models import CHANGE_PERMISSION
from smtp_integration.selectors import platform_from_address
from tenants.models import DeliverabilityStatus

TAB = "integrations:email_smtp_deliverability"
PROPAGATION_NOTE = (
    "DNS changes take minutes to hours to propagate: if a record you just published "
    "is not seen yet, re-check later."
)


def _render(
    request: HttpRequest,
    page: DeliverabilityPage,
    *,
    form: DkimSelectorForm | None = None,
    check_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "page": page,
        "report": page.report,
        "provider": page.target.provider if page.target else None,
        "form": form or DkimSelectorForm(),
        "check_error": check_error,
        "propagation_note": PROPAGATION_NOTE,
        "platform_from": platform_from_address(),
        "recheck_wait": _recheck_wait(),
        "tab": "deliverability",
    }
    return render(request, "deliverability/tab.html", context, status=status)


def _recheck_wait() -> str:
    """Why Re-check now is off and until when; empty while checks remain."""
    wait = RECHECK_THROTTLE.wait()
    if wait is None:
        return ""
    return (
        f"Checked {RECHECK_THROTTLE.limit} times in the last 10 minutes: Re-check now works "
        f"again in {wait_text(wait)}."
    )


# The message after a re-check takes the colour of the result it sits above.
_RECHECKED = {
    DeliverabilityStatus.PASS: (messages.SUCCESS, "everything passes."),
    DeliverabilityStatus.WARNING: (
        messages.INFO,
        "in place, with the warnings below on how to make it stronger.",
    ),
    DeliverabilityStatus.FAIL: (
        messages.ERROR,
        "still failing: publish the records shown below, then re-check.",
    ),
}


@permission_required_page(CHANGE_PERMISSION)
def email_smtp_deliverability(request: HttpRequest) -> HttpResponse:
    """GET: the stored result, checked first if none is stored for this domain. POST: re-check."""
    if request.method == "POST":
        return _recheck(request)
    page = deliverability_page_get()
    if page.target and page.report is None:
        domain_dns_check(fresh=False, actor=request.user, request=request)
        page = deliverability_page_get()
    return _render(request, page)


def _recheck(request: HttpRequest) -> HttpResponse:
    try:
        RECHECK_THROTTLE.take()
    except RateLimited as exc:
        return _render(request, deliverability_page_get(), check_error=str(exc), status=429)
    state = domain_dns_check(fresh=True, actor=request.user, request=request)
    if state is None:
        messages.info(
            request, "Email goes through the platform default: there is nothing to check."
        )
    elif state.overall == DeliverabilityStatus.UNKNOWN:
        messages.warning(
            request,
            "Checked again, but DNS did not answer for some records: they are grey, not red, "
            "as nothing is known to be wrong. Re-check in a few minutes.",
        )
    else:
        level, result = _RECHECKED[state.overall]
        messages.add_message(
            request,
            level,
            f"Checked again just now, past every DNS cache: {result} {PROPAGATION_NOTE}",
        )
    return redirect(TAB)


@permission_required_page(CHANGE_PERMISSION)
@require_POST
def email_smtp_deliverability_selectors(request: HttpRequest) -> HttpResponse:
    """Add or remove a DKIM selector, then check again (within the re-check budget)."""
    form = DkimSelectorForm(request.POST)
    if not form.is_valid():
        return _render(request, deliverability_page_get(), form=form, status=400)
    selector, adding = form.cleaned_data["selector"], form.cleaned_data["action"] == ADD
    try:
        if adding:
            dkim_selector_add(selector=selector)
        else:
            dkim_selector_remove(selector=selector)
    except ValidationError as exc:
        form.add_error("selector", exc)
        return _render(request, deliverability_page_get(), form=form, status=400)
    done = f"Selector {selector} {'added' if adding else 'removed'}"
    if deliverability_target() is None:
        messages.success(request, f"{done}.")
        return redirect(TAB)
    try:
        RECHECK_THROTTLE.take()
    except RateLimited as exc:
        messages.warning(request, f"{done}; the next re-check includes it. {exc}")
        return redirect(TAB)
    domain_dns_check(fresh=False, actor=request.user, request=request)
    messages.success(request, f"{done}, and the domain checked again.")
    return redirect(TAB)
