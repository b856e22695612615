"""Reads for the tenant's home page."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.roles import TENANT_ADMINS_GROUP
from audit.models import AuditEvent


@dataclass(frozen=True)
class DashboardSummary:
    admins: int
    users: int
    recent_events: list[AuditEvent]


def dashboard_summary(*, tenant, user) -> DashboardSummary:
    users = get_user_model().objects.filter(is_active=True)
    recent = list(AuditEvent.objects.filter(tenant=tenant).order_by("-created_at")[:5])
    return DashboardSummary(
        admins=users.filter(groups__name=TENANT_ADMINS_GROUP).count(),
        users=users.count(),
        recent_events=recent,
    )
