"""Forgot password: the recovery email, the one-time link, no enumeration, rate limits."""

import time

from django.test import Client

from accounts.services import RESET_LIMIT_PER_ADDRESS, RESET_LIMIT_PER_IP, RESET_MIN_SECONDS
from mailer.models import OutboundEmail
from tenants.services import tenant_url
from tests.accounts.helpers import (
    NEW_PASSWORD,
    link_path,
    make_user,
    only_email,
    set_password,
    sign_in,
)
from tests.mailer.helpers import email_text
from tests.support import TENANTS


def ask(client: Client, email: str):
    return client.post("/accounts/password-reset/", {"email": email})


def test_the_sign_in_page_links_to_password_reset(client_a):
    page = client_a.get("/accounts/login/")
    assert b'href="/accounts/password-reset/">Forgot your password?</a>' in page.content
    form = client_a.get("/accounts/password-reset/")
    assert form.status_code == 200
    assert b"Email me a reset link" in form.content


def test_an_existing_user_gets_a_recovery_link_that_sets_the_password_once(client_a, in_tenant_a):
    make_user("ada@example.com")
    response = ask(client_a, " Ada@Example.com ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/password-reset/sent/"

    email = only_email()
    assert (email.kind, email.to_address) == ("recovery", "ada@example.com")
    # On the tenant's primary domain, whatever Host the request named.
    assert tenant_url(in_tenant_a, "/accounts/password-reset/") in email_text(email)
    path = link_path(email_text(email), "/accounts/password-reset/")

    resetting = Client(HTTP_HOST=TENANTS["a"].domain)
    done = set_password(resetting, path, NEW_PASSWORD)
    assert done.status_code == 302
    # Signed in at once, on the dashboard.
    assert done.headers["Location"] == "/"
    assert b"Password set, and you are signed in as ada@example.com" in resetting.get("/").content
    assert sign_in(Client(HTTP_HOST=TENANTS["a"].domain), "ada@example.com").status_code == 200
    signed_in = sign_in(Client(HTTP_HOST=TENANTS["a"].domain), "ada@example.com", NEW_PASSWORD)
    assert signed_in.status_code == 302

    again = Client(HTTP_HOST=TENANTS["a"].domain).get(path)
    assert again.status_code == 200
    assert b"This link has expired" in again.content
    assert b"Send me a new link" in again.content


def test_unknown_addresses_get_the_same_answer_and_no_email(client_a, in_tenant_a):
    make_user("ada@example.com")
    make_user("invited@example.com", password=None)
    gone = make_user("gone@example.com")
    gone.is_active = False
    gone.save()
    known = ask(client_a, "ada@example.com")
    OutboundEmail.objects.all().delete()

    for address in ("nobody@example.com", "invited@example.com", "gone@example.com"):
        unknown = ask(client_a, address)
        assert (unknown.status_code, unknown.headers["Location"]) == (
            known.status_code,
            known.headers["Location"],
        )
        assert unknown.content == known.content
    assert not OutboundEmail.objects.exists()
    sent = client_a.get("/accounts/password-reset/sent/")
    assert b"If an account of Cymmetri Production uses the address" in sent.content


def test_an_unknown_address_takes_as_long_as_a_known_one(client_a, in_tenant_a):
    make_user("ada@example.com")
    for address in ("ada@example.com", "nobody@example.com"):
        started = time.monotonic()
        ask(client_a, address)
        assert time.monotonic() - started >= RESET_MIN_SECONDS


def test_requests_for_one_address_are_limited_whether_or_not_it_exists(client_a, in_tenant_a):
    make_user("ada@example.com")
    for address in ("ada@example.com", "nobody@example.com"):
        for _ in range(RESET_LIMIT_PER_ADDRESS):
            assert ask(client_a, address).status_code == 302
        limited = ask(client_a, address)
        assert limited.status_code == 429
        assert b"Too many password reset requests" in limited.content
        assert f'value="{address}"'.encode() in limited.content
    assert OutboundEmail.objects.count() == RESET_LIMIT_PER_ADDRESS


def test_requests_from_one_address_are_limited_per_ip(in_tenant_a):
    one = Client(HTTP_HOST=TENANTS["a"].domain, REMOTE_ADDR="203.0.113.7")
    for n in range(RESET_LIMIT_PER_IP):
        assert ask(one, f"user{n}@example.com").status_code == 302
    assert ask(one, "another@example.com").status_code == 429
    other = Client(HTTP_HOST=TENANTS["a"].domain, REMOTE_ADDR="203.0.113.8")
    assert ask(other, "another@example.com").status_code == 302


def test_a_bad_address_is_a_field_error(client_a):
    response = ask(client_a, "not an address")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert b'value="not an address"' in response.content


def test_a_reset_signs_out_the_users_other_sessions(client_a, in_tenant_a):
    user = make_user("ada@example.com")
    elsewhere = Client(HTTP_HOST=TENANTS["a"].domain)
    elsewhere.force_login(user)
    assert elsewhere.get("/").status_code == 200

    ask(client_a, "ada@example.com")
    path = link_path(email_text(only_email()), "/accounts/password-reset/")
    assert set_password(client_a, path, NEW_PASSWORD).status_code == 302
    # Django's default: the session hash follows the password, so other sessions end.
    assert elsewhere.get("/").status_code == 302
