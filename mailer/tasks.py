"""Celery tasks: ids in, the service does the work. The schema rides in the task headers."""

from celery import shared_task
from django.db import connection

from mailer.services import email_drain
from mailer.sweeper import email_sweep
from tenants.fanout import tenant_task_fan_out


@shared_task(ignore_result=True)
def email_drain_task() -> int:
    """Send this tenant's due emails, batch after batch, over pooled connections."""
    return email_drain(schema_name=connection.schema_name)


@shared_task(ignore_result=True)
def email_sweep_task() -> None:
    """Recover this tenant's emails that no task is carrying (broker outage, killed worker)."""
    email_sweep(schema_name=connection.schema_name)


@shared_task(ignore_result=True)
def email_sweep_dispatch_task() -> int:
    """Beat: one sweep task per tenant."""
    return tenant_task_fan_out(email_sweep_task)
