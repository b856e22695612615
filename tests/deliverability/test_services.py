"""Stored checks: green to red audited and on the status card, the daily task."""

from __future__ import annotations

import time

from celery.schedules import crontab
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from deliverability.models import DeliverabilityState
from deliverability.services import domain_dns_check
from deliverability.tasks import domain_dns_check_dispatch_task
from smtp_integration.models import SmtpConfig
from tenants.models import Tenant
from tests.deliverability.tabpage import CONFIGURE, smtp_config_create
from tests.deliverability.zones import DOMAIN
from tests.support import TENANTS

DMARC = f"_dmarc.{DOMAIN}"
DEGRADED = "deliverability.degraded"


def _card(client) -> str:
    html = client.get(CONFIGURE).content.decode()
    return html.split('id="status-title"')[1].split("</section>")[0]


def test_green_to_red_is_audited_copied_for_operators_and_on_the_status_card(
    sendgrid, admin_client_a, tenant_a
):
    assert domain_dns_check(fresh=True).overall == "pass"
    assert "Ready" in _card(admin_client_a)
    sendgrid.remove(DMARC)

    state = domain_dns_check(fresh=True)

    assert (state.overall, state.degraded_at) == ("fail", state.checked_at)
    [event] = AuditEvent.objects.filter(action=DEGRADED)
    assert event.tenant_id == tenant_a.pk
    assert event.target == DOMAIN
    assert event.metadata["failing"] == ["DMARC"]
    assert event.metadata["checked_by"] == "daily check"
    assert Tenant.objects.get(pk=tenant_a.pk).email_deliverability == "fail"
    card = _card(admin_client_a)
    assert "badge--red" in card and "Action needed" in card
    assert "Turned red just now; it was green before." in card

    # Red again is no new event; green again clears the mark.
    domain_dns_check(fresh=True)
    sendgrid.set(DMARC, "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")
    state = domain_dns_check(fresh=True)
    assert (state.overall, state.degraded_at) == ("pass", None)
    assert AuditEvent.objects.filter(action=DEGRADED).count() == 1
    assert "Turned red" not in _card(admin_client_a)


def test_a_dns_outage_in_between_neither_alarms_nor_hides_the_change(sendgrid, admin_a):
    domain_dns_check(fresh=True)
    sendgrid.drop(DOMAIN)
    assert domain_dns_check(fresh=True).overall == "unknown"
    assert not AuditEvent.objects.filter(action=DEGRADED).exists()

    sendgrid.reset()
    state = domain_dns_check(fresh=True, actor=admin_a)

    assert state.overall == "fail"  # the zone is gone: SPF, DKIM and DMARC missing
    [event] = AuditEvent.objects.filter(action=DEGRADED)
    assert event.actor_email == admin_a.email
    assert event.metadata["checked_by"] == admin_a.email


def test_a_new_from_domain_starting_red_is_not_a_degradation(sendgrid, admin_client_a):
    domain_dns_check(fresh=True)
    SmtpConfig.objects.update(from_address="noreply@elsewhere.example")

    state = domain_dns_check(fresh=True)

    assert (state.domain, state.overall, state.degraded_at) == ("elsewhere.example", "fail", None)
    assert not AuditEvent.objects.filter(action=DEGRADED).exists()
    assert "elsewhere.example" in _card(admin_client_a)


def test_nothing_is_checked_or_shown_while_the_platform_default_sends(
    sendgrid, admin_client_a, tenant_a
):
    domain_dns_check(fresh=True)
    SmtpConfig.objects.update(enabled=False)
    asked = len(sendgrid.queries)

    assert domain_dns_check(fresh=True) is None

    assert len(sendgrid.queries) == asked
    assert Tenant.objects.get(pk=tenant_a.pk).email_deliverability == "unknown"
    assert "Deliverability" not in _card(admin_client_a)


def test_daily_task_checks_every_tenant_in_its_own_schema(committed, green, start_workers):
    """Beat's dispatcher on a real worker fans out one check per tenant, each in its schema."""
    green.add("example.org", "TXT", "v=spf1 include:sendgrid.net ~all")  # no DKIM, no DMARC
    for info, domain in ((TENANTS["a"], DOMAIN), (TENANTS["b"], "example.org")):
        with schema_context(info.schema):
            smtp_config_create(from_address=f"noreply@{domain}")
    start_workers(1, DELIVERABILITY_NAMESERVERS=green.address)

    domain_dns_check_dispatch_task.delay()

    found = {}
    deadline = time.monotonic() + 30
    while len(found) < 2 and time.monotonic() < deadline:
        for info in TENANTS.values():
            with schema_context(info.schema):
                state = DeliverabilityState.objects.first()
                if state and state.report:
                    found[info.schema] = (state.domain, state.overall)
        time.sleep(0.2)
    assert found == {
        TENANTS["a"].schema: (DOMAIN, "pass"),
        TENANTS["b"].schema: ("example.org", "fail"),
    }
    operators_see = dict(
        Tenant.objects.exclude(schema_name="public").values_list(
            "schema_name", "email_deliverability"
        )
    )
    assert operators_see == {TENANTS["a"].schema: "pass", TENANTS["b"].schema: "fail"}


def test_the_daily_check_reaches_only_tenants_sending_through_their_own_smtp(in_tenant_a):
    smtp_config_create()  # tenant A only; tenant B sends through the platform default

    assert domain_dns_check_dispatch_task() == 1


def test_beat_runs_the_daily_check_at_04_17_utc(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deliverability-daily"]

    assert entry["task"] == domain_dns_check_dispatch_task.name
    assert entry["schedule"] == crontab(hour=4, minute=17)
