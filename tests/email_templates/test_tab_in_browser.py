"""The Email templates tab in Chromium: edit, see an error in place, preview the draft, save,
send to me, and revert."""

import pytest

from tests.live import open_as_admin, shots

pytestmark = pytest.mark.browser

PAGE = "/integrations/email-smtp/templates/otp/de/"


def test_edit_preview_save_send_and_revert(browser, live_server_url):
    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, "/integrations/email-smtp/templates/")
        shots(page, "email-templates")
        page.get_by_role("link", name="Sign-in code in Deutsch").click()
        frame = page.frame_locator("iframe.preview__frame")
        seen["heading"] = frame.get_by_role("heading", level=1).inner_text()
        seen["from"] = page.locator("#preview-from").inner_text()
        shots(page, "email-template-otp-de")

        page.get_by_label("Subject").fill("Ihr Code: {{ cod }}")
        page.get_by_role("button", name="Save").click()
        seen["error"] = page.locator("#id_subject_error").inner_text()
        shots(page, "email-template-error")

        page.get_by_label("Subject").fill("Ihr Code: {{ code }}")
        page.get_by_role("button", name="Preview changes").click()
        seen["draft_title"] = page.locator("#preview-title").inner_text()
        seen["draft_subject"] = page.locator("#preview-subject").inner_text()

        page.get_by_role("button", name="Save").click()
        seen["saved"] = page.locator(".alert").first.inner_text()
        seen["subject"] = page.locator("#preview-subject").inner_text()

        page.get_by_role("button", name="Send to me").click()
        seen["sent"] = page.locator(".alert").first.inner_text()

        page.get_by_label("Subject").fill("Zweiter Code: {{ code }}")
        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Revert to version 1").click()
        seen["reverted"] = page.locator("#preview-subject").inner_text()
        shots(page, "email-template-history")
        return seen

    seen = browser(flow)

    assert seen["heading"] == "Ihr Anmeldecode"
    assert seen["from"].startswith("Cymmetri Production <")
    assert "{{ cod }} is not a variable of this email" in seen["error"]
    assert seen["draft_title"] == "Preview of your changes (not saved)"
    assert seen["draft_subject"] == "Ihr Code: 493027"
    assert "Saved as version 1" in seen["saved"]
    assert seen["subject"] == "Ihr Code: 493027"
    assert "Sent to admin@production.localhost" in seen["sent"]
    assert seen["reverted"] == "Ihr Code: 493027"
