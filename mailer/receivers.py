from django.db import connection, transaction
from django.utils import timezone

from mailer.models import EmailStatus, OutboundEmail


def email_queue_resume(sender, config=None, **kwargs) -> None:
    """The SMTP config changed: emails waiting for a working server try again now."""
    from mailer.queue import email_queue_kick

    resumed = (
        OutboundEmail.objects.filter(status=EmailStatus.QUEUED)
        .exclude(waiting_for__in=["", "rate_limited"])
        .update(next_attempt_at=timezone.now())
    )
    if resumed:
        schema = connection.schema_name
        transaction.on_commit(lambda: email_queue_kick(schema))
