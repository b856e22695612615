"""The mailer signing in with OAuth 2.0 tokens: real workers, the HTTPS token endpoint of
tests/oauth_server.py and an SMTP server that takes only the tokens that endpoint issued."""

from __future__ import annotations

import time

import pytest

from mailer.models import OutboundEmail
from smtp_integration.forms import SmtpConfigForm
from smtp_integration.models import SmtpConfig
from smtp_integration.services import smtp_config_save
from tests.mailer.helpers import finished, otps
from tests.support import OAUTH, TENANTS, oauth_form_data, wait_for


@pytest.fixture
def oauth_tenant(mailer_tenant, tenant_admin, oauth_smtp_server, oauth, settings, start_workers):
    """``configure(provider, **fields)`` saves the tenant's SMTP as the page would (the form
    cleans it: a Google key becomes its three kept fields) and starts a worker allowed to
    reach the token endpoint and the SMTP server."""
    settings.SMTP_ALLOWED_PORTS = settings.SMTP_ALLOWED_PORTS | {oauth_smtp_server.port}

    def configure(provider: str = "microsoft", **fields) -> SmtpConfig:
        if provider == "google":
            key = oauth.service_accounts[OAUTH.service_account].json_key()
            fields.setdefault("oauth_key", key)
        if provider == "generic":
            fields.setdefault("oauth_token_url", oauth.generic_token_url)
        form = SmtpConfigForm(oauth_form_data(oauth_smtp_server, provider, **fields))
        assert form.is_valid(), form.errors
        config = smtp_config_save(actor=tenant_admin, data=form.cleaned_data).config
        ports = ",".join(str(port) for port in sorted(settings.SMTP_ALLOWED_PORTS))
        start_workers(1, SMTP_ALLOWED_PORTS=ports)
        return config

    return configure


@pytest.mark.parametrize("provider", ["microsoft", "google", "generic"])
def test_emails_go_out_signed_in_with_each_kind_of_token(
    oauth_tenant, oauth_smtp_server, oauth, provider
):
    oauth_tenant(provider)

    emails = finished(*otps(3, f"{provider}-"))

    assert {email.status for email in emails} == {"sent"}
    assert len(oauth_smtp_server.messages) == 3
    assert oauth_smtp_server.auth_attempts
    assert all(a.success and a.username == OAUTH.mailbox for a in oauth_smtp_server.auth_attempts)
    assert len(oauth.requests_of(provider)) == 1


def test_one_token_request_serves_a_thousand_emails(oauth_tenant, oauth_smtp_server, oauth):
    oauth_tenant("microsoft")

    emails = otps(1000, "many-")
    wait_for(
        lambda: OutboundEmail.objects.filter(status="sent").count() == 1000,
        timeout=120,
        message="1,000 emails were not sent",
    )

    requests = len(oauth.requests_of("microsoft"))
    sessions = len(oauth_smtp_server.auth_attempts)
    print(f"\n1,000 emails: {requests} token request(s), {sessions} SMTP sign-in(s)")
    assert requests == 1
    assert len(oauth_smtp_server.messages) == len(emails)


def test_a_token_is_asked_for_again_as_it_expires(oauth_tenant, oauth_smtp_server, oauth):
    oauth.expires_in = 2  # kept for half its life: one second
    oauth_tenant("microsoft")

    finished(*otps(1, "early-"))
    time.sleep(1.5)
    oauth_smtp_server.drop_sessions()  # the next email signs in again, with a new token
    [later] = finished(*otps(1, "later-"))

    assert later.status == "sent"
    assert len(oauth.requests_of("microsoft")) == 2


def test_a_token_the_server_stops_taking_is_replaced_once_at_once(
    oauth_tenant, oauth_smtp_server, oauth
):
    oauth_tenant("microsoft")
    finished(*otps(1, "first-"))
    oauth.issued.clear()  # the provider forgot its tokens (revoked, rotated keys)
    oauth_smtp_server.drop_sessions()

    started = time.monotonic()
    [second] = finished(*otps(1, "second-"))

    assert second.status == "sent" and second.attempts == 1  # no retry, no backoff
    assert time.monotonic() - started < 5
    assert [a.success for a in oauth_smtp_server.auth_attempts[-2:]] == [False, True]
    assert len(oauth.requests_of("microsoft")) == 2


def test_a_revoked_client_pauses_the_tenant_and_tells_its_admins(
    oauth_tenant, oauth_smtp_server, oauth, platform_smtp
):
    oauth_tenant("microsoft")
    finished(*otps(1, "before-"))
    oauth.revoke_client(OAUTH.client_id)
    oauth_smtp_server.drop_sessions()

    [held] = otps(1, "after-")
    config = wait_for(
        lambda: SmtpConfig.objects.filter(health="paused").first(),
        message="the integration did not pause",
    )
    assert "AADSTS7000215" in config.last_failure_reason
    assert "the client secret is wrong" in config.last_failure_reason
    notice = wait_for(
        lambda: [m for m in platform_smtp.messages if m.rcpt_tos == [TENANTS["a"].admin_email]],
        message="the admins were not told",
    )
    body = notice[0].message.get_body(("plain",)).get_content()
    assert "AADSTS7000215" in body
    held = OutboundEmail.objects.get(pk=held.pk)
    assert (held.status, held.waiting_for) == ("queued", "smtp_paused")
    assert len(oauth_smtp_server.messages) == 1
    assert OAUTH.client_secret not in body


def test_a_token_endpoint_that_is_down_is_retried_without_pausing(
    oauth_tenant, oauth_smtp_server, oauth
):
    oauth.down = True
    oauth_tenant("microsoft")

    [email] = otps(1, "down-")
    waiting = wait_for(
        lambda: OutboundEmail.objects.filter(pk=email.pk, attempts__gte=1, status="queued").first(),
        message="the email was not put back to wait",
    )
    assert waiting.waiting_for == "token_unavailable"
    assert SmtpConfig.objects.get().health != "paused"
    assert not oauth_smtp_server.auth_attempts

    oauth.down = False
    [sent] = finished(email, timeout=20)
    assert sent.status == "sent"
    assert SmtpConfig.objects.get().health != "paused"
