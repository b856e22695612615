import pytest

from tests.support import SCREENSHOTS, TENANTS, TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_tenant_admin_signs_in_and_sees_the_dashboard(browser, live_server_url):
    info = TENANTS["a"]

    def sign_in(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "login.png", full_page=True)
        page.get_by_label("Email").fill(info.admin_email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_server_url(info.domain, "/"))
        heading = page.get_by_role("heading", level=1).inner_text()
        page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
        page.get_by_role("link", name="Integrations", exact=True).click()
        card = page.locator(".integration").inner_text()
        page.screenshot(path=SCREENSHOTS / "integrations.png", full_page=True)
        return heading, card

    heading, card = browser(sign_in)
    assert heading == info.display_name
    assert "Email SMTP" in card
    assert "Platform default" in card


def test_wrong_password_is_refused_in_the_browser(browser, live_server_url):
    info = TENANTS["a"]

    def sign_in(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        page.get_by_label("Email").fill(info.admin_email)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        return page.get_by_role("alert").first.inner_text(), page.get_by_label(
            "Email"
        ).input_value()

    error, typed = browser(sign_in)
    assert "do not match" in error
    assert typed == info.admin_email
