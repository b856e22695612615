"""Celery tasks: ids in, a service does the work. The schema rides in the task headers.

Services are imported in the task bodies: the wake-up module imports this one to send tasks.
"""

from celery import shared_task
from django.db import connection

from tenants.fanout import tenant_task_fan_out


@shared_task(ignore_result=True)
def email_drain_task() -> int:
    """Send this tenant's due emails, batch after batch, over pooled connections."""
    from mailer.delivery import email_drain

    return email_drain(schema_name=connection.schema_name)


@shared_task(ignore_result=True)
def email_sweep_task() -> None:
    """Recover this tenant's emails that no task is carrying (broker outage, killed worker)."""
    from mailer.sweeper import email_sweep

    email_sweep(schema_name=connection.schema_name)


@shared_task(ignore_result=True)
def email_sweep_dispatch_task() -> int:
    """Beat: one sweep task per tenant."""
    return tenant_task_fan_out(email_sweep_task)
