"""Reads for the Activity tab: recent emails and seven days of sent against failed.

The outbox holds every tenant's emails: each read here is for one tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from mailer.models import EmailStatus, OutboundEmail


@dataclass(frozen=True)
class DayCount:
    day: date
    sent: int
    failed: int


def email_activity(
    *, tenant, status: str | None = None, kind: str | None = None, to: str | None = None
) -> QuerySet:
    """The tenant's emails, newest first, without their bodies (they hold sign-in codes)."""
    emails = OutboundEmail.objects.filter(tenant=tenant).defer("body_text", "body_html")
    if status:
        emails = emails.filter(status=status)
    if kind:
        emails = emails.filter(kind=kind)
    if to:
        emails = emails.filter(to_address__iexact=to.strip())
    return emails.order_by("-created_at", "-id")


def email_daily_counts(*, tenant, days: int = 7) -> list[DayCount]:
    """Sent and failed per day (UTC), oldest first, days without email included."""
    today = timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = (
        OutboundEmail.objects.filter(
            tenant=tenant,
            finished_at__date__gte=first,
            status__in=[EmailStatus.SENT, EmailStatus.FAILED],
        )
        .annotate(day=TruncDate("finished_at"))
        .values("day")
        .annotate(
            sent=Count("id", filter=Q(status=EmailStatus.SENT)),
            failed=Count("id", filter=Q(status=EmailStatus.FAILED)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    return [
        DayCount(
            day=first + timedelta(days=n),
            sent=by_day.get(first + timedelta(days=n), {}).get("sent", 0),
            failed=by_day.get(first + timedelta(days=n), {}).get("failed", 0),
        )
        for n in range(days)
    ]
