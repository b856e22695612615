"""The Deliverability tab, through the views, against the loopback DNS server."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from deliverability import services
from deliverability.models import DeliverabilityState
from smtp_integration.models import SmtpConfig
from tenants.models import Tenant
from tests.deliverability.tabpage import (
    SELECTORS,
    TAB,
    fresh_start,
    read_tab,
)
from tests.deliverability.zones import DOMAIN, dkim_record, publish_sendgrid_dkim
from tests.support import TENANTS

S1 = f"s1._domainkey.{DOMAIN}"
DMARC = f"_dmarc.{DOMAIN}"
GREEN_ROWS = {"SPF": "pass", "DKIM (s1)": "pass", "DKIM (s2)": "pass", "DMARC": "pass"}


@pytest.fixture
def tab(sendgrid, admin_client_a):
    """Tenant A's admin, its SendGrid SMTP sending from example.com, and DNS on loopback."""
    return admin_client_a


def _spf_with_lookups(dns, count: int) -> str:
    for i in range(count - 1):
        dns.set(f"_spf{i}.example.net", "TXT", f"v=spf1 ip4:192.0.2.{i}/32 ~all")
    includes = [f"include:_spf{i}.example.net" for i in range(count - 1)]
    return " ".join(["v=spf1", *includes, "include:sendgrid.net", "~all"])


