"""Every rule of the API with the case that breaks it: tokens, tenants, scopes, the page's
validation, idempotency, limits, pagination. Through the whole middleware stack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.api_tokens import api_token_revoke
from accounts.models import ApiToken
from audit.models import AuditAction, AuditEvent
from mailer.models import OutboundEmail
from smtp_integration.models import CHANGE_PERMISSION
from smtp_integration.selectors import smtp_admins
from smtp_integration.tester import TESTS_PER_WINDOW
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME

CONFIG = {
    "host": "localhost",
    "port": 587,
    "tls_mode": "starttls",
    "username": SMTP_USERNAME,
    "password": SMTP_PASSWORD,
    "from_address": "noreply@acme.test",
}
OTP = {"kind": "otp", "to": "user@example.com", "context": {"code": "123456"}}


@pytest.fixture
def token(make_token, admin_a, settings):
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.SMTP_ALLOWED_PORTS = frozenset({25, 465, 587, 2525})
    return make_token(admin_a)


@pytest.fixture
def configured(api_a, token):
    response = api_a.call("PUT", "/api/v1/email-smtp", token=token, json_body=CONFIG)
    assert response.status == 201, response.body
    return response.body


# --- tokens ----------------------------------------------------------------------------------


def test_a_request_without_a_valid_token_is_401_in_the_error_shape(api_a, token):
    for header in (None, "cym_not-a-token", token[:-1]):
        response = api_a.call("GET", "/api/v1/email-smtp", token=header)
        assert response.status == 401
        assert response.error["code"] == "unauthenticated"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_signed_in_session_is_no_way_into_the_api(admin_client_a):
    response = admin_client_a.get("/api/v1/email-smtp")

    assert response.status_code == 401


def test_a_revoked_token_is_refused_at_once(api_a, token, admin_a):
    assert api_a.call("GET", "/api/v1/email-smtp", token=token).status == 200

    api_token_revoke(actor=admin_a, token_id=ApiToken.objects.get().pk)

    assert api_a.call("GET", "/api/v1/email-smtp", token=token).status == 401
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.actor_email == admin_a.email


def test_a_token_stops_working_when_its_creator_is_no_longer_an_admin(api_a, token, admin_a):
    assert api_a.call("GET", "/api/v1/email-smtp", token=token).status == 200

    admin_a.groups.clear()  # still a user of the tenant, no longer one of its admins

    assert api_a.call("GET", "/api/v1/email-smtp", token=token).status == 401


@pytest.mark.parametrize(
    ("creator", "admin"),
    [("holds the permission itself", True), ("is a superuser", True), ("is deactivated", False)],
)
def test_a_token_works_exactly_while_its_creator_is_an_admin_by_any_means(
    api_a, token, admin_a, creator, admin
):
    if creator == "is deactivated":
        admin_a.is_active = False
    else:
        admin_a.groups.clear()
    if creator == "holds the permission itself":
        app_label, codename = CHANGE_PERMISSION.split(".")
        admin_a.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label=app_label)
        )
    admin_a.is_superuser = creator == "is a superuser"
    admin_a.save()

    status = api_a.call("GET", "/api/v1/email-smtp", token=token).status

    assert status == (200 if admin else 401)
    # The same rule as the pages' (the API checks it in a statement of its own).
    assert smtp_admins().filter(pk=admin_a.pk).exists() == admin


def test_an_expired_token_is_refused(api_a, make_token, admin_a):
    token = make_token(admin_a, expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert api_a.call("GET", "/api/v1/email-smtp", token=token).status == 401


def test_a_token_of_tenant_a_is_unknown_on_tenant_bs_domain(token, api_b):
    response = api_b.call("GET", "/api/v1/email-smtp", token=token)

    assert response.status == 401


def test_only_a_hash_of_the_token_is_stored_and_its_use_is_recorded(api_a, token):
    api_a.call("GET", "/api/v1/email-smtp", token=token)

    stored = ApiToken.objects.get()
    assert token.startswith("cym_") and len(token) >= 4 + 43
    assert token not in str(ApiToken.objects.values().get())
    assert stored.prefix == token[:12]
    assert stored.last_used_at is not None
    assert stored.last_used_ip == "127.0.0.1"
    created = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert token not in str(created.metadata)


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/v1/email-smtp", "smtp:read"),
        ("PUT", "/api/v1/email-smtp", "smtp:write"),
        ("POST", "/api/v1/email-smtp/disable", "smtp:write"),
        ("POST", "/api/v1/emails", "email:send"),
        ("GET", "/api/v1/emails", "email:read"),
    ],
)
def test_each_endpoint_needs_its_scope(api_a, make_token, admin_a, method, path, scope):
    others = [s for s in ("smtp:read", "smtp:write", "email:send", "email:read") if s != scope]
    token = make_token(admin_a, scopes=others)
    body = CONFIG if method == "PUT" else OTP if path.endswith("emails") else None

    response = api_a.call(method, path, token=token, json_body=body)

    assert response.status == 403
    assert response.error["code"] == "missing_scope"
    assert scope in response.error["message"]


def test_requests_over_the_tokens_limit_are_429_with_retry_after(api_a, token, settings):
    settings.API_RATE_LIMIT = (3, 60)

    statuses = [api_a.call("GET", "/api/v1/email-smtp", token=token).status for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = api_a.call("GET", "/api/v1/email-smtp", token=token)
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.error["code"] == "rate_limited"


def test_answers_are_never_cached(api_a, token):
    for path in ("/api/v1/email-smtp", "/api/v1/emails"):
        assert api_a.call("GET", path, token=token).headers["cache-control"] == "no-store"
    assert api_a.call("GET", "/api/v1/email-smtp").headers["cache-control"] == "no-store"


# --- the configuration -----------------------------------------------------------------------


def test_without_a_configuration_the_platform_default_is_described(api_a, token):
    body = api_a.call("GET", "/api/v1/email-smtp", token=token).body

    assert body["configured"] is False
    assert body["route"] == "platform_default"
    assert body["from_address"].startswith("noreply@")


def test_secrets_are_write_only(api_a, token, configured):
    body = api_a.call("GET", "/api/v1/email-smtp", token=token).body

    assert body["has_password"] is True
    assert SMTP_PASSWORD not in str(body)
    assert "password" not in body


def test_changing_the_server_without_the_password_is_refused_naming_the_field(
    api_a, token, configured
):
    response = api_a.call("PATCH", "/api/v1/email-smtp", token=token, json_body={"port": 2525})

    assert response.status == 400
    assert response.error["code"] == "secret_required"
    assert "port" in response.error["fields"]["password"][0]
    assert api_a.call("GET", "/api/v1/email-smtp", token=token).body["port"] == 587


def test_a_patch_of_other_fields_keeps_the_stored_password(api_a, token, configured):
    response = api_a.call(
        "PATCH", "/api/v1/email-smtp", token=token, json_body={"from_name": "Acme"}
    )

    assert response.status == 200, response.body
    assert (response.body["from_name"], response.body["has_password"]) == ("Acme", True)
    event = AuditEvent.objects.get(action=AuditAction.SMTP_UPDATED)
    assert event.metadata["changed_fields"] == ["from_name"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"host": "169.254.169.254"}, "host", "does not connect there"),
        ({"port": 8025}, "port", "not allowed"),
        ({"from_name": "Acme\r\nBcc: x@evil.test"}, "from_name", ""),
        ({"password": "********"}, "password", "mask"),
        ({"from_address": "not an address"}, "from_address", ""),
    ],
)
def test_the_pages_rules_apply(api_a, token, changes, field, words):
    response = api_a.call("PUT", "/api/v1/email-smtp", token=token, json_body=CONFIG | changes)

    assert response.status == 400
    assert words in " ".join(response.error["fields"][field])


def test_unknown_fields_are_refused_by_name(api_a, token):
    body = CONFIG | {"hostname": "smtp.example.com"}

    response = api_a.call("PUT", "/api/v1/email-smtp", token=token, json_body=body)

    assert response.status == 400
    assert "hostname" in response.error["fields"]


def test_the_same_put_twice_records_one_change(api_a, token, configured):
    again = api_a.call("PUT", "/api/v1/email-smtp", token=token, json_body=CONFIG)
    changed = api_a.call(
        "PUT", "/api/v1/email-smtp", token=token, json_body=CONFIG | {"from_name": "Acme"}
    )

    assert (again.status, changed.status) == (200, 200)
    assert AuditEvent.objects.filter(action=AuditAction.SMTP_CREATED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SMTP_UPDATED).count() == 1


def test_delete_removes_and_then_there_is_nothing_to_remove(api_a, token, configured):
    assert api_a.call("DELETE", "/api/v1/email-smtp", token=token).status == 204
    gone = api_a.call("DELETE", "/api/v1/email-smtp", token=token)

    assert gone.status == 404
    assert gone.error["code"] == "not_configured"
    event = AuditEvent.objects.get(action=AuditAction.SMTP_DELETED)
    assert event.actor_id.startswith("api-token:")


def test_toggles_are_audited_with_the_token_as_actor(api_a, token, configured):
    api_a.call("POST", "/api/v1/email-smtp/disable", token=token)

    event = AuditEvent.objects.get(action=AuditAction.SMTP_DISABLED)
    assert event.actor_id == f"api-token:{token[:12]}"


# --- Test connection -------------------------------------------------------------------------


def test_test_emails_go_only_to_an_administrator(api_a, token, configured):
    response = api_a.call(
        "POST", "/api/v1/email-smtp/test", token=token, json_body={"to": "someone@example.com"}
    )

    assert response.status == 400
    assert response.error["code"] == "recipient_not_admin"
    assert "administrator" in response.error["fields"]["to"][0]


def test_an_unsaved_test_follows_the_binding_rules(api_a, token, configured):
    moved = CONFIG | {"port": 2525}
    del moved["password"]

    response = api_a.call("POST", "/api/v1/email-smtp/test", token=token, json_body=moved)

    assert response.status == 400
    assert response.error["code"] == "secret_required"


def test_tests_are_limited_as_on_the_page(api_a, token, configured):
    statuses = [
        api_a.call("POST", "/api/v1/email-smtp/test", token=token).status
        for _ in range(TESTS_PER_WINDOW + 1)
    ]

    assert statuses == [202] * TESTS_PER_WINDOW + [429]


def test_an_unknown_test_is_404(api_a, token):
    assert api_a.call("GET", "/api/v1/email-smtp/tests/999999", token=token).status == 404


# --- emails ----------------------------------------------------------------------------------


def test_the_same_idempotency_key_queues_one_email(api_a, token):
    key = {"Idempotency-Key": "order-42"}

    first = api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP, headers=key)
    second = api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP, headers=key)
    other = api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP)

    assert (first.status, second.status, other.status) == (202, 202, 202)
    assert second.body["id"] == first.body["id"] != other.body["id"]
    assert OutboundEmail.objects.count() == 2


def test_a_key_reused_for_another_email_is_refused(api_a, token):
    key = {"Idempotency-Key": "order-43"}
    api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP, headers=key)

    changed = OTP | {"to": "other@example.com"}
    response = api_a.call("POST", "/api/v1/emails", token=token, json_body=changed, headers=key)

    assert response.status == 422
    assert response.error["code"] == "idempotency_key_reused"
    assert OutboundEmail.objects.count() == 1


def test_a_key_older_than_a_day_queues_again(api_a, token):
    from api.models import IdempotentRequest

    key = {"Idempotency-Key": "order-44"}
    api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP, headers=key)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = api_a.call("POST", "/api/v1/emails", token=token, json_body=OTP, headers=key)

    assert again.status == 202
    assert OutboundEmail.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (OTP | {"kind": "newsletter"}, "kind"),
        (OTP | {"to": "not-an-address"}, "to"),
        (OTP | {"context": {}}, "context"),
        (OTP | {"locale": "de; x=1"}, "locale"),
        ({"to": "user@example.com"}, "kind"),
    ],
)
def test_a_bad_email_request_names_the_field(api_a, token, body, field):
    response = api_a.call("POST", "/api/v1/emails", token=token, json_body=body)

    assert response.status == 400
    assert field in response.error["fields"]
    assert not OutboundEmail.objects.exists()


def test_emails_are_listed_newest_first_a_page_at_a_time(api_a, token):
    ids = [
        api_a.call(
            "POST", "/api/v1/emails", token=token, json_body=OTP | {"to": f"u{n}@x.test"}
        ).body["id"]
        for n in range(3)
    ]

    first = api_a.call("GET", "/api/v1/emails?limit=2", token=token).body
    rest = api_a.call(
        "GET", f"/api/v1/emails?limit=2&cursor={first['next_cursor']}", token=token
    ).body
    only = api_a.call("GET", "/api/v1/emails?to=U1@x.test", token=token).body

    assert [e["id"] for e in first["emails"] + rest["emails"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert [e["id"] for e in only["emails"]] == [ids[1]]
    assert "body_text" not in first["emails"][0]
    assert api_a.call("GET", "/api/v1/emails?cursor=zzz", token=token).status == 400


def test_another_tenants_email_is_not_found(api_a, token, tenant_b):
    from mailer import send_email

    theirs = send_email("otp", to="b@example.com", context={"code": "1"}, tenant=tenant_b)

    assert api_a.call("GET", f"/api/v1/emails/{theirs.pk}", token=token).status == 404
