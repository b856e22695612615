"""Account flows in Chromium: forgot password through a delivered email, administrators, email."""

import pytest
from django.contrib.auth import get_user_model

from tests.accounts.helpers import (
    NEW_PASSWORD,
    body_text,
    make_user,
    received,
)
from tests.live import open_as_admin, shot, sign_in
from tests.support import TENANTS, TEST_PASSWORD

# Tenant A, committed, with the session's worker delivering to the platform SMTP.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_tenant_a")]


def link_in(message, path: str) -> str:
    """The link to ``path`` in a received message's plain text, as a mail app would open it."""
    [link] = [line for line in body_text(message).split() if path in line]
    return link


@pytest.fixture
def links_to_live_server(settings, live_server_url):
    """Links in emails point at the live server, as TENANT_URL_TEMPLATE does in production."""
    settings.TENANT_URL_TEMPLATE = live_server_url("{domain}", "")


def test_forgot_password_by_email_then_sign_in(
    browser, live_server_url, platform_smtp, links_to_live_server
):
    info = TENANTS["a"]
    make_user("ada@example.com")

    def ask(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        page.get_by_role("link", name="Forgot your password?").click()
        page.wait_for_url(live_server_url(info.domain, "/accounts/password-reset/"))
        shot(page, "password-reset")
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_role("button", name="Email me a reset link").click()
        page.wait_for_url(live_server_url(info.domain, "/accounts/password-reset/sent/"))
        shot(page, "password-reset-sent")
        return page.get_by_role("heading", level=1).inner_text()

    assert browser(ask) == "Check your inbox"

    link = link_in(received(platform_smtp, "ada@example.com"), "/accounts/password-reset/")
    assert link.startswith(live_server_url(info.domain, "/accounts/password-reset/"))

    def reset_and_sign_in(page):
        page.goto(link)
        page.get_by_label("New password", exact=True).wait_for()
        shot(page, "password-reset-choose")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()
        # Signed in at once: the dashboard, with no second sign-in.
        page.wait_for_url(live_server_url(info.domain, "/"))
        assert "you are signed in as ada@example.com" in page.locator(".messages").inner_text()
        shot(page, "password-reset-signed-in")
        page.goto(link)
        return page.get_by_role("heading", level=1).inner_text()

    assert browser(reset_and_sign_in) == "This link has expired"


def test_an_admin_invites_and_the_invitee_joins(
    browser, live_server_url, platform_smtp, links_to_live_server
):
    info = TENANTS["a"]
    make_user("pending@example.com", password=None, admin=True)

    def flow(page):
        open_as_admin(page, live_server_url)
        shot(page, "dashboard-accounts")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Administrators"
        ).click()
        page.get_by_label("Email").fill(info.admin_email.upper())
        page.get_by_role("button", name="Send invitation", exact=True).click()
        duplicate = page.locator(".field__error").inner_text()
        shot(page, "admins-duplicate")
        page.get_by_label("Email").fill("grace@example.com")
        page.get_by_label("Name").fill("Grace Hopper")
        page.get_by_role("button", name="Send invitation", exact=True).click()
        page.locator(".messages").wait_for()
        shot(page, "admins")
        return duplicate, page.locator("table.admins tbody tr").all_inner_texts()

    duplicate, rows = browser(flow)
    assert "already exists" in duplicate
    assert [row.split()[0] for row in rows] == [
        info.admin_email,
        "grace@example.com",
        "pending@example.com",
    ]
    assert "Grace Hopper" in rows[1] and "Invited" in rows[1]

    link = link_in(received(platform_smtp, "grace@example.com"), "/accounts/invitation/")

    def accept(page):
        page.goto(link)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        shot(page, "invitation-accept")
        page.get_by_role("button", name="Set password and finish").click()
        page.wait_for_url(live_server_url(info.domain, "/"))
        assert "Welcome" in page.locator(".messages").inner_text()
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Administrators"
        ).click()
        return page.locator("table.admins tbody tr").all_inner_texts()

    rows = browser(accept)
    assert "Active" in rows[1] and "Never" not in rows[1]


def test_a_user_changes_their_email_from_the_link_in_the_new_inbox(
    browser, live_server_url, platform_smtp, links_to_live_server
):
    info = TENANTS["a"]
    make_user("ada@example.com")

    def ask(page):
        page.goto(live_server_url(info.domain, "/accounts/login/"))
        sign_in(page, "ada@example.com")
        page.get_by_role("link", name="Change email address").click()
        page.get_by_label("New email address").fill("ada@new.example")
        page.get_by_label("Current password").fill("not-the-password")
        page.get_by_role("button", name="Send confirmation link").click()
        wrong = page.locator(".field__error").inner_text()
        typed = page.get_by_label("New email address").input_value()
        shot(page, "email-change-wrong-password")
        page.get_by_label("Current password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Send confirmation link").click()
        page.locator(".messages").wait_for()
        shot(page, "email-change-sent")
        return wrong, typed

    assert browser(ask) == ("That is not your current password.", "ada@new.example")

    link = link_in(received(platform_smtp, "ada@new.example"), "/accounts/email/confirm/")

    def confirm(page):
        page.goto(link)  # another browser, as from a mail app: sign in first
        sign_in(page, "ada@example.com")
        page.get_by_role("button", name="Change my address").wait_for()
        shot(page, "email-change-confirm")
        page.get_by_role("button", name="Change my address").click()
        page.locator(".messages").wait_for()
        shot(page, "email-change-done")
        return page.locator(".messages").inner_text()

    assert "Your email address is now ada@new.example" in browser(confirm)
    assert get_user_model().objects.filter(email="ada@new.example").exists()
