"""Writes for deliverability: check the From domain in DNS, store the result, react to red."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from audit.models import AuditAction
from audit.services import audit_record
from cymmetri.throttle import Throttle
from deliverability.engine import (
    DeliverabilityReport,
    DnsResolver,
    Status,
    normalize_selector,
    run_deliverability_check,
)
from deliverability.models import DeliverabilityState
from deliverability.selectors import (
    CheckTarget,
    deliverability_state_get,
    deliverability_target,
)
from smtp_integration.providers import OWN_SERVER
from tenants.models import DeliverabilityStatus
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set

CHECK_DEADLINE_SECONDS = 5.0
# Checks an admin asks for (Re-check now, a selector change), per tenant. The cache's keys
# carry the schema, so one tenant's checks never use up another's.
CHECKS_PER_WINDOW = 6
RECHECK_THROTTLE = Throttle(
    "throttle:deliverability-recheck",
    CHECKS_PER_WINDOW,
    timedelta(minutes=10),
    f"This domain was checked {CHECKS_PER_WINDOW} times in the last 10 minutes. Try again "
    "in {wait}: DNS changes take minutes to hours to propagate, so checking more often "
    "rarely shows more.",
)
MAX_SELECTORS = 10


def dns_resolver() -> DnsResolver:
    """The resolver the checks use: DELIVERABILITY_NAMESERVERS, or the system's."""
    return DnsResolver(list(settings.DELIVERABILITY_NAMESERVERS) or None)


def _state_locked() -> DeliverabilityState:
    DeliverabilityState.objects.get_or_create(slot=1)
    return DeliverabilityState.objects.select_for_update().get(slot=1)


def dkim_selector_add(*, selector: str) -> DeliverabilityState:
    """Remember a DKIM selector the admin entered; checks from now on look at it too."""
    try:
        selector = normalize_selector(selector)
    except ValueError:
        raise ValidationError(
            "Enter the selector as your provider shows it: the part before ._domainkey, "
            "like s1 or 20240101120000pm."
        ) from None
    with transaction.atomic():
        state = _state_locked()
        if selector in state.dkim_selectors:
            return state
        if len(state.dkim_selectors) >= MAX_SELECTORS:
            raise ValidationError(
                f"Up to {MAX_SELECTORS} selectors can be checked; remove one you no longer use."
            )
        state.dkim_selectors = [*state.dkim_selectors, selector]
        state.save(update_fields=["dkim_selectors"])
    return state


def dkim_selector_remove(*, selector: str) -> DeliverabilityState:
    """Forget a DKIM selector the admin entered."""
    with transaction.atomic():
        state = _state_locked()
        state.dkim_selectors = [s for s in state.dkim_selectors if s != selector]
        state.save(update_fields=["dkim_selectors"])
    return state


def domain_dns_check(
    *, fresh: bool, actor=None, request: HttpRequest | None = None
) -> DeliverabilityState | None:
    """Check the enabled custom SMTP's From domain in DNS now and store the report.

    None when the platform default sends: its domain is the platform's, nothing to check.
    ``fresh`` bypasses every DNS cache. A check that turns green into red is audited; the
    overall is copied to the tenant's public row, where operators list it, either way.
    """
    tenant = tenant_current()
    target = deliverability_target()
    if target is None:
        tenant_email_status_set(tenant=tenant, deliverability=DeliverabilityStatus.UNKNOWN)
        return None
    stored = deliverability_state_get()
    selectors = list(stored.dkim_selectors) if stored else []
    # DNS is asked outside any transaction: up to the deadline, with no row locked.
    report = run_deliverability_check(
        from_domain=target.domain,
        smtp_host=target.smtp_host,
        dkim_selectors=selectors,
        resolver=dns_resolver(),
        deadline=CHECK_DEADLINE_SECONDS,
        fresh=fresh,
    )
    with transaction.atomic():
        state = _state_locked()
        if _report_store(state, target=target, selectors=selectors, report=report, actor=actor):
            audit_record(
                AuditAction.DELIVERABILITY_DEGRADED,
                request=request,
                actor=actor,
                target=target.domain,
                metadata={
                    "domain": target.domain,
                    "smtp_host": target.smtp_host,
                    "provider": (report.provider or {"name": OWN_SERVER.name})["name"],
                    "failing": [row.title for row in report.rows if row.status == Status.FAIL],
                    "checked_by": actor.email if actor else "daily check",
                },
            )
        tenant_email_status_set(tenant=tenant, deliverability=state.overall)
    return state


def _report_store(
    state: DeliverabilityState,
    *,
    target: CheckTarget,
    selectors: list[str],
    report: DeliverabilityReport,
    actor,
) -> bool:
    """Put the report on the state; True when it turned the domain from green to red."""
    same_target = (state.domain, state.smtp_host) == (target.domain, target.smtp_host)
    overall = str(report.overall)
    # Another domain or host starting red is a configuration change, not a degradation.
    previous = state.known_overall if same_target else ""
    degraded = previous == DeliverabilityStatus.PASS and overall == DeliverabilityStatus.FAIL

    state.domain, state.smtp_host = target.domain, target.smtp_host
    state.provider_key = report.provider["key"] if report.provider else OWN_SERVER.key
    state.report_selectors = selectors
    state.report = report.to_dict()
    state.overall = overall
    state.checked_at = report.checked_at
    state.checked_by_email = getattr(actor, "email", "") or ""
    if overall != DeliverabilityStatus.UNKNOWN:
        state.known_overall = overall
    elif not same_target:
        state.known_overall = ""
    if degraded:
        state.degraded_at = report.checked_at
    elif overall == DeliverabilityStatus.PASS or not same_target:
        state.degraded_at = None
    state.save()
    return degraded
