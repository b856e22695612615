"""Reads for the tenant's home page and its administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.roles import TENANT_ADMINS_GROUP
from accounts.tokens import invitation_token_generator
from audit.models import AuditAction, AuditEvent


@dataclass(frozen=True)
class DashboardSummary:
    admins: int
    users: int
    recent_events: list[AuditEvent]


def dashboard_summary(*, tenant) -> DashboardSummary:
    users = get_user_model().objects.filter(is_active=True)
    recent = list(AuditEvent.objects.filter(tenant=tenant).order_by("-created_at")[:5])
    return DashboardSummary(
        admins=users.filter(groups__name=TENANT_ADMINS_GROUP).count(),
        users=users.count(),
        recent_events=recent,
    )


# status: (label, badge tone)
ADMIN_STATUSES = {
    "active": ("Active", "green"),
    "invited": ("Invited", "amber"),
    "invitation_expired": ("Invitation expired", "red"),
    "deactivated": ("Deactivated", "grey"),
}


@dataclass(frozen=True)
class AdminRow:
    user: User
    status: str
    invited_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.status in {"invited", "invitation_expired"}

    @property
    def label(self) -> str:
        return ADMIN_STATUSES[self.status][0]

    @property
    def tone(self) -> str:
        return ADMIN_STATUSES[self.status][1]


def tenant_admins() -> QuerySet[User]:
    return User.objects.filter(groups__name=TENANT_ADMINS_GROUP)


def tenant_admin_emails() -> list[str]:
    """The addresses of the tenant's active admins, for notices about the tenant's setup."""
    return list(tenant_admins().filter(is_active=True).values_list("email", flat=True))


def tenant_admin_list(*, tenant) -> list[AdminRow]:
    """Every admin with their status; a pending invitation's date comes from the audit log."""
    users = list(tenant_admins().order_by("email"))
    sent = dict(
        AuditEvent.objects.filter(
            tenant=tenant,
            action__in=[AuditAction.ADMIN_INVITED, AuditAction.ADMIN_INVITATION_RESENT],
            target__in=[f"user:{user.pk}" for user in users if not user.has_usable_password()],
        )
        .values("target")
        .annotate(last=Max("created_at"))
        .values_list("target", "last")
    )
    lifetime = invitation_token_generator.timeout
    rows = []
    for user in users:
        invited_at = None
        if not user.is_active:
            status = "deactivated"
        elif user.has_usable_password():
            status = "active"
        else:
            # Admins created by create_tenant got a set-password link, not an audited invite.
            invited_at = sent.get(f"user:{user.pk}", user.date_joined)
            expired = timezone.now() - invited_at > lifetime
            status = "invitation_expired" if expired else "invited"
        rows.append(AdminRow(user=user, status=status, invited_at=invited_at))
    return rows


def api_token_list() -> QuerySet:
    """The tenant's API tokens, newest first, with their creators."""
    return ApiToken.objects.select_related("created_by")
