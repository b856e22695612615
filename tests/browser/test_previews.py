"""Email previews in Chromium: the HTML version renders in its frame."""

import pytest

from tests.browser.test_email_smtp import shot
from tests.support import TENANTS, TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_previews_render_in_a_frame(browser, live_server_url):
    info = TENANTS["a"]

    def flow(page):
        url = live_server_url(
            info.domain, "/accounts/login/?next=/integrations/email-smtp/previews/"
        )
        page.goto(url)
        page.get_by_label("Email").fill(info.admin_email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Recovery").click()
        frame = page.frame_locator("iframe.preview__frame")
        heading = frame.get_by_role("heading", level=1).inner_text()
        button = frame.get_by_role("link", name="Choose a new password").is_visible()
        shot(page, "email-previews")
        return heading, button

    heading, button = browser(flow)
    assert heading == "Reset your password"
    assert button
