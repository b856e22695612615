"""Administrators: the list, inviting, accepting, resending, and who may do it."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.roles import TENANT_ADMINS_GROUP
from accounts.tokens import InvitationTokenGenerator
from audit.models import AuditEvent
from mailer.content import email_content
from mailer.models import OutboundEmail
from tests.accounts.helpers import link_path, make_user, only_email, set_password, sign_in
from tests.mailer.helpers import email_text
from tests.support import TENANTS

PASSWORD = "invitee-passphrase-42"


def invite(client: Client, email: str, full_name: str = ""):
    return client.post("/accounts/admins/", {"email": email, "full_name": full_name})


def accept_path(user, age: timedelta) -> str:
    generator = InvitationTokenGenerator()
    generator._now = lambda: datetime.now() - age
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:invitation_accept", args=[uid, generator.make_token(user)])


def test_an_admin_invites_an_administrator(admin_client_a, admin_a):
    response = invite(admin_client_a, "Grace.Hopper@Example.com", "Grace Hopper")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/admins/"

    invitee = admin_a.__class__.objects.get(email="grace.hopper@example.com")
    assert invitee.full_name == "Grace Hopper"
    assert not invitee.has_usable_password()
    assert list(invitee.groups.values_list("name", flat=True)) == [TENANT_ADMINS_GROUP]

    email = only_email()
    assert (email.kind, email.to_address) == ("invitation", "grace.hopper@example.com")
    subject = email_content(email).subject
    assert subject == "admin@production.localhost invited you to Cymmetri Production"
    assert "Your role: Administrator." in email_text(email)
    assert link_path(email_text(email), "/accounts/invitation/")

    event = AuditEvent.objects.get(action="admin.user_invited")
    assert (event.actor_email, event.recipient) == (admin_a.email, "grace.hopper@example.com")
    assert event.target == f"user:{invitee.pk}"

    page = admin_client_a.get("/accounts/admins/")
    assert b"Invitation sent to grace.hopper@example.com" in page.content
    assert b"Grace Hopper" in page.content
    assert b"Invited" in page.content
    assert b"Resend invitation" in page.content


def test_the_invitee_sets_a_password_and_signs_in_once(admin_client_a, in_tenant_a):
    invite(admin_client_a, "grace@example.com")
    path = link_path(email_text(only_email()), "/accounts/invitation/")

    invitee = Client(HTTP_HOST=TENANTS["a"].domain)
    opened = invitee.get(invitee.get(path).headers["Location"])
    assert b"Welcome to Cymmetri Production" in opened.content
    assert b"grace@example.com" in opened.content

    accepting = Client(HTTP_HOST=TENANTS["a"].domain)
    done = set_password(accepting, path, PASSWORD)
    # Signed in at once: straight to the dashboard, no second sign-in.
    assert done.headers["Location"] == "/"
    home = accepting.get("/")
    assert home.status_code == 200
    assert b"your password is set, and you are signed in as grace@example.com" in home.content
    assert b"Administrators" in home.content
    assert sign_in(invitee, "grace@example.com", PASSWORD).status_code == 302

    used = Client(HTTP_HOST=TENANTS["a"].domain).get(path)
    assert b"This link has expired" in used.content
    assert b"already accepted" in used.content


@pytest.mark.parametrize(
    ("age", "works"),
    [(timedelta(days=3, hours=2), True), (timedelta(days=7, hours=1), False)],
)
def test_an_invitation_works_for_seven_days(client_a, in_tenant_a, age, works):
    invitee = make_user("grace@example.com", password=None, admin=True)
    response = client_a.get(accept_path(invitee, age))
    if works:
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/set-password/")
    else:
        assert response.status_code == 200
        assert b"more than 7 days old" in response.content


def test_an_existing_address_is_refused_whatever_its_case(admin_client_a, admin_a):
    response = invite(admin_client_a, admin_a.email.upper(), "Someone Else")
    assert response.status_code == 400
    assert b"An account with this address already exists in this tenant." in response.content
    assert f'value="{admin_a.email.upper()}"'.encode() in response.content
    assert b'value="Someone Else"' in response.content
    assert not OutboundEmail.objects.exists()


def test_bad_input_is_a_field_error(admin_client_a):
    response = invite(admin_client_a, "grace@example.com", "Grace\r\nBcc: x@example.com")
    assert response.status_code == 400
    assert b"Line breaks and control characters are not allowed here." in response.content
    assert invite(admin_client_a, "not-an-address").status_code == 400
    assert not OutboundEmail.objects.exists()


def test_resending_replaces_the_link(admin_client_a, admin_a):
    invite(admin_client_a, "grace@example.com")
    first = link_path(email_text(only_email()), "/accounts/invitation/")
    invitee = admin_a.__class__.objects.get(email="grace@example.com")

    response = admin_client_a.post(f"/accounts/admins/{invitee.pk}/resend/")
    assert response.status_code == 302
    [resent] = [text for text in map(email_text, OutboundEmail.objects.all()) if first not in text]
    second = link_path(resent, "/accounts/invitation/")
    assert Client(HTTP_HOST=TENANTS["a"].domain).get(first).status_code == 200  # expired page
    assert Client(HTTP_HOST=TENANTS["a"].domain).get(second).status_code == 302
    assert AuditEvent.objects.filter(action="admin.user_invitation_resent").count() == 1


def test_an_active_admin_gets_no_invitation_again(admin_client_a, admin_a):
    response = admin_client_a.post(f"/accounts/admins/{admin_a.pk}/resend/", follow=True)
    assert b"has already accepted the invitation" in response.content
    assert not OutboundEmail.objects.exists()


def test_someone_without_the_permission_gets_403(client_a, in_tenant_a):
    client_a.force_login(make_user("user@example.com"))
    invitee = make_user("grace@example.com", password=None, admin=True)
    assert client_a.get("/accounts/admins/").status_code == 403
    assert invite(client_a, "new@example.com").status_code == 403
    assert client_a.post(f"/accounts/admins/{invitee.pk}/resend/").status_code == 403
    assert b"/accounts/admins/" not in client_a.get("/").content
    assert not OutboundEmail.objects.exists()


def test_the_page_needs_a_signed_in_user(client_a):
    response = client_a.get("/accounts/admins/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/accounts/admins/"


def test_the_list_shows_each_admins_status_and_last_sign_in(admin_client_a, admin_a):
    make_user("user@example.com")  # not an admin: not listed
    make_user("grace@example.com", password=None, admin=True)
    sign_in(Client(HTTP_HOST=TENANTS["a"].domain), admin_a.email)

    page = admin_client_a.get("/accounts/admins/").content.decode()
    assert "2 administrators" in page
    assert "user@example.com" not in page
    assert "Never" in page  # grace has not signed in
    assert page.count("badge--green") == 1 and page.count("badge--amber") == 1
    assert '<a href="/accounts/admins/" aria-current="page">Administrators</a>' in page
