"""The beat tick: recover emails of dead workers and wake workers for emails now due.

One query each, whatever the number of tenants: the outbox is one table, and idle tenants
have no rows in its "due" and "leased" indexes. No task waits in the broker for later: an
email that becomes due (a retry, its turn under a rate limit) is found here.
"""

from __future__ import annotations

from django.utils import timezone

from mailer.models import EmailStatus, OutboundEmail
from mailer.services import email_requeue_stale
from mailer.wakeup import email_wake_if_idle


def email_sweep() -> bool:
    """Requeue expired leases; wake a worker if any email is due. True when one is."""
    email_requeue_stale()
    due = OutboundEmail.objects.filter(
        status=EmailStatus.QUEUED, next_attempt_at__lte=timezone.now()
    ).exists()
    if due:
        # One drain is enough: it claims again and again and wakes more workers as needed.
        email_wake_if_idle()
    return due
