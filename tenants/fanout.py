"""Periodic work per tenant: one dispatcher in beat sends a task into each tenant concerned."""

from django.db.models import QuerySet
from django_tenants.utils import get_tenant_model, schema_context


def tenant_task_fan_out(task, *, tenants: QuerySet | None = None) -> int:
    """Send ``task`` (no arguments) once inside each tenant's schema; returns how many.

    ``tenants`` narrows the tenants (all of them by default): periodic work should reach
    only the tenants it concerns. tenant-schemas-celery takes the schema for the task's
    headers from the connection, so each task runs in its tenant. The public schema has no
    tenant data and is skipped.
    """
    tenants = tenants if tenants is not None else get_tenant_model().objects.all()
    schemas = list(
        tenants.exclude(schema_name="public").values_list("schema_name", flat=True).iterator()
    )
    for schema in schemas:
        with schema_context(schema):
            task.delay()
    return len(schemas)
