"""The Deliverability tab in Chromium: green and red rows, Re-check now, copy, the status card."""

import pytest
from django_tenants.utils import schema_context

from deliverability import services
from deliverability.services import domain_dns_check
from tests.deliverability.tabpage import TAB, fresh_start, smtp_config_create
from tests.deliverability.zones import DOMAIN
from tests.live import open_as_admin, shot
from tests.support import TENANTS

pytestmark = pytest.mark.browser

DMARC = f"_dmarc.{DOMAIN}"


def test_tab_shows_green_and_red_rows_and_copies_the_record(
    browser, live_server_url, green, settings, monkeypatch
):
    info = TENANTS["a"]
    settings.DELIVERABILITY_NAMESERVERS = [green.address]
    monkeypatch.setattr(services, "CHECK_DEADLINE_SECONDS", 1.5)
    with schema_context(info.schema):
        fresh_start()
        smtp_config_create()
        assert domain_dns_check(fresh=True).overall == "pass"
    green.remove(DMARC)  # published wrong after the last check: Re-check must find it

    def flow(page):
        seen = {}
        origin = live_server_url(info.domain, "")
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        open_as_admin(page, live_server_url, TAB)
        seen["before"] = page.get_by_test_id("overall-badge").inner_text()
        shot(page, "deliverability-green")

        page.get_by_role("button", name="Re-check now").click()
        page.locator(".messages").wait_for()
        seen["message"] = page.locator(".messages").inner_text()
        seen["after"] = page.get_by_test_id("overall-badge").inner_text()
        seen["rows"] = {
            row.locator(".dcheck__title").inner_text(): row.get_attribute("data-status")
            for row in page.locator("article.dcheck").all()
        }
        dmarc = page.locator("article.dcheck[data-check=dmarc]")
        seen["colour"] = dmarc.get_by_test_id("row-badge").evaluate(
            "el => getComputedStyle(el).color"
        )
        value = dmarc.locator(".record__value [data-copy-source]").inner_text()
        button = dmarc.get_by_role("button", name="Copy value")
        seen["copy_visible"] = button.is_visible()
        shot(page, "deliverability-red")
        button.click()
        dmarc.locator("button[data-copied]").wait_for()  # the clipboard write is a promise
        seen["copied_label"] = button.inner_text()
        seen["clipboard"] = (page.evaluate("navigator.clipboard.readText()"), value)

        page.get_by_role("link", name="Configuration").click()
        card = page.get_by_test_id("deliverability-status")
        seen["card"] = card.inner_text()
        shot(page, "email-smtp-deliverability-card")
        return seen

    seen = browser(flow)
    assert seen["before"] == "Ready"
    assert "DNS changes take minutes to hours to propagate" in seen["message"]
    assert seen["after"] == "Action needed"
    assert seen["rows"]["DMARC"] == "fail"
    assert {seen["rows"][t] for t in ("SPF", "DKIM (s1)", "DKIM (s2)")} == {"pass"}
    assert seen["colour"] == "rgb(180, 35, 24)"  # --red
    assert seen["copy_visible"]
    assert seen["copied_label"] == "Copied"
    clipboard, value = seen["clipboard"]
    assert clipboard == value == f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{DOMAIN}"
    assert "Action needed" in seen["card"]
    assert "Turned red just now; it was green before." in seen["card"]


def test_postmark_selector_entered_in_the_browser_and_dns_that_never_answers(
    browser, live_server_url, green, settings, monkeypatch
):
    info = TENANTS["a"]
    settings.DELIVERABILITY_NAMESERVERS = [green.address]
    monkeypatch.setattr(services, "CHECK_DEADLINE_SECONDS", 1.0)
    selector = "20240101120000pm"
    green.set(DOMAIN, "TXT", "v=spf1 include:spf.mtasv.net ~all")
    green.set("spf.mtasv.net", "TXT", "v=spf1 ip4:50.31.156.0/23 ~all")
    green.set(f"{selector}._domainkey.{DOMAIN}", "TXT", "v=DKIM1; k=rsa; p=")  # revoked
    with schema_context(info.schema):
        fresh_start()
        smtp_config_create(host="smtp.postmarkapp.com")

    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, TAB)
        seen["asked"] = page.get_by_test_id("selectors-needed").inner_text()
        seen["first"] = page.get_by_test_id("overall-badge").inner_text()
        shot(page, "deliverability-postmark-asks")

        page.get_by_role("textbox", name="DKIM selector").fill(f"{selector}._domainkey")
        page.get_by_role("button", name="Add selector").click()
        page.locator(".messages").wait_for()
        seen["dkim"] = page.locator("article.dcheck[data-check=dkim]").get_attribute("data-status")
        seen["selectors"] = page.get_by_test_id("selectors").inner_text()
        shot(page, "deliverability-postmark-selector")

        green.drop(DOMAIN)
        page.get_by_role("button", name="Re-check now").click()
        page.locator(".messages").wait_for()
        seen["overall"] = page.get_by_test_id("overall-badge").inner_text()
        seen["grey_message"] = page.locator(".messages").inner_text()
        seen["statuses"] = {
            row.get_attribute("data-status") for row in page.locator("article.dcheck").all()
        }
        shot(page, "deliverability-unknown")
        return seen

    seen = browser(flow)
    assert "Postmark picks a unique selector" in seen["asked"]
    assert seen["first"] == "Ready, with warnings"  # DKIM unverified until a selector is known
    assert seen["dkim"] == "fail"  # the key at the entered selector is revoked
    assert f"{selector}._domainkey.{DOMAIN}" in seen["selectors"]
    assert seen["overall"] == "Could not check"
    assert "DNS did not answer for some records: they are grey, not red" in seen["grey_message"]
    assert "fail" not in seen["statuses"]
