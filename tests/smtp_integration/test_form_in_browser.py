"""The Email SMTP form in Chromium: errors beside their fields (Test connection and Save), what
a failed Save does not keep said beside the field, presets that fill what they know, and the
provider remembered after a Save, with a token username never shown again."""

import pytest

from tests.live import open_as_admin, shots
from tests.support import POSTMARK_HOST, POSTMARK_TOKEN

pytestmark = pytest.mark.browser

PAGE = "/integrations/email-smtp/"


def error_beside(page, field_id):
    return page.locator(f"#{field_id}").locator("xpath=ancestor::div[contains(@class,'field')][1]")


def test_errors_stay_beside_their_fields(browser, live_server_url, smtp_server):
    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, PAGE)
        page.get_by_label("Provider", exact=True).select_option(label="SendGrid")
        seen["username"] = page.locator("#id_username").input_value()
        page.get_by_label("Provider", exact=True).select_option(label="Mailgun")
        seen["username_after_mailgun"] = page.locator("#id_username").input_value()
        page.get_by_label("Provider", exact=True).select_option(label="SendGrid")

        page.get_by_label("Host").fill("localhost")
        page.get_by_label("Port").fill(str(smtp_server.port))
        page.locator("#id_password").fill("typed-secret")
        page.get_by_label("From address").fill("not an address")
        page.get_by_role("button", name="Test connection").click()
        page.locator("[data-test-error]").first.wait_for()
        seen["test_error"] = (
            error_beside(page, "id_from_address").locator(".field__error").all_inner_texts()
        )
        seen["focused"] = page.evaluate("document.activeElement.id")
        shots(page, "email-smtp-test-errors")

        page.get_by_role("button", name="Save").click()
        page.locator("[data-testid=save-errors]").wait_for()
        seen["save_summary"] = page.locator("[data-testid=save-errors]").inner_text()
        seen["save_error"] = (
            error_beside(page, "id_from_address").locator(".field__error").all_inner_texts()
        )
        seen["dropped"] = page.locator("[data-dropped]").all_inner_texts()
        seen["kept"] = (
            page.get_by_label("Host").input_value(),
            page.locator("#id_username").input_value(),
            page.locator("#id_password").input_value(),
        )
        seen["preset"] = page.get_by_label("Provider", exact=True).input_value()
        seen["old_heading"] = "Fix these before testing" in page.content()
        shots(page, "email-smtp-save-errors")
        return seen

    seen = browser(flow)
    assert seen["username"] == "apikey"
    assert seen["username_after_mailgun"] == ""
    assert any("valid email address" in e for e in seen["test_error"]), seen["test_error"]
    assert seen["focused"] == "id_from_address"
    assert seen["save_summary"].startswith("Not saved.")
    assert any("valid email address" in e for e in seen["save_error"])
    assert seen["dropped"] == [
        "The password you typed is not kept when the form comes back with an error: type it again."
    ]
    assert seen["kept"] == ("localhost", "apikey", "")
    assert not seen["old_heading"]


def test_the_provider_is_remembered_and_a_token_username_is_never_shown(
    browser, live_server_url, postmark_server
):
    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, PAGE)
        page.get_by_label("Provider", exact=True).select_option(label="Postmark")
        seen["typed_as"] = page.locator("#id_username").get_attribute("type")
        page.get_by_label("Port").fill(str(postmark_server.port))
        page.locator("#id_username").fill(POSTMARK_TOKEN)
        page.locator("#id_password").fill(POSTMARK_TOKEN)
        page.get_by_label("From address").fill("noreply@acme.test")
        page.get_by_role("button", name="Save").click()
        seen["asked"] = page.locator("#save-confirm [data-confirm-untested]").inner_text()
        page.get_by_role("button", name="Save anyway").click()
        page.locator(".messages").wait_for()
        seen["message"] = page.locator(".messages").inner_text()

        page.goto(live_server_url("production.localhost", PAGE))
        seen["preset"] = page.get_by_label("Provider", exact=True).input_value()
        seen["hint"] = page.locator("[data-preset-hint]").inner_text()
        seen["placeholder"] = page.locator("#id_username").get_attribute("placeholder")
        seen["html_has_token"] = POSTMARK_TOKEN in page.content()
        seen["host"] = page.get_by_label("Host").input_value()
        shots(page, "email-smtp-postmark-saved")
        return seen

    seen = browser(flow)
    assert seen["typed_as"] == "password"
    assert seen["asked"].startswith("These settings have not passed Test connection")
    assert "have not passed Test connection yet" in seen["message"]
    assert seen["preset"] == "postmark"
    assert "Server API token" in seen["hint"]
    assert seen["placeholder"] == "\u2022" * 4 + POSTMARK_TOKEN[-4:] + " (stored encrypted)"
    assert not seen["html_has_token"]
    assert seen["host"] == POSTMARK_HOST


def test_saving_settings_whose_test_failed_asks_first_and_shows_it_in_red(
    browser, live_server_url, smtp_server
):
    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, PAGE)
        page.get_by_label("Host").fill("localhost")
        page.get_by_label("Port").fill(str(smtp_server.port))
        page.locator("#id_username").fill("user@acme.test")
        page.locator("#id_password").fill("wrong-password")
        page.get_by_label("From address").fill("noreply@acme.test")
        page.get_by_role("button", name="Test connection").click()
        page.locator("[data-testid=test-outcome]").wait_for()
        seen["outcome"] = page.locator("[data-testid=test-outcome]").inner_text()

        page.get_by_role("button", name="Save").click()
        dialog = page.locator("#save-confirm")
        seen["asked"] = dialog.locator("[data-confirm-failed]").inner_text()
        shots(page, "email-smtp-save-confirm")
        page.get_by_role("button", name="Cancel").click()
        seen["still_here"] = page.locator("#id_password").input_value()

        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Save anyway").click()
        page.locator(".messages").wait_for()
        seen["message"] = page.locator(".messages").inner_text()
        seen["badges"] = page.locator(".status-card__head .badge").all_inner_texts()
        seen["settings_test"] = page.locator("[data-testid=settings-test]").inner_text()
        shots(page, "email-smtp-saved-after-failed-test")
        return seen

    seen = browser(flow)
    assert seen["outcome"] == "Failed"
    assert seen["asked"] == (
        "Your last test of these settings failed: every email will go to a server that "
        "refused it. Save anyway?"
    )
    assert seen["still_here"] == "wrong-password"
    assert "the last test of these settings failed" in seen["message"]
    assert seen["badges"] == ["Custom SMTP active", "Last test failed"]
    assert seen["settings_test"].startswith("Failed")
    assert "Authentication failed" in seen["settings_test"]


def test_leaving_with_unsaved_edits_asks_first(browser, live_server_url):
    def flow(page):
        seen = {"dialogs": []}

        def answer(dialog):
            seen["dialogs"].append(dialog.type)
            dialog.dismiss()  # "stay on this page"

        page.on("dialog", answer)
        open_as_admin(page, live_server_url, PAGE)
        page.get_by_role("link", name="Activity").click()
        page.wait_for_url("**/activity/")
        seen["left_untouched"] = list(seen["dialogs"])

        page.go_back()
        page.get_by_label("Host").fill("smtp.acme.test")
        page.get_by_role("link", name="Activity").click()
        page.wait_for_timeout(500)
        seen["url_after_edit"] = page.url
        return seen

    seen = browser(flow)
    assert seen["left_untouched"] == []
    assert seen["dialogs"] == ["beforeunload"]
    assert seen["url_after_edit"].endswith(PAGE)
