"""Periodic work per tenant: one dispatcher in beat sends a task into every tenant."""

from django_tenants.utils import get_tenant_model, schema_context


def tenant_task_fan_out(task) -> int:
    """Send ``task`` (no arguments) once inside each tenant's schema; returns how many.

    tenant-schemas-celery takes the schema for the task's headers from the connection,
    so each task runs in its tenant. The public schema has no tenant data and is skipped.
    """
    schemas = list(
        get_tenant_model()
        .objects.exclude(schema_name="public")
        .values_list("schema_name", flat=True)
    )
    for schema in schemas:
        with schema_context(schema):
            task.delay()
    return len(schemas)
