"""Microsoft 365 with OAuth 2.0 in Chromium: the preset picks OAuth, the commands to run fill
in as the admin types, Test connection shows the Token step, Save keeps the secret sealed."""

import pytest

from tests.live import open_as_admin, shots
from tests.support import OAUTH, TENANTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("probes_inline")]


def test_microsoft_365_with_oauth_in_the_browser(
    browser, live_server_url, oauth_smtp_server, oauth, settings
):
    settings.SMTP_ALLOWED_PORTS = settings.SMTP_ALLOWED_PORTS | {oauth_smtp_server.port}

    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, "/integrations/email-smtp/")
        page.get_by_label("Provider", exact=True).select_option(label="Microsoft 365")
        seen["method"] = page.locator("input[name=auth_method]:checked").input_value()
        seen["password_shown"] = page.locator("#id_password").is_visible()
        seen["oauth_provider"] = page.get_by_label("OAuth 2.0 provider").input_value()
        seen["username_label"] = page.locator("[data-username-label]").inner_text()

        page.get_by_label("Host").fill("localhost")
        page.get_by_label("Port").fill(str(oauth_smtp_server.port))
        page.get_by_label("TLS mode").select_option("starttls")
        page.locator("#id_username").fill(OAUTH.mailbox)
        page.get_by_label("Directory (tenant) ID").fill(OAUTH.tenant_id)
        page.get_by_label("Application (client) ID").fill(OAUTH.client_id)
        page.get_by_label("Client secret").fill(OAUTH.client_secret)
        page.get_by_label("From address").fill(OAUTH.mailbox)
        page.locator("#help-oauth").evaluate("details => details.open = true")
        seen["commands"] = page.locator("#ms-commands").inner_text()

        page.get_by_role("button", name="Test connection").click()
        page.locator("[data-testid=test-outcome]").wait_for()
        seen["outcome"] = page.locator("[data-testid=test-outcome]").inner_text()
        seen["steps"] = page.locator(".step__name").all_inner_texts()
        seen["secret_kept"] = page.get_by_label("Client secret").input_value()
        page.set_viewport_size({"width": 390, "height": 844})
        seen["widest"] = page.evaluate(
            "Math.max(...[...document.querySelectorAll('main .card, main aside')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        page.set_viewport_size({"width": 1280, "height": 900})
        shots(page, "email-smtp-oauth-tested")

        page.get_by_role("button", name="Save").click()
        page.locator(".messages").wait_for()
        seen["badge"] = page.locator("[data-testid=status-badge]").inner_text()
        seen["secret_rendered"] = OAUTH.client_secret in page.content()
        seen["stored_note"] = page.locator("#oauth").inner_text()
        shots(page, "email-smtp-oauth-saved")
        return seen

    seen = browser(flow)
    assert seen["method"] == "oauth2"
    assert not seen["password_shown"]
    assert seen["oauth_provider"] == "microsoft"
    assert seen["username_label"] == "Mailbox to send as"
    assert f"-Organization {OAUTH.tenant_id}" in seen["commands"]
    assert f"-AppId {OAUTH.client_id}" in seen["commands"]
    assert f"-Identity {OAUTH.mailbox}" in seen["commands"]
    assert seen["outcome"] == "Passed"
    assert seen["steps"][3:6] == ["EHLO", "Token", "AUTH"]
    assert seen["secret_kept"] == OAUTH.client_secret
    assert seen["widest"] <= 390  # the form, the steps and the help fit a phone
    assert seen["badge"] == "Custom SMTP active"
    assert not seen["secret_rendered"]
    assert "stored" in seen["stored_note"].lower()
    assert [m.rcpt_tos for m in oauth_smtp_server.messages] == [[TENANTS["a"].admin_email]]