SCENARIOS = {
    # id: (break the green zone, row title, status, words in its message, record to publish)
    "spf-missing": (
        lambda dns, keys: dns.set(DOMAIN, "TXT", "google-site-verification=x"),
        "SPF",
        "fail",
        "no SPF record",
        (DOMAIN, "TXT", "v=spf1 include:sendgrid.net ~all"),
    ),
    "spf-two-records": (
        lambda dns, keys: dns.add(DOMAIN, "TXT", "v=spf1 mx ~all"),
        "SPF",
        "fail",
        "2 SPF records",
        None,  # merged in DNS answer order (tests/deliverability/test_spf.py)
    ),
    "spf-plus-all": (
        lambda dns, keys: dns.set(DOMAIN, "TXT", "v=spf1 include:sendgrid.net +all"),
        "SPF",
        "fail",
        "+all",
        (DOMAIN, "TXT", "v=spf1 include:sendgrid.net ~all"),
    ),
    "spf-11-lookups": (
        lambda dns, keys: dns.set(DOMAIN, "TXT", _spf_with_lookups(dns, 11)),
        "SPF",
        "fail",
        "11 DNS lookups",
        None,
    ),
    "spf-no-provider-include": (
        lambda dns, keys: dns.set(DOMAIN, "TXT", "v=spf1 mx -all"),
        "SPF",
        "fail",
        "does not authorise SendGrid",
        (DOMAIN, "TXT", "v=spf1 mx include:sendgrid.net -all"),
    ),
    "dkim-missing": (
        lambda dns, keys: dns.remove(S1),
        "DKIM (s1)",
        "fail",
        f"no DKIM key at {S1}",
        (S1, "CNAME", "s1.domainkey.u1234567.wl123.sendgrid.net"),
    ),
    "dkim-revoked": (
        lambda dns, keys: publish_sendgrid_dkim(dns, ""),
        "DKIM (s1)",
        "fail",
        "revoked",
        None,
    ),
    "dkim-1024-bits": (
        lambda dns, keys: publish_sendgrid_dkim(dns, keys.rsa1024),
        "DKIM (s1)",
        "warning",
        "only 1024 bits",
        None,
    ),
    "dmarc-missing": (
        lambda dns, keys: dns.remove(DMARC),
        "DMARC",
        "fail",
        "no DMARC record",
        (DMARC, "TXT", f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{DOMAIN}"),
    ),
    "dmarc-p-none": (
        lambda dns, keys: dns.set(DMARC, "TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}"),
        "DMARC",
        "warning",
        "policy is none",
        (DMARC, "TXT", f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{DOMAIN}"),
    ),
}


def test_an_all_green_domain_is_ready(tab, tenant_a):
    response = tab.get(TAB)

    assert response.status_code == 200
    page = read_tab(response)
    assert page.overall == "Ready"
    assert {title: page.statuses[title] for title in GREEN_ROWS} == GREEN_ROWS
    assert all(not row.publish for row in page.rows)
    html = response.content.decode()
    assert "SendGrid" in html and "recognised from smtp.sendgrid.net" in html
    assert 'aria-current="page">Deliverability' in html
    state = DeliverabilityState.objects.get()
    assert (state.domain, state.overall, state.provider_key) == (DOMAIN, "pass", "sendgrid")
    assert state.checked_by_email == TENANTS["a"].admin_email
    assert Tenant.objects.get(pk=tenant_a.pk).email_deliverability == "pass"


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_problem_has_its_colour_and_the_exact_fix(tab, green, keys, scenario):
    breaks, title, status, words, record = scenario
    breaks(green, keys)

    page = read_tab(tab.get(TAB))

    row = page.row(title)
    assert row.status == status
    assert words in row.message
    if record:
        assert record in row.publish
    assert page.overall == ("Action needed" if status == "fail" else "Ready, with warnings")
    # Only the broken record changes colour (both SendGrid selectors share one key).
    check = title.split()[0]
    others = {t: s for t, s in page.statuses.items() if t in GREEN_ROWS and check not in t}
    assert set(others.values()) == {"pass"}, others


def test_dns_that_never_answers_is_grey_never_red(tab, green, tenant_a):
    green.drop(DOMAIN)

    response = tab.get(TAB)

    page = read_tab(response)
    assert page.overall == "Could not check"
    assert {row.status for row in page.rows} == {"unknown"}
    assert all(not row.publish for row in page.rows)
    records = response.content.decode().split('id="records-title"')[1].split("</section>")[0]
    assert "badge--red" not in records and "badge--grey" in records
    assert Tenant.objects.get(pk=tenant_a.pk).email_deliverability == "unknown"


def test_the_stored_result_is_shown_without_asking_dns_again(tab, green):
    tab.get(TAB)
    asked = len(green.queries)

    page = read_tab(tab.get(TAB))

    assert page.overall == "Ready"
    assert len(green.queries) == asked


def test_recheck_sees_a_record_published_after_the_first_check(tab, green):
    green.remove(DMARC)
    assert read_tab(tab.get(TAB)).row("DMARC").status == "fail"
    green.set(DMARC, "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")

    # Without a re-check the stored result stands; Re-check asks DNS again, past every cache.
    assert read_tab(tab.get(TAB)).row("DMARC").status == "fail"
    response = tab.post(TAB, follow=True)

    page = read_tab(response)
    assert page.row("DMARC").status == "pass"
    assert page.overall == "Ready"
    assert "DNS changes take minutes to hours to propagate" in response.content.decode()


def test_the_message_after_a_recheck_has_the_colour_of_the_result(tab, green):
    green.remove(DMARC)

    failing = tab.post(TAB, follow=True).content.decode()

    level, text = read_tab_message(failing)
    assert (level, text.startswith("still failing")) == ("error", True)
    assert "alert--success" not in failing
    green.set(DMARC, "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")
    level, text = read_tab_message(tab.post(TAB, follow=True).content.decode())
    assert (level, text.startswith("everything passes")) == ("success", True)


def read_tab_message(html: str) -> tuple[str, str]:
    """The level of the one message on the page, and the words after "past every DNS cache: "."""
    [(level, text)] = re.findall(r'<li class="alert alert--(\w+)">([^<]*)</li>', html)
    return level, text.split("past every DNS cache: ")[1]


def test_recheck_is_off_with_the_time_left_once_the_budget_is_spent(tab, green):
    page = tab.get(TAB).content.decode()
    assert re.search(r"<button[^>]*data-recheck-button[^>]*>", page)[0].count("disabled") == 0
    for _ in range(services.CHECKS_PER_WINDOW):
        tab.post(TAB)

    page = tab.get(TAB).content.decode()

    button = re.search(r"<button[^>]*data-recheck-button[^>]*>", page)[0]
    assert "disabled" in button and 'aria-describedby="recheck-wait"' in button
    assert "Re-check now works again in about 10 minutes" in page


def test_rechecks_are_limited_per_tenant(tab, green, client_b, tenant_b):
    for _ in range(services.CHECKS_PER_WINDOW):
        assert tab.post(TAB).status_code == 302
    asked = len(green.queries)

    refused = tab.post(TAB)

    assert refused.status_code == 429
    assert "Try again in about 10 minutes" in refused.content.decode()
    assert len(green.queries) == asked
    # The budget's cache keys carry the schema: tenant B's admin is not held back by A.
    with schema_context(tenant_b.schema_name):
        user = get_user_model().objects.get(email=TENANTS["b"].admin_email)
        client_b.force_login(user)
        fresh_start()
    assert client_b.post(TAB).status_code == 302


def test_postmark_asks_for_the_selector_and_uses_the_one_entered(tab, green, keys):
    SmtpConfig.objects.update(host="smtp.postmarkapp.com")
    green.set(DOMAIN, "TXT", "v=spf1 include:spf.mtasv.net ~all")

    first = tab.get(TAB)
    assert 'data-testid="selectors-needed"' in first.content.decode()
    assert read_tab(first).row("DKIM").status == "unverified"

    selector = "20240101120000pm"
    green.set(f"{selector}._domainkey.{DOMAIN}", "TXT", dkim_record(keys.rsa2048))
    added = tab.post(
        SELECTORS, {"action": "add", "selector": f"{selector}._domainkey.{DOMAIN}"}, follow=True
    )

    assert DeliverabilityState.objects.get().dkim_selectors == [selector]
    page = read_tab(added)
    assert page.row(f"DKIM ({selector})").status == "pass"
    assert 'data-testid="selectors-needed"' not in added.content.decode()
    assert f"Selector {selector} added, and the domain checked again." in added.content.decode()

    removed = tab.post(SELECTORS, {"action": "remove", "selector": selector}, follow=True)
    assert DeliverabilityState.objects.get().dkim_selectors == []
    assert read_tab(removed).row("DKIM").status == "unverified"


def test_a_selector_missing_in_dns_is_red(tab, green):
    tab.post(SELECTORS, {"action": "add", "selector": "mykey"})

    page = read_tab(tab.get(TAB))

    assert page.row("DKIM (mykey)").status == "fail"
    assert page.row("DKIM (s1)").status == "pass"


def test_a_selector_added_past_the_budget_is_stored_and_checked_next_time(tab, green):
    tab.get(TAB)
    for _ in range(services.CHECKS_PER_WINDOW):
        tab.post(TAB)
    asked = len(green.queries)

    response = tab.post(SELECTORS, {"action": "add", "selector": "mykey"}, follow=True)

    html = response.content.decode()
    assert "Selector mykey added; the next re-check includes it." in html
    assert "Not checked yet" in html
    assert DeliverabilityState.objects.get().dkim_selectors == ["mykey"]
    assert len(green.queries) == asked


def test_a_bad_selector_gets_a_field_error(tab):
    response = tab.post(SELECTORS, {"action": "add", "selector": "not a selector!"})

    assert response.status_code == 400
    assert "This is not a DKIM selector" in response.content.decode()
    assert not DeliverabilityState.objects.exclude(dkim_selectors=[]).exists()


def test_selectors_are_stored_before_any_check(tab, green):
    SmtpConfig.objects.all().delete()

    tab.post(SELECTORS, {"action": "add", "selector": "s20240101"})

    state = DeliverabilityState.objects.get()
    assert (state.dkim_selectors, state.report) == (["s20240101"], None)
    assert green.queries == []


def test_the_platform_default_has_nothing_to_publish(tab, green):
    SmtpConfig.objects.all().delete()

    html = tab.get(TAB).content.decode()

    assert "Nothing to publish" in html
    assert "noreply@mail.cymmetri.test" in html
    assert "there is nothing for you to publish" in html
    assert "data-recheck" not in html and 'id="dkim-selectors"' not in html
    assert green.queries == []


def test_a_switched_off_smtp_is_not_checked(tab, green):
    SmtpConfig.objects.update(enabled=False)

    html = tab.get(TAB).content.decode()

    assert "Your own SMTP (smtp.sendgrid.net) is switched off" in html
    assert green.queries == []


def test_only_tenant_admins_may_see_or_recheck(tab, member_client_a, green):
    assert member_client_a.get(TAB).status_code == 403
    assert member_client_a.post(TAB).status_code == 403
    assert member_client_a.post(SELECTORS, {"action": "add", "selector": "x1"}).status_code == 403
    assert green.queries == []
    member_client_a.logout()
    assert member_client_a.get(TAB).status_code == 302


def test_posts_need_csrf(tab, admin_a, green):
    strict = Client(HTTP_HOST=TENANTS["a"].domain, enforce_csrf_checks=True)
    strict.force_login(admin_a)

    assert strict.post(TAB).status_code == 403
    assert strict.post(SELECTORS, {"action": "add", "selector": "x1"}).status_code == 403
    assert green.queries == []


def test_the_page_keeps_to_the_content_security_policy(tab, green):
    green.remove(DMARC)

    response = tab.get(TAB)

    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html and "<script " in html  # only scripts with a src
    assert ' style="' not in html and " onclick=" not in html
    # Copy buttons need the script: hidden until it shows them; values stay selectable.
    assert html.count("hidden>Copy</button>") == html.count("data-copy-source") == 2
