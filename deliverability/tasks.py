"""Celery tasks for deliverability. The schema rides in the task headers."""

from celery import shared_task
from django.db.models import Q

from cymmetri.heartbeat import Mark, mark_record
from deliverability.services import domain_dns_check
from tenants.fanout import tenant_task_fan_out
from tenants.models import DeliverabilityStatus, EmailTransport, Tenant


@shared_task(ignore_result=True)
def domain_dns_check_task() -> None:
    """Re-check this tenant's From domain in DNS (a green-to-red change is audited)."""
    domain_dns_check(fresh=True)


@shared_task(ignore_result=True)
def domain_dns_check_dispatch_task() -> int:
    """Beat, daily: one check task per tenant sending through its own SMTP (and per tenant
    whose last result is still shown, so that it is cleared)."""
    concerned = Tenant.objects.filter(
        Q(email_transport=EmailTransport.CUSTOM)
        | ~Q(email_deliverability=DeliverabilityStatus.UNKNOWN)
    )
    sent = tenant_task_fan_out(domain_dns_check_task, tenants=concerned)
    mark_record(Mark.DELIVERABILITY, tenants=sent)
    return sent
