"""Changing one's address: ask with the password, confirm from the new inbox."""

import time

from django.test import Client

from accounts.services import EMAIL_CHANGE_LIMIT
from accounts.tokens import EmailChangeTokenGenerator
from audit.models import AuditEvent
from mailer.models import OutboundEmail
from tests.accounts.helpers import link_path, make_user, only_email, sign_in
from tests.mailer.helpers import email_text
from tests.support import TENANTS, TEST_PASSWORD


def ask(client: Client, new_email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/email/", {"new_email": new_email, "password": password})


def signed_in(user) -> Client:
    client = Client(HTTP_HOST=TENANTS["a"].domain)
    client.force_login(user)
    return client


def confirm_path() -> str:
    return link_path(email_text(only_email(kind="email_change")), "/accounts/email/confirm/")


def test_the_page_shows_the_address_and_the_dashboard_links_to_it(admin_client_a, admin_a):
    page = admin_client_a.get("/accounts/email/")
    assert page.status_code == 200
    assert admin_a.email.encode() in page.content
    assert b'href="/accounts/email/"' in admin_client_a.get("/").content


def test_a_link_goes_to_the_new_address_and_nothing_changes_yet(in_tenant_a):
    user = make_user("ada@example.com")
    client = signed_in(user)
    response = ask(client, "Ada.Lovelace@Example.com")
    assert response.status_code == 302
    message = client.get("/accounts/email/").content
    assert b"We sent a link to ada.lovelace@example.com" in message

    email = only_email()
    assert (email.kind, email.to_address) == ("email_change", "ada.lovelace@example.com")
    assert "ada.lovelace@example.com" in email_text(email)
    assert confirm_path()
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_confirming_changes_the_address_audits_it_and_tells_the_old_one(in_tenant_a):
    user = make_user("ada@example.com")
    client = signed_in(user)
    ask(client, "ada.lovelace@example.com")
    path = confirm_path()

    page = client.get(path)
    assert b"Change my address" in page.content
    user.refresh_from_db()
    assert user.email == "ada@example.com"  # opening the link alone changes nothing

    response = client.post(path)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "ada.lovelace@example.com"
    event = AuditEvent.objects.get(action="account.email_changed")
    assert event.metadata == {"old_email": "ada@example.com", "new_email": user.email}
    assert event.actor_email == user.email
    notice = only_email(kind="notification")
    assert notice.to_address == "ada@example.com"
    assert "ada.lovelace@example.com" in email_text(notice)

    assert sign_in(Client(HTTP_HOST=TENANTS["a"].domain), user.email).status_code == 302
    again = client.post(path)
    assert again.status_code == 400
    assert b"your address has changed since it was sent" in again.content


def test_a_wrong_password_is_refused_and_the_new_address_kept(in_tenant_a):
    client = signed_in(make_user("ada@example.com"))
    response = ask(client, "new@example.com", "not-my-password")
    assert response.status_code == 400
    assert b"That is not your current password." in response.content
    assert b'value="new@example.com"' in response.content
    assert b"not-my-password" not in response.content
    assert not OutboundEmail.objects.exists()


def test_an_address_in_use_is_refused(in_tenant_a, admin_a):
    client = signed_in(make_user("ada@example.com"))
    response = ask(client, admin_a.email.upper())
    assert response.status_code == 400
    assert b"Another account of this tenant uses this address." in response.content
    assert ask(client, "ADA@example.com").status_code == 400  # already hers
    assert not OutboundEmail.objects.exists()


def test_an_address_taken_before_confirming_is_refused(in_tenant_a):
    user = make_user("ada@example.com")
    client = signed_in(user)
    ask(client, "new@example.com")
    make_user("NEW@example.com")

    response = client.post(confirm_path())
    assert response.status_code == 400
    assert b"new@example.com now belongs to another account" in response.content
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_a_link_for_another_user_is_refused(in_tenant_a):
    ada = make_user("ada@example.com")
    ask(signed_in(ada), "new@example.com")
    mallory = signed_in(make_user("mallory@example.com"))

    response = mallory.post(confirm_path())
    assert response.status_code == 400
    assert b"This link was sent for another account." in response.content
    ada.refresh_from_db()
    assert ada.email == "ada@example.com"
    assert not AuditEvent.objects.filter(action="account.email_changed").exists()


def test_an_expired_link_is_refused(in_tenant_a):
    user = make_user("ada@example.com")
    generator = EmailChangeTokenGenerator()
    generator._now = lambda: time.time() - 25 * 3600
    token = generator.make_token(user=user, new_email="new@example.com")

    response = signed_in(user).post(f"/accounts/email/confirm/{token}/")
    assert response.status_code == 400
    assert b"This link has expired" in response.content
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_the_link_asks_a_signed_out_visitor_to_sign_in(client_a, in_tenant_a):
    user = make_user("ada@example.com")
    token = EmailChangeTokenGenerator().make_token(user=user, new_email="new@example.com")
    response = client_a.get(f"/accounts/email/confirm/{token}/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/?next=/accounts/email/")
    assert client_a.post(f"/accounts/email/confirm/{token}/").status_code == 302
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_attempts_are_limited(in_tenant_a):
    client = signed_in(make_user("ada@example.com"))
    for _ in range(EMAIL_CHANGE_LIMIT):
        assert ask(client, "new@example.com", "wrong-password-1").status_code == 400
    limited = ask(client, "new@example.com")
    assert limited.status_code == 429
    assert b"Too many attempts to change your address." in limited.content
    assert not OutboundEmail.objects.exists()
