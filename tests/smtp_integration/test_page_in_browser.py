"""Email SMTP in Chromium: preset, test connection, save, toggle off and on."""

import pytest

from tests.live import open_as_admin, shot
from tests.smtp_servers import SMTP_PASSWORD
from tests.support import TENANTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("probes_inline")]


def test_configure_test_save_and_toggle_in_the_browser(browser, live_server_url, smtp_server):
    info = TENANTS["a"]

    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, "/integrations/email-smtp/")
        shot(page, "email-smtp-empty")

        page.get_by_label("Provider", exact=True).select_option(label="SendGrid")
        seen["preset"] = (
            page.get_by_label("Host").input_value(),
            page.get_by_label("Port").input_value(),
            page.get_by_label("TLS mode").input_value(),
            page.locator("[data-preset-hint]").inner_text(),
        )
        page.get_by_label("Port").fill("465")
        seen["follows_port"] = page.get_by_label("TLS mode").input_value()
        page.get_by_label("Port").fill("25")
        seen["port25_warning"] = page.locator("[data-port25-warning]").is_visible()
        shot(page, "email-smtp-preset")

        page.get_by_label("Host").fill("localhost")
        page.get_by_label("Port").fill(str(smtp_server.port))
        page.get_by_label("TLS mode").select_option("starttls")
        page.get_by_label("Username").fill("apikey")
        page.locator("#id_password").fill(SMTP_PASSWORD)
        page.get_by_label("From address").fill("noreply@acme.test")
        page.get_by_label("From name").fill("Acme Auth")
        page.get_by_label("Reply-to").fill("support@acme.test")

        page.get_by_role("button", name="Test connection").click()
        page.locator("[data-testid=test-outcome]").wait_for()
        seen["outcome"] = page.locator("[data-testid=test-outcome]").inner_text()
        seen["steps"] = page.locator(".step__name").all_inner_texts()
        seen["password_kept"] = page.locator("#id_password").input_value() == SMTP_PASSWORD
        shot(page, "email-smtp-tested")

        page.get_by_role("button", name="Save").click()
        page.locator(".messages").wait_for()
        seen["saved_badge"] = page.locator("[data-testid=status-badge]").inner_text()
        seen["messages"] = page.locator(".messages").inner_text()
        seen["password_rendered"] = SMTP_PASSWORD in page.content()
        shot(page, "email-smtp-saved")

        page.get_by_role("button", name="Switch off custom SMTP").click()
        page.locator(".messages").wait_for()
        seen["off_badge"] = page.locator("[data-testid=status-badge]").inner_text()
        shot(page, "email-smtp-disabled")
        page.get_by_role("button", name="Switch on custom SMTP").click()
        page.locator(".messages").wait_for()
        seen["on_badge"] = page.locator("[data-testid=status-badge]").inner_text()
        return seen

    seen = browser(flow)
    host, port, tls_mode, hint = seen["preset"]
    assert (host, port, tls_mode) == ("smtp.sendgrid.net", "587", "starttls")
    assert "apikey" in hint
    assert seen["follows_port"] == "tls"
    assert seen["port25_warning"]
    assert seen["outcome"] == "Passed"
    assert seen["steps"][:8] == [
        "Resolve",
        "Connect",
        "TLS",
        "EHLO",
        "AUTH",
        "MAIL FROM",
        "RCPT TO",
        "DATA",
    ]
    assert seen["password_kept"]
    assert seen["saved_badge"] == "Custom SMTP active"
    assert "have not passed" not in seen["messages"]
    assert not seen["password_rendered"]
    assert seen["off_badge"] == "Custom SMTP configured, disabled"
    assert seen["on_badge"] == "Custom SMTP active"
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].rcpt_tos == [info.admin_email]
