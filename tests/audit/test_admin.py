import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from tenants.models import Organisation, Tenant
from tests.support import OPERATOR_EMAIL, TEST_PASSWORD


@pytest.fixture
def operator(db) -> Client:
    client = Client(HTTP_HOST="localhost")
    assert client.login(username=OPERATOR_EMAIL, password=TEST_PASSWORD)
    return client


@pytest.fixture
def events(db, tenant_a, tenant_b):
    """A small log across two tenants of one organisation, one other organisation, and days."""
    with connection.cursor() as cursor:
        # Only these events; TRUNCATE rolls back with the test's transaction.
        cursor.execute("TRUNCATE audit_auditevent")
    other_org = Organisation.objects.create(name="Other", slug="other")
    # A tenant row is enough for filtering; the schema is never entered.
    other = Tenant(schema_name="other-tenant", organisation=other_org, display_name="Other")
    other.auto_create_schema = False
    other.save()
    now = timezone.now()
    made = {
        "a_sent": audit_record(
            "email.sent",
            tenant=tenant_a,
            recipient="alice@example.com",
            metadata={"kind": "otp", "transport": "custom"},
        ),
        "a_failed": audit_record(
            "email.send_failed",
            tenant=tenant_a,
            recipient="bob@example.com",
            metadata={"kind": "recovery", "reason": "sender_rejected"},
        ),
        "b_failed": audit_record(
            "email.send_failed",
            tenant=tenant_b,
            recipient="carol@example.com",
            metadata={"reason": "expired"},
        ),
        "b_toggle": audit_record(
            "admin.integration_email_smtp_disabled", tenant=tenant_b, target="email_smtp"
        ),
        "other_sent": audit_record("email.sent", tenant=other, recipient="dave@example.com"),
        "platform": audit_record("tenant.created", target="other-tenant"),
    }
    old = AuditEvent.objects.create(
        action="email.sent",
        tenant=tenant_a,
        recipient="old@example.com",
        created_at=now - timedelta(days=40),
    )
    made["a_old"] = old
    return made


def listed(operator: Client, query: str = "") -> set[int]:
    response = operator.get(f"/admin/audit/auditevent/{query}")
    assert response.status_code == 200, response.content[:500]
    return {event.pk for event in response.context["cl"].result_list}


def ids(events, *names) -> set[int]:
    return {events[name].pk for name in names}


def test_filter_by_action(operator, events):
    assert listed(operator, "?action=email.send_failed") == ids(events, "a_failed", "b_failed")


def test_filter_by_tenant(operator, events, tenant_b):
    assert listed(operator, f"?tenant__id__exact={tenant_b.pk}") == ids(
        events, "b_failed", "b_toggle"
    )


def test_filter_by_organisation(operator, events):
    other_org = Organisation.objects.get(slug="other")
    assert listed(operator, f"?tenant__organisation__id__exact={other_org.pk}") == ids(
        events, "other_sent"
    )
    cymmetri = Organisation.objects.get(slug="cymmetri")
    assert listed(operator, f"?tenant__organisation__id__exact={cymmetri.pk}") == ids(
        events, "a_sent", "a_failed", "b_failed", "b_toggle", "a_old"
    )


def test_filter_by_date(operator, events):
    today = timezone.now()
    this_month = listed(operator, f"?created_at__year={today.year}&created_at__month={today.month}")
    assert events["a_old"].pk not in this_month
    assert events["a_sent"].pk in this_month
    # The "Past 7 days" choice of the date filter, as an operator clicks it.
    changelist = operator.get("/admin/audit/auditevent/").context["cl"]
    date_filter = next(spec for spec in changelist.filter_specs if spec.title == "created at")
    choice = next(c for c in date_filter.choices(changelist) if c["display"] == "Past 7 days")
    assert listed(operator, choice["query_string"]) == ids(events, *(set(events) - {"a_old"}))


def test_filters_combine_and_search_by_recipient_actor_and_target(operator, events, tenant_a):
    combined = listed(operator, f"?action=email.send_failed&tenant__id__exact={tenant_a.pk}")
    assert combined == ids(events, "a_failed")
    assert listed(operator, "?q=carol@") == ids(events, "b_failed")
    assert listed(operator, "?q=EMAIL_SMTP") == ids(events, "b_toggle")


def test_the_log_is_read_only_in_admin(operator, events):
    pk = events["a_sent"].pk
    assert operator.get("/admin/audit/auditevent/add/").status_code == 403
    assert operator.get(f"/admin/audit/auditevent/{pk}/delete/").status_code == 403
    detail = operator.get(f"/admin/audit/auditevent/{pk}/change/")
    assert detail.status_code == 200
    assert b"alice@example.com" in detail.content
    assert b'name="_save"' not in detail.content


def test_the_list_shows_who_what_and_outcome(operator, events):
    page = operator.get("/admin/audit/auditevent/?action=email.send_failed").content.decode()
    assert "bob@example.com" in page
    assert "Sender refused" in page
    assert "production-cymmetri" in page


def _cells(page: str) -> list[str]:
    """The visible text of the change list's header and cells."""
    start = page.index('id="result_list"')
    table = page[start : page.index("</table>", start)]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)
    ]


def test_the_list_shows_labels_not_codes(operator, events):
    cells = _cells(operator.get("/admin/audit/auditevent/").content.decode())
    assert {"Action", "Outcome", "IP address"} <= set(cells)
    assert {"Email send failed", "Email SMTP disabled", "Tenant created"} <= set(cells)
    assert "Sender refused" in cells and "Expired before it could be sent" in cells
    assert "Custom SMTP" in cells
    raw = {*AuditAction.values, "sender_rejected", "expired", "custom"}
    assert not [cell for cell in cells if raw & set(re.split(r"[\s·]+", cell))], "raw codes"
    detail = operator.get(f"/admin/audit/auditevent/{events['a_failed'].pk}/change/")
    assert "IP address" in detail.content.decode() and ">Ip:<" not in detail.content.decode()


def test_the_tenants_list_labels_transport_health_and_deliverability(operator, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(
        email_transport="custom", email_health="paused", email_deliverability="fail"
    )
    cells = _cells(operator.get("/admin/tenants/tenant/").content.decode())
    assert {"Custom SMTP", "Action needed", "Could not check", "Not used yet"} <= set(cells)
    assert not {"unknown", "fail", "custom", "platform_default", "paused"} & set(cells)
