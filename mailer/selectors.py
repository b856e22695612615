"""Reads for the Activity tab (recent emails and seven days of sent against failed) and
the operators' view of the outbox.

The outbox holds every tenant's emails: each read for the Activity tab is for one tenant;
the operators' sample counts across tenants and names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from mailer.models import EmailStatus, OutboundEmail
from tenants.models import EmailTransport


@dataclass(frozen=True)
class DayCount:
    day: date
    sent: int
    failed: int


def email_activity(
    *, tenant, status: str | None = None, kind: str | None = None, to: str | None = None
) -> QuerySet:
    """The tenant's emails, newest first, without what they say (it holds sign-in codes)."""
    emails = OutboundEmail.objects.filter(tenant=tenant).defer("context", "body_text", "body_html")
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


@dataclass(frozen=True)
class OutboxRoute:
    """The queued emails of one route, as operators watch them."""

    route: str
    queued: int = 0
    due: int = 0
    oldest_due_seconds: float = 0.0


# One pass over the "due" partial index (queued rows only; idle tenants have none). The route
# is the one the email would take now: the tenant's own SMTP only while it is enabled.
_OUTBOX_SAMPLE = """
SELECT CASE WHEN o.force_platform_default OR t.email_transport <> 'custom'
            THEN 'platform_default' ELSE 'custom' END AS route,
       count(*) AS queued,
       count(*) FILTER (WHERE o.next_attempt_at <= now()) AS due,
       COALESCE(EXTRACT(EPOCH FROM now() - min(o.next_attempt_at)
                        FILTER (WHERE o.next_attempt_at <= now())), 0) AS oldest
FROM public.mailer_outboundemail o JOIN public.tenants_tenant t ON t.id = o.tenant_id
WHERE o.status = 'queued'
GROUP BY 1
"""
OUTBOX_ROUTES = (EmailTransport.PLATFORM_DEFAULT.value, EmailTransport.CUSTOM.value)


def outbox_sample() -> dict[str, OutboxRoute]:
    """Queued and due emails per route, and how long the oldest due one has waited."""
    found = {route: OutboxRoute(route) for route in OUTBOX_ROUTES}
    with connection.cursor() as cursor:
        cursor.execute(_OUTBOX_SAMPLE)
        for route, queued, due, oldest in cursor.fetchall():
            found[route] = OutboxRoute(route, queued, due, float(oldest))
    return found
