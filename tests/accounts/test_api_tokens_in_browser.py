"""The API tokens page in Chromium: create a token, see and copy it once, use it, revoke it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from audit.models import AuditAction, AuditEvent
from tests.fixtures.api import LiveApiClient
from tests.live import open_as_admin, shot
from tests.support import TENANTS

pytestmark = pytest.mark.browser


def test_create_copy_once_and_revoke_a_token(browser, live_server_url, mailer_tenant):
    info = TENANTS["a"]
    api = LiveApiClient(live_server_url(info.domain), info.domain)

    def create(page):
        open_as_admin(page, live_server_url, "/")
        page.get_by_role("link", name="API tokens").click()
        page.wait_for_url("**/accounts/api-tokens/")
        shot(page, "api-tokens-empty")
        page.get_by_label("Name").fill("Terraform")
        page.get_by_label("smtp:read").check()
        page.get_by_label("smtp:write").check()
        page.get_by_role("button", name="Create token").click()
        token = page.get_by_test_id("token-value").inner_text()
        button = page.get_by_role("button", name="Copy token")
        button.click()
        expect(button).to_have_text(re.compile(r"Copied|Press Ctrl\+C"))
        copied = button.inner_text()
        shot(page, "api-tokens-created-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        shot(page, "api-tokens-created-390")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()  # the form posted again: no second token
        return token, copied, page.content()

    token, copied, reloaded = browser(create)

    assert token.startswith("cym_")
    assert copied in ("Copied", "Press Ctrl+C")
    assert token not in reloaded
    assert "already created" in reloaded
    assert reloaded.count("data-token=") == ApiToken.objects.count() == 1
    assert api.call("GET", "/api/v1/email-smtp", token=token).status == 200
    assert api.call("GET", "/api/v1/emails", token=token).status == 403

    def revoke(page):
        open_as_admin(page, live_server_url, "/accounts/api-tokens/")
        page.get_by_role("button", name="Revoke Terraform").click()
        page.get_by_text("Token revoked").wait_for()
        shot(page, "api-tokens-revoked")
        return page.locator(f"[data-token='{token[:12]}']").inner_text()

    row = browser(revoke)

    assert "Revoked" in row and "Revoke Terraform" not in row
    assert api.call("GET", "/api/v1/email-smtp", token=token).status == 401
    assert (
        AuditEvent.objects.filter(
            action__in=[AuditAction.API_TOKEN_CREATED, AuditAction.API_TOKEN_REVOKED]
        ).count()
        == 2
    )


def test_the_page_is_for_admins_only(member_client_a):
    assert member_client_a.get("/accounts/api-tokens/").status_code == 403
    assert b"API tokens" not in member_client_a.get("/").content
