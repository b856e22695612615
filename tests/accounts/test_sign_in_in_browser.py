"""Signing in, in Chromium: the dashboard and its integrations, and a wrong password."""

import pytest

from tests.live import shot, sign_in
from tests.support import TENANTS

pytestmark = pytest.mark.browser


def test_tenant_admin_signs_in_and_sees_the_dashboard(browser, live_server_url):
    info = TENANTS["a"]

    def flow(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        shot(page, "login")
        sign_in(page, info.admin_email)
        page.wait_for_url(live_server_url(info.domain, "/"))
        heading = page.get_by_role("heading", level=1).inner_text()
        shot(page, "dashboard")
        page.get_by_role("link", name="Integrations", exact=True).click()
        card = page.locator(".integration").inner_text()
        shot(page, "integrations")
        return heading, card

    heading, card = browser(flow)
    assert heading == info.display_name
    assert "Email SMTP" in card
    assert "Platform default" in card


def test_wrong_password_is_refused_in_the_browser(browser, live_server_url):
    info = TENANTS["a"]

    def flow(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        sign_in(page, info.admin_email, "not-the-password")
        return page.get_by_role("alert").first.inner_text(), page.get_by_label(
            "Email"
        ).input_value()

    error, typed = browser(flow)
    assert "do not match" in error
    assert typed == info.admin_email
