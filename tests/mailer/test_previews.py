"""Email previews: every kind rendered as send_email() would, framed safely."""

import pytest

from mailer.kinds import KINDS


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_a_preview(admin_client_a, kind):
    page = admin_client_a.get(f"/integrations/email-smtp/previews/{kind}/")
    assert page.status_code == 200
    rendered = page.context["rendered"]
    assert "Cymmetri Production" in rendered.subject + rendered.text
    html = admin_client_a.get(f"/integrations/email-smtp/previews/{kind}/html/")
    assert html.status_code == 200
    assert html.content.decode() == rendered.html
    # Inline styles in the email are allowed in the frame only, and nothing else is.
    assert html.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src" not in html.headers["Content-Security-Policy"]


def test_links_in_previews_point_at_this_tenant(admin_client_a):
    page = admin_client_a.get("/integrations/email-smtp/previews/recovery/")
    assert "http://production.localhost/accounts/reset/" in page.context["rendered"].text


def test_unknown_kind_and_non_admins(admin_client_a, member_client_a):
    assert admin_client_a.get("/integrations/email-smtp/previews/sms/").status_code == 404
    assert member_client_a.get("/integrations/email-smtp/previews/otp/").status_code == 403
    assert member_client_a.get("/integrations/email-smtp/previews/otp/html/").status_code == 403
