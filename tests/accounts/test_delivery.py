"""Each flow end to end: a real worker delivers the email to the platform SMTP, and the link
in the message that arrived completes the flow."""

from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.helpers import (
    NEW_PASSWORD,
    body_text,
    link_path,
    make_user,
    received,
    set_password,
    sign_in,
)
from tests.support import TENANTS, TEST_PASSWORD


def browser() -> Client:
    return Client(HTTP_HOST=TENANTS["a"].domain)


def test_a_recovery_email_arrives_and_its_link_resets_the_password(live_tenant_a, platform_smtp):
    make_user("ada@example.com")
    response = browser().post("/accounts/password-reset/", {"email": "ada@example.com"})
    assert response.status_code == 302

    message = received(platform_smtp, "ada@example.com")
    assert message["Subject"] == "Reset your Cymmetri Production password"
    path = link_path(body_text(message), "/accounts/password-reset/")
    assert set_password(browser(), path, NEW_PASSWORD).status_code == 302

    assert sign_in(browser(), "ada@example.com", NEW_PASSWORD).status_code == 302
    assert sign_in(browser(), "ada@example.com", TEST_PASSWORD).status_code == 200
    assert b"This link has expired" in browser().get(path).content


def test_an_invitation_arrives_and_the_invitee_joins(live_tenant_a, platform_smtp):
    admin = browser()
    admin.force_login(get_user_model().objects.get(email=TENANTS["a"].admin_email))
    admin.post("/accounts/admins/", {"email": "grace@example.com", "full_name": "Grace"})

    message = received(platform_smtp, "grace@example.com")
    assert "invited you to Cymmetri Production" in message["Subject"]
    path = link_path(body_text(message), "/accounts/invitation/")
    assert set_password(browser(), path, NEW_PASSWORD).status_code == 302

    invitee = browser()
    assert sign_in(invitee, "grace@example.com", NEW_PASSWORD).status_code == 302
    assert invitee.get("/accounts/admins/").status_code == 200


def test_an_email_change_is_confirmed_from_the_new_inbox(live_tenant_a, platform_smtp):
    user = make_user("ada@example.com")
    client = browser()
    assert sign_in(client, user.email).status_code == 302
    client.post("/accounts/email/", {"new_email": "ada@new.example", "password": TEST_PASSWORD})

    message = received(platform_smtp, "ada@new.example")
    path = link_path(body_text(message), "/accounts/email/confirm/")
    assert client.post(path).status_code == 302

    user.refresh_from_db()
    assert user.email == "ada@new.example"
    notice = received(platform_smtp, "ada@example.com")
    assert "ada@new.example" in body_text(notice)
    assert sign_in(browser(), "ada@new.example").status_code == 302
