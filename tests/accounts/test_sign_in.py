"""Signing in: each tenant knows its own users, a session holds on one tenant only, and repeated
failures pause an address."""

from django.test import Client

from tests.accounts.helpers import sign_in
from tests.support import TENANTS


def test_admin_signs_in_on_their_tenant_and_sees_the_dashboard(client_a):
    response = sign_in(client_a, TENANTS["a"].admin_email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    dashboard = client_a.get("/")
    assert dashboard.status_code == 200
    assert b"Cymmetri Production" in dashboard.content
    assert b"Integrations" in dashboard.content


def test_each_tenant_knows_only_its_own_users(client_a, client_b):
    assert sign_in(client_b, TENANTS["b"].admin_email).status_code == 302
    refused = sign_in(client_a, TENANTS["b"].admin_email)
    assert refused.status_code == 200
    assert b"do not match an account of this tenant" in refused.content


def test_wrong_password_keeps_the_email_typed(client_a):
    response = sign_in(client_a, TENANTS["a"].admin_email, "wrong-password-1")
    assert b"do not match" in response.content
    assert TENANTS["a"].admin_email.encode() in response.content


def test_a_session_from_one_tenant_is_worthless_on_another(client_a):
    assert sign_in(client_a, TENANTS["a"].admin_email).status_code == 302
    session_cookie = client_a.cookies["sessionid"].value

    other = Client(HTTP_HOST=TENANTS["b"].domain)
    other.cookies["sessionid"] = session_cookie
    response = other.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


def test_pages_need_a_signed_in_user(client_a):
    for path in ("/", "/integrations/"):
        response = client_a.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/accounts/login/?next={path}"


def test_integrations_lists_email_smtp_on_the_platform_default(admin_client_a):
    page = admin_client_a.get("/integrations/")
    assert page.status_code == 200
    assert b"Email SMTP" in page.content
    assert b"Platform default" in page.content


def test_sign_out_is_a_post(admin_client_a):
    assert admin_client_a.get("/accounts/logout/").status_code == 405
    assert admin_client_a.post("/accounts/logout/").status_code == 302
    assert admin_client_a.get("/").status_code == 302


def test_tenant_pages_are_not_on_the_public_domain_and_admin_is_not_on_tenants(db):
    assert Client(HTTP_HOST="localhost").get("/accounts/login/").status_code == 404
    assert Client(HTTP_HOST=TENANTS["a"].domain).get("/admin/").status_code == 404


def test_unknown_host_is_not_served(db):
    assert Client(HTTP_HOST="nobody.localhost").get("/accounts/login/").status_code == 404


def test_repeated_failed_sign_ins_pause_the_address(client_a, client_b):
    email = TENANTS["a"].admin_email
    for _ in range(10):
        assert b"do not match" in sign_in(client_a, email, "wrong-password-1").content
    paused = sign_in(client_a, email)  # even the right password waits
    assert paused.status_code == 200
    assert b"Too many failed sign-ins" in paused.content
    # Another tenant counts its own failures.
    assert sign_in(client_b, TENANTS["b"].admin_email).status_code == 302
