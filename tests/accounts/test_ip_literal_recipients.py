"""Addresses at an IP address instead of a domain name are never handed to a relay: the
mailer refuses them, and the invitation and email-change forms say why beside the field."""

import pytest

from mailer import send_email
from mailer.exceptions import InvalidRecipient
from mailer.models import OutboundEmail
from tests.accounts.helpers import make_user
from tests.support import TEST_PASSWORD

IP_ADDRESSES = [
    "x@[10.0.0.5]",
    "me@[169.254.169.254]",
    "me@[2001:db8::1]",
]


@pytest.mark.parametrize("address", IP_ADDRESSES)
def test_the_mailer_refuses_ip_literal_recipients(in_tenant_a, address):
    with pytest.raises(InvalidRecipient, match="not to an IP address"):
        send_email("otp", to=address, context={"code": "123456"})
    context = {"confirm_url": "https://x.test/c", "new_email": address}
    with pytest.raises(InvalidRecipient, match="not to an IP address"):
        send_email("email_change", to="a@example.com", context=context)
    assert not OutboundEmail.objects.exists()


def test_domain_names_with_digits_still_go(in_tenant_a):
    for address in ("a@123mail.example", "b@1.example.com", "c@mail.co"):
        send_email("otp", to=address, context={"code": "123456"})
    assert OutboundEmail.objects.count() == 3


@pytest.mark.parametrize("address", IP_ADDRESSES[:2])
def test_an_invitation_to_an_ip_address_is_refused_beside_the_field(admin_client_a, address):
    response = admin_client_a.post("/accounts/admins/", {"email": address})
    assert response.status_code == 400
    [error] = response.context["form"].errors["email"]
    assert "not to an IP address" in error
    assert "not to an IP address" in response.content.decode()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("address", IP_ADDRESSES[:2])
def test_an_email_change_to_an_ip_address_is_refused_beside_the_field(
    in_tenant_a, client_a, address
):
    client_a.force_login(make_user("ada@example.com"))
    response = client_a.post("/accounts/email/", {"new_email": address, "password": TEST_PASSWORD})
    assert response.status_code == 400
    [error] = response.context["form"].errors["new_email"]
    assert "not to an IP address" in error
    assert not OutboundEmail.objects.exists()
