"""The whole life of an integration over HTTP, as a platform team's tool drives it: a live
server, a real worker, aiosmtpd servers, PostgreSQL and Redis."""

from __future__ import annotations

import uuid

from accounts.api_tokens import api_token_revoke
from audit.models import AuditAction, AuditEvent
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME
from tests.support import wait_for


def test_a_token_configures_tests_toggles_sends_lists_and_is_revoked(
    live_api_a, make_token, tenant_admin, tenant_smtp, use_celery_worker
):
    api, server = live_api_a, tenant_smtp[0]
    token = make_token(tenant_admin)
    config = {
        "host": "localhost",
        "port": server.port,
        "tls_mode": "starttls",
        "username": SMTP_USERNAME,
        "password": SMTP_PASSWORD,
        "from_address": "noreply@acme.test",
        "from_name": "Acme Auth",
    }

    created = api.call("PUT", "/api/v1/email-smtp", token=token, json_body=config)
    assert created.status == 201, created.body
    assert created.body["route"] == "custom"
    assert created.body["has_password"] is True
    assert "password" not in created.body
    assert created.headers["cache-control"] == "no-store"
    again = api.call("PUT", "/api/v1/email-smtp", token=token, json_body=config)
    assert again.status == 200
    assert again.body["version"] == created.body["version"]
    [saved] = AuditEvent.objects.filter(action=AuditAction.SMTP_CREATED)
    assert saved.actor_id.startswith("api-token:cym_")
    assert not AuditEvent.objects.filter(action=AuditAction.SMTP_UPDATED).exists()

    started = api.call("POST", "/api/v1/email-smtp/test", token=token)
    assert started.status == 202, started.body
    test = wait_for(
        lambda: (
            (got := api.call("GET", started.body["url"], token=token)).body["status"] != "running"
            and got.body
        )
    )
    assert test["status"] == "passed", test["message"]
    assert [step["ok"] for step in test["steps"]] == [True] * len(test["steps"])
    assert test["to"] == tenant_admin.email

    off = api.call("POST", "/api/v1/email-smtp/disable", token=token)
    assert (off.status, off.body["route"]) == (200, "custom_disabled")
    on = api.call("POST", "/api/v1/email-smtp/enable", token=token)
    assert (on.status, on.body["route"]) == (200, "custom")

    key = {"Idempotency-Key": str(uuid.uuid4())}
    email = {"kind": "otp", "to": "user@example.com", "context": {"code": "493027"}}
    first = api.call("POST", "/api/v1/emails", token=token, json_body=email, headers=key)
    second = api.call("POST", "/api/v1/emails", token=token, json_body=email, headers=key)
    assert (first.status, second.status) == (202, 202)
    assert second.body == first.body
    wait_for(lambda: any(b"493027" in m.raw for m in server.messages))
    sent = wait_for(
        lambda: (
            (got := api.call("GET", first.body["url"], token=token)).body["status"] == "sent"
            and got.body
        )
    )
    assert [m.rcpt_tos for m in server.messages].count(["user@example.com"]) == 1
    assert sent["route"] == "custom"
    assert sent["reply_code"] == 250
    assert "body" not in sent and "body_text" not in sent
    listed = api.call("GET", "/api/v1/emails?kind=otp", token=token)
    assert [row["id"] for row in listed.body["emails"]] == [first.body["id"]]

    api_token_revoke(actor=tenant_admin, token_id=_token_id(token))
    refused = api.call("GET", "/api/v1/email-smtp", token=token)
    assert refused.status == 401
    assert refused.error["code"] == "unauthenticated"


def _token_id(plaintext: str) -> int:
    from accounts.api_tokens import token_hash
    from accounts.models import ApiToken

    return ApiToken.objects.get(token_hash=token_hash(plaintext)).pk
