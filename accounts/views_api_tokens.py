"""API tokens: a tenant admin creates (shown once), lists and revokes the tenant's tokens."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.api_tokens import api_token_create, api_token_revoke
from accounts.forms import ApiTokenForm
from accounts.selectors import api_token_list
from cymmetri.decorators import permission_required_page

# Tokens act on the Email SMTP settings and send email: the integration's admins make them.
TOKENS_PERMISSION = "smtp_integration.change_smtpconfig"


def _page(request, form, *, created=None, status=200) -> HttpResponse:
    context = {
        "tokens": api_token_list(),
        "form": form,
        "created": created,
        "docs_url": request.build_absolute_uri(reverse("api-1:openapi-view")),
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@permission_required_page(TOKENS_PERMISSION)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if form.is_valid() and not cache.add(
        f"api-token-create:{request.user.pk}:{form.cleaned_data['request_id']}", 1, 3600
    ):
        messages.info(request, "That token was already created; its value was shown once.")
        return redirect("accounts:api_tokens")
    if form.is_valid():
        try:
            created = api_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown in this answer only: the page never has the token again.
            return _page(request, ApiTokenForm(), created=created, status=201)
    return _page(request, form, status=400)


@permission_required_page(TOKENS_PERMISSION)
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(actor=request.user, token_id=token_id, request=request):
        messages.success(request, "Token revoked: requests with it are refused from now on.")
    else:
        messages.info(request, "That token was already revoked.")
    return redirect("accounts:api_tokens")
