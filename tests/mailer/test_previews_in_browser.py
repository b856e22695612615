"""Email previews in Chromium: the HTML version renders in its frame."""

import pytest

from tests.live import open_as_admin, shot

pytestmark = pytest.mark.browser


def test_previews_render_in_a_frame(browser, live_server_url):
    def flow(page):
        open_as_admin(page, live_server_url, "/integrations/email-smtp/previews/")
        page.get_by_role("link", name="Recovery").click()
        frame = page.frame_locator("iframe.preview__frame")
        heading = frame.get_by_role("heading", level=1).inner_text()
        button = frame.get_by_role("link", name="Choose a new password").is_visible()
        shot(page, "email-previews")
        return heading, button

    heading, button = browser(flow)
    assert heading == "Reset your password"
    assert button
