"""Celery tasks for the Email SMTP integration. The schema rides in the task headers."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, schema_context

from smtp_integration.domain_checks import domain_dns_check


@shared_task(ignore_result=True)
def domain_dns_check_task() -> None:
    """Re-check this tenant's From domain in DNS (a green-to-red change is audited)."""
    domain_dns_check(fresh=True)


@shared_task(ignore_result=True)
def domain_dns_check_dispatch_task() -> int:
    """Beat, daily: one check task per tenant, each sent inside its tenant."""
    schemas = list(
        get_tenant_model()
        .objects.exclude(schema_name="public")
        .values_list("schema_name", flat=True)
    )
    for schema in schemas:
        # tenant-schemas-celery takes the schema for the headers from the connection.
        with schema_context(schema):
            domain_dns_check_task.delay()
    return len(schemas)
