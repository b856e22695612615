"""Failed sign-ins pause an address and a network: no spelling of the address, no address of
the network and no burst of concurrent guesses gets more than the limit, and each failure and
each pause is in the audit log."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.addresses import email_ambiguity_check
from audit.models import AuditEvent
from cymmetri.throttle import network_key
from tests.accounts.helpers import sign_in
from tests.support import TENANTS

ADMIN = TENANTS["a"].admin_email
# Dotless i, long s and the Kelvin sign: PostgreSQL's upper() makes them I, S and K.
LOOK_ALIKES = ["admın@production.localhost", "admin@production.localhoſt", "\u212aate@x.test"]


def _fail(client, email, times, **extra):
    for _ in range(times):
        response = client.post(
            "/accounts/login/", {"username": email, "password": "wrong-guess-1"}, **extra
        )
        assert b"do not match" in response.content


@pytest.mark.parametrize("variant", LOOK_ALIKES[:2])
def test_a_look_alike_spelling_neither_signs_in_nor_gets_guesses_of_its_own(client_a, variant):
    _fail(client_a, ADMIN, 10)
    look_alike = sign_in(client_a, variant)  # the right password
    assert look_alike.status_code == 200, "a look-alike of a paused address signed in"
    assert b"do not match" in look_alike.content
    upper = sign_in(client_a, ADMIN.upper())
    assert b"Too many failed sign-ins" in upper.content


def test_the_right_password_is_not_counted_as_a_failure(client_a):
    _fail(client_a, ADMIN, 9)
    for _ in range(3):
        assert sign_in(client_a, ADMIN).status_code == 302
        client_a.post("/accounts/logout/")
    assert (
        b"do not match"
        in client_a.post(
            "/accounts/login/", {"username": ADMIN, "password": "wrong-guess-1"}
        ).content
    )
    assert b"Too many failed sign-ins" in sign_in(client_a, ADMIN).content


def test_addresses_of_one_ipv6_64_share_the_networks_limit(client_a):
    for n in range(50):
        _fail(client_a, f"nobody{n}@production.localhost", 1, REMOTE_ADDR=f"2001:db8:1:2::{n:x}")
    paused = sign_in(client_a, ADMIN, REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:1")
    assert b"Too many failed sign-ins" in paused.content
    # Another /64 is another network.
    assert sign_in(client_a, ADMIN, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


def test_network_keys():
    assert network_key("2001:db8::1") == network_key("2001:db8::ffff:1:2:3")
    assert network_key("2001:db8::1") != network_key("2001:db8:0:1::1")
    assert network_key("::ffff:192.0.2.7") == network_key("192.0.2.7")
    assert network_key("192.0.2.7") != network_key("192.0.2.8")


def test_failures_and_the_pause_are_audited_once_each(client_a, tenant_a):
    _fail(client_a, "Admin@Production.localhost", 10, REMOTE_ADDR="192.0.2.9")
    for _ in range(3):
        assert b"Too many failed sign-ins" in sign_in(client_a, ADMIN).content
    connection.set_schema_to_public()
    failed = AuditEvent.objects.filter(tenant=tenant_a, action="account.sign_in_failed")
    assert failed.count() == 10
    assert {(e.recipient, e.ip, e.action_label) for e in failed} == {
        (ADMIN, "192.0.2.9", "Sign-in failed")
    }
    [paused] = AuditEvent.objects.filter(tenant=tenant_a, action="account.sign_in_throttled")
    assert paused.recipient == ADMIN and paused.metadata["scope"] == "address"


@pytest.mark.parametrize("address", [*LOOK_ALIKES, "ａdmin@x.test", "oﬀice@x.test"])
def test_ambiguous_addresses_are_refused(address):
    with pytest.raises(ValidationError, match="Type the address with plain letters"):
        email_ambiguity_check(address)


def test_plain_and_international_addresses_are_not_ambiguous():
    for address in ("admin@production.localhost", "josé@exämple.test", "ανδρέας@x.test"):
        email_ambiguity_check(address)


def test_an_invitation_to_a_look_alike_address_is_refused_beside_the_field(admin_client_a):
    response = admin_client_a.post("/accounts/admins/", {"email": "admın@production.localhost"})
    assert response.status_code == 400
    assert "U+0131" in response.context["form"].errors["email"][0]
    assert not get_user_model().objects.filter(email__startswith="adm").exclude(email=ADMIN)


@pytest.mark.django_db(transaction=False)
def test_forty_concurrent_wrong_guesses_get_ten_checks(committed, gunicorn, tenant_a):
    """Against gunicorn as shipped, with Django's own password hasher (as slow as in
    production): exactly the limit of guesses reach the password check."""
    email = "guessed@production.localhost"
    hashed = PBKDF2PasswordHasher().encode("the-right-password-1", "s4lt" * 4)
    connection.set_tenant(tenant_a)
    get_user_model().objects.create(email=email, password=hashed)
    connection.set_schema_to_public()

    host = TENANTS["a"].domain
    csrf = gunicorn.csrf(host, "/accounts/login/")

    def guess(n):
        form = {"username": email, "password": f"wrong-guess-{n}"}
        return gunicorn.form_post(host, "/accounts/login/", form, csrf=csrf)

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(guess, range(40)))

    assert {status for status, _ in outcomes} == {200}
    checked = [body for _, body in outcomes if "do not match" in body]
    paused = [body for _, body in outcomes if "Too many failed sign-ins" in body]
    assert (len(checked), len(paused)) == (10, 30)
    failed = AuditEvent.objects.filter(action="account.sign_in_failed", recipient=email)
    assert failed.count() == 10
    assert AuditEvent.objects.filter(action="account.sign_in_throttled").count() == 1
