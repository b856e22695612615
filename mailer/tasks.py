"""Celery tasks: ids in, a service does the work. The outbox serves every tenant, so these
run in the public schema.

Services are imported in the task bodies: the wake-up module imports this one to send tasks.
"""

from celery import shared_task


# Acknowledged on receipt: a drain lost with its worker costs nothing (the beat tick sends
# another), and no message sits unacknowledged in a worker when the broker restarts.
@shared_task(ignore_result=True, acks_late=False)
def email_drain_task() -> int:
    """Send due emails of every tenant, claim after claim, over pooled connections."""
    from mailer.delivery import email_drain

    return email_drain()


@shared_task(ignore_result=True, acks_late=False)
def email_sweep_task() -> bool:
    """Beat: recover dead workers' emails and wake a worker if any email is due."""
    from cymmetri.heartbeat import Mark, mark_record
    from mailer.sweeper import email_sweep

    due = email_sweep()
    mark_record(Mark.SWEEP)
    return due
