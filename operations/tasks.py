"""Beat's daily retention: the public tables here, then one task per tenant for its own."""

from celery import shared_task

from cymmetri.heartbeat import Mark, mark_record
from operations.retention import (
    connection_tests_purge,
    idempotency_keys_purge,
    outbox_purge,
    sessions_purge,
)
from tenants.fanout import tenant_task_fan_out


@shared_task(ignore_result=True)
def retention_tenant_task() -> dict:
    """In a tenant's schema: its old connection tests, expired sessions and API keys."""
    return {
        "connection_tests": connection_tests_purge(),
        "sessions": sessions_purge(),
        "idempotency_keys": idempotency_keys_purge(),
    }


@shared_task(ignore_result=True)
def retention_task() -> dict:
    """Beat, daily: the outbox and the operators' sessions, then every tenant's tables."""
    deleted = {"outbox": outbox_purge(), "sessions": sessions_purge()}
    deleted["tenants"] = tenant_task_fan_out(retention_tenant_task)
    mark_record(Mark.RETENTION, **deleted)
    return deleted
