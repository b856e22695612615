"""Changing the signed-in user's email address: ask, then confirm from the new inbox."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import EmailChangeForm
from accounts.services import (
    EmailChangeRefused,
    email_change_check,
    email_change_confirm,
    email_change_request,
)
from cymmetri.throttle import RateLimited


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                new_email = email_change_request(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                messages.success(
                    request,
                    f"We sent a link to {new_email}. Open it within 24 hours to confirm: until "
                    f"then you keep signing in with {request.user.email}.",
                )
                return redirect("accounts:email_change")
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will change; only the POST changes it (mail scanners open links)."""
    try:
        if request.method == "POST":
            old_email = email_change_confirm(user=request.user, token=token, request=request)
            messages.success(
                request,
                f"Your email address is now {request.user.email}. "
                f"We let {old_email} know about the change.",
            )
            return redirect("accounts:email_change")
        claim = email_change_check(user=request.user, token=token)
    except EmailChangeRefused as exc:
        context = {"error": str(exc)}
        return render(request, "accounts/email_change_confirm.html", context, status=400)
    return render(request, "accounts/email_change_confirm.html", {"new_email": claim.new_email})
