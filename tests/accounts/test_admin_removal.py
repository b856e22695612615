"""Revoking an invitation and deactivating an administrator: audited, the link or the sessions
stop working at once, and the tenant never loses its last administrator."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.services import tenant_admin_remove
from audit.models import AuditEvent
from tests.accounts.helpers import (
    link_path,
    make_user,
    only_email,
    sign_in,
)
from tests.mailer.helpers import email_text
from tests.support import TENANTS


def remove(client: Client, user):
    return client.post(f"/accounts/admins/{user.pk}/remove/", follow=True)


def test_revoking_an_invitation_retires_its_link(admin_client_a, in_tenant_a, admin_a):
    admin_client_a.post("/accounts/admins/", {"email": "grace@example.com"})
    path = link_path(email_text(only_email()), "/accounts/invitation/")
    invitee = admin_a.__class__.objects.get(email="grace@example.com")
    assert b"Revoke invitation" in admin_client_a.get("/accounts/admins/").content

    page = remove(admin_client_a, invitee)

    assert b"The invitation to grace@example.com is revoked" in page.content
    assert b"Deactivated" in page.content
    opened = Client(HTTP_HOST=TENANTS["a"].domain).get(path, follow=True)
    assert b"This link has expired" in opened.content
    [event] = AuditEvent.objects.filter(action="admin.user_invitation_revoked")
    assert (event.recipient, event.actor_email) == ("grace@example.com", admin_a.email)


def test_a_deactivated_admin_is_signed_out_and_cannot_sign_in(admin_client_a, in_tenant_a):
    other = make_user("ops@example.com", admin=True)
    theirs = Client(HTTP_HOST=TENANTS["a"].domain)
    assert sign_in(theirs, "ops@example.com").status_code == 302

    page = remove(admin_client_a, other)

    assert b"ops@example.com is deactivated" in page.content
    assert theirs.get("/").status_code == 302  # their session is gone
    assert sign_in(Client(HTTP_HOST=TENANTS["a"].domain), "ops@example.com").status_code == 200
    assert AuditEvent.objects.filter(action="admin.user_deactivated").count() == 1


def test_one_admin_deactivates_another_but_not_themselves(client_a, in_tenant_a, admin_a):
    other = make_user("ops@example.com", admin=True)
    client_a.force_login(other)

    assert b"is deactivated" in remove(client_a, admin_a).content
    refused = remove(client_a, other)

    assert b"You cannot remove yourself" in refused.content
    other.refresh_from_db()
    assert other.is_active
    assert not AuditEvent.objects.filter(recipient="ops@example.com").exists()


def test_the_last_active_admin_is_never_deactivated(in_tenant_a, admin_a):
    # A pending invitee does not count as an administrator who could take over.
    pending = make_user("pending@example.com", password=None, admin=True)

    with pytest.raises(ValidationError, match="is the last administrator and stays active"):
        tenant_admin_remove(actor=pending, user=admin_a)

    admin_a.refresh_from_db()
    assert admin_a.is_active


def test_only_admins_who_may_invite_can_remove(member_client_a, in_tenant_a):
    other = make_user("ops@example.com", admin=True)
    assert member_client_a.post(f"/accounts/admins/{other.pk}/remove/").status_code == 403
    other.refresh_from_db()
    assert other.is_active
