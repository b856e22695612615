"""Forgot password, and the pages where a link from an email sets a password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts.forms import PasswordResetRequestForm
from accounts.services import password_reset_request
from cymmetri.throttle import RateLimited


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                # REMOTE_ADDR only: X-Forwarded-For is the client's word.
                password_reset_request(
                    email=form.cleaned_data["email"], ip=request.META.get("REMOTE_ADDR")
                )
            except RateLimited as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Django's set-password page (the token leaves the URL at once), told which flow it serves.

    ``flow`` is "setup" (a link from create_tenant), "recovery" or "invitation".
    """

    template_name = "accounts/set_password.html"
    flow = "setup"
    # Whoever just proved they hold the inbox and chose a password is signed in at once.
    post_reset_login = True
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        done = "Welcome: your password is set" if self.flow == "invitation" else "Password set"
        messages.success(self.request, f"{done}, and you are signed in as {self.user.email}.")
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["flow"] = self.flow
        if self.validlink:
            context["account_email"] = self.user.email
        return context
