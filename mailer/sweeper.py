"""The sweeper: re-enqueue emails that the broker lost or a killed worker left behind."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from mailer.models import EmailStatus, OutboundEmail, WaitReason
from mailer.services import email_requeue_stale
from mailer.wakeup import email_wake

# Rows this overdue have missed their own task; younger ones are still on their way.
GRACE = timedelta(seconds=30)


def email_sweep(*, schema_name: str) -> bool:
    """Requeue expired leases and wake a worker if any email is overdue or expired."""
    email_requeue_stale()
    now = timezone.now()
    due = (
        OutboundEmail.objects.filter(status=EmailStatus.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now - GRACE)
            | Q(expires_at__lte=now)
            | Q(waiting_for__in=[WaitReason.LEASE_EXPIRED, WaitReason.BROKER_UNAVAILABLE])
        )
        .exists()
    )
    if due:
        # One drain is enough: it claims batch after batch and wakes more workers as needed.
        email_wake(schema_name)
    return due
