"""Administrators: the tenant's admins, and inviting more."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import AdminInviteForm
from accounts.selectors import tenant_admin_list, tenant_admins
from accounts.services import (
    tenant_admin_invitation_resend,
    tenant_admin_invite,
    tenant_admin_remove,
)
from accounts.tokens import invitation_token_generator
from cymmetri.decorators import permission_required_page
from tenants.selectors import tenant_current

VIEW_PERMISSION = "accounts.view_user"
INVITE_PERMISSION = "accounts.add_user"


def _page(request: HttpRequest, form: AdminInviteForm, *, status: int = 200) -> HttpResponse:
    context = {
        "rows": tenant_admin_list(tenant=tenant_current()),
        "form": form,
        "can_invite": request.user.has_perm(INVITE_PERMISSION),
    }
    return render(request, "accounts/admins.html", context, status=status)


@permission_required_page(VIEW_PERMISSION)
@require_http_methods(["GET", "POST"])
def admins(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, AdminInviteForm())
    if not request.user.has_perm(INVITE_PERMISSION):
        raise PermissionDenied
    form = AdminInviteForm(request.POST)
    if form.is_valid():
        try:
            user = tenant_admin_invite(inviter=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            days = invitation_token_generator.timeout.days
            messages.success(
                request, f"Invitation sent to {user.email}. The link in it works for {days} days."
            )
            return redirect("accounts:admins")
    return _page(request, form, status=400)


@permission_required_page(INVITE_PERMISSION)
@require_POST
def admin_invitation_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(tenant_admins(), pk=user_id)
    try:
        tenant_admin_invitation_resend(inviter=request.user, user=user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request, f"A new invitation is on its way to {user.email}; earlier links stop working."
        )
    return redirect("accounts:admins")


@permission_required_page(INVITE_PERMISSION)
@require_POST
def admin_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    """Revoke a pending invitation or deactivate an administrator."""
    user = get_object_or_404(tenant_admins(), pk=user_id)
    try:
        outcome = tenant_admin_remove(actor=request.user, user=user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        done = {
            "revoked": f"The invitation to {user.email} is revoked; its link no longer works.",
            "deactivated": f"{user.email} is deactivated and signed out everywhere.",
        }
        messages.success(request, done[outcome])
    return redirect("accounts:admins")
