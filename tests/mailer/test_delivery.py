"""Delivery through a real Celery worker, real PostgreSQL and Redis, and real SMTP servers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from audit.models import AuditEvent
from email_templates.services import email_template_save
from mailer import send_email
from mailer.content import email_content
from mailer.models import OutboundEmail
from smtp_integration.models import SmtpConfig
from smtp_integration.services import smtp_config_toggle
from tests.mailer.helpers import SAMPLE_CONTEXT, audits, by_message_id, finished, queue
from tests.support import wait_for

pytestmark = pytest.mark.usefixtures("use_celery_worker")


@pytest.mark.parametrize("route", ["custom", "platform_default"])
def test_all_seven_kinds_arrive_with_the_right_headers_and_bodies(
    mailer_tenant, configure_smtp, tenant_smtp, platform_smtp, route
):
    server = tenant_smtp[0] if route == "custom" else platform_smtp
    if route == "custom":
        configure_smtp(server)
    emails = [
        queue(kind, to=f"{kind}@example.com", context=SAMPLE_CONTEXT[kind])
        for kind in SAMPLE_CONTEXT
    ]
    expected = {email.message_id: email for email in emails}
    for row in finished(*emails):
        assert row.status == "sent", (row.kind, row.failure_reason, row.reply_text)
        assert row.transport == route
        assert audits(row) == ["email.sent"]

    received = by_message_id(server)
    assert set(received) == set(expected)
    for message_id, email in expected.items():
        message = received[message_id].message
        sender = message["From"].addresses[0]
        assert received[message_id].rcpt_tos == [email.to_address]
        assert message["Subject"] == email_content(email).subject
        if route == "custom":
            assert (sender.display_name, sender.addr_spec) == ("Acme Auth", "noreply@acme.test")
            assert message["Reply-To"] == "support@acme.test"
        else:
            assert (sender.display_name, sender.addr_spec) == (
                "Cymmetri Production",
                "noreply@mail.cymmetri.test",
            )
            assert message["Reply-To"] is None
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for value in SAMPLE_CONTEXT[email.kind].values():
            first_line = value.split("\n")[0]
            assert first_line in text and first_line in html
    if route == "custom":
        assert platform_smtp.messages == []


def test_toggle_off_sends_through_the_default_and_on_again_through_the_tenants(
    mailer_tenant, configure_smtp, tenant_smtp, platform_smtp, tenant_admin
):
    configure_smtp(tenant_smtp[0])
    smtp_config_toggle(actor=tenant_admin, enabled=False)
    [off] = finished(queue())
    assert off.transport == "platform_default"
    assert [m.message["Message-ID"] for m in platform_smtp.messages] == [off.message_id]

    smtp_config_toggle(actor=tenant_admin, enabled=True)
    [on] = finished(queue())
    assert on.transport == "custom"
    assert [m.message["Message-ID"] for m in tenant_smtp[0].messages] == [on.message_id]


def test_a_421_is_retried_then_sent(mailer_tenant, configure_smtp, tenant_smtp):
    server = tenant_smtp[0]
    configure_smtp(server)
    server.fail_at("mail_from", "421 4.7.0 Try again later", times=1)
    [row] = finished(queue())
    assert row.status == "sent"
    assert row.attempts == 2
    assert len(server.messages) == 1
    assert audits(row) == ["email.sent"]
    event = AuditEvent.objects.get(target=f"outbound_email:{row.pk}")
    assert event.metadata["attempts"] == 2 and event.metadata["transport"] == "custom"


def test_a_kept_session_the_server_closed_is_opened_again_without_a_retry(
    mailer_tenant, configure_smtp, tenant_smtp
):
    server = tenant_smtp[0]
    configure_smtp(server)
    finished(queue())
    server.drop_sessions()  # as providers do with sessions idle for a while

    [row] = finished(queue())

    assert (row.status, row.attempts) == ("sent", 1)
    assert len(server.messages) == 2
    assert server.connections == 2


def test_an_email_queued_with_its_bodies_rendered_goes_out_as_they_were_written(
    mailer_tenant, platform_smtp
):
    """Emails queued by a version that rendered on the caller's side, before an upgrade."""
    with transaction.atomic():
        email = send_email("otp", to="queued@example.com", context={"code": "111111"})
        OutboundEmail.objects.filter(pk=email.pk).update(
            context={},
            subject="Your code is 222222",
            body_text="Code: 222222\n",
            body_html="<p>Code: 222222</p>",
        )
    [row] = finished(email)
    assert row.status == "sent"
    message = by_message_id(platform_smtp)[email.message_id].message
    assert message["Subject"] == "Your code is 222222"
    assert message.get_body(("plain",)).get_content() == "Code: 222222\n"
    assert "111111" not in message.as_string()


def test_a_template_saved_a_moment_ago_is_used_by_the_worker_at_once(mailer_tenant, platform_smtp):
    """The worker renders: a tenant it has cached (with its templates) must not make it send
    the texts of before a Save."""
    admin = get_user_model().objects.filter(is_staff=False).first()

    def sent_subject(code: str) -> str:
        [row] = finished(queue("otp", to=f"{code}@example.com", context={"code": code}))
        return by_message_id(platform_smtp)[row.message_id].message["Subject"]

    for subject in ("First {{ code }}", "Second {{ code }}"):
        email_template_save(
            actor=admin, tenant=mailer_tenant, kind="otp", locale="en", fields={"subject": subject}
        )
        assert sent_subject("424242") == subject.replace("{{ code }}", "424242")


def test_a_550_fails_once_and_is_audited(mailer_tenant, configure_smtp, tenant_smtp):
    server = tenant_smtp[0]
    configure_smtp(server)
    server.fail_at("rcpt", "550 5.1.1 No such user here", times=1)
    [row] = finished(queue(to="nobody@example.com"))
    assert row.status == "failed"
    assert (row.reply_code, row.attempts) == (550, 1)
    assert "No such user" in row.reply_text
    assert row.context == {}
    event = AuditEvent.objects.get(target=f"outbound_email:{row.pk}")
    assert event.action == "email.send_failed"
    assert event.recipient == "nobody@example.com"
    assert event.metadata["code"] == 550
    assert event.metadata["reason"] == "recipient_rejected"
    assert server.messages == []


def test_a_535_pauses_the_queue_and_tells_the_admins(
    mailer_tenant, configure_smtp, tenant_smtp, platform_smtp, tenant_admin
):
    server = tenant_smtp[0]
    configure_smtp(server, password="not-the-password")
    emails = [queue(to=f"user{n}@example.com") for n in range(3)]

    notice = wait_for(lambda: platform_smtp.messages, message="the admins were not told")
    config = SmtpConfig.objects.get()
    assert config.health == "paused"
    assert "Authentication failed" in config.last_failure_reason
    [told] = notice
    assert told.rcpt_tos == ["admin@production.localhost"]
    assert "refusing emails" in told.message["Subject"]
    # The emails wait instead of failing one by one, and nothing was sent.
    rows = OutboundEmail.objects.filter(pk__in=[email.pk for email in emails])
    assert {row.status for row in rows} <= {"queued", "sending"}
    assert {row.waiting_for for row in rows} <= {"smtp_paused", ""}
    assert not AuditEvent.objects.filter(action="email.send_failed").exists()
    assert server.messages == []
    # Once paused, new emails wait without another try at the provider's AUTH.
    attempts = len(server.auth_attempts)
    later = queue(to="later@example.com")
    wait_for(lambda: OutboundEmail.objects.get(pk=later.pk).waiting_for == "smtp_paused")
    assert len(server.auth_attempts) == attempts
    assert len(platform_smtp.messages) == 1

    # The admin sees it on the Email SMTP page, with the reason.
    from django.test import Client

    browser = Client(HTTP_HOST="production.localhost")
    browser.force_login(tenant_admin)
    page = browser.get("/integrations/email-smtp/").content.decode()
    assert "Custom SMTP paused" in page
    assert "Authentication failed" in page
    assert "Emails wait until you fix the settings and save." in page


def test_a_save_resumes_a_paused_queue(mailer_tenant, configure_smtp, tenant_smtp, tenant_admin):
    server = tenant_smtp[0]
    configure_smtp(server, password="not-the-password")
    email = queue()
    wait_for(lambda: SmtpConfig.objects.get().health == "paused")
    configure_smtp(server)  # the right password
    [row] = finished(email)
    assert row.status == "sent"
    # Health is written just after the send commits.
    wait_for(lambda: SmtpConfig.objects.get().health == "ok", message="health stayed unknown")


def test_fallback_sends_sign_in_emails_through_the_default(
    mailer_tenant, configure_smtp, tenant_smtp, platform_smtp
):
    config = configure_smtp(tenant_smtp[0], password="not-the-password")
    SmtpConfig.objects.filter(pk=config.pk).update(fallback_to_platform=True)
    otp = queue("otp")
    invitation = queue("invitation")
    [otp_row] = finished(otp)
    assert otp_row.status == "sent"
    assert (otp_row.transport, otp_row.fallback) == ("platform_default", True)
    event = AuditEvent.objects.get(target=f"outbound_email:{otp_row.pk}")
    assert event.metadata["fallback"] is True
    assert event.metadata["transport"] == "platform_default"
    # Not a sign-in or recovery email: it waits for the tenant's SMTP.
    wait_for(lambda: OutboundEmail.objects.get(pk=invitation.pk).waiting_for == "smtp_paused")


def test_an_expired_otp_is_never_sent(mailer_tenant, configure_smtp, tenant_smtp):
    from datetime import timedelta

    from django.utils import timezone

    from mailer.delivery import email_claim, email_deliver

    server = tenant_smtp[0]
    configure_smtp(server)
    with transaction.atomic():
        email = send_email("otp", to="late@example.com", context={"code": "123456"})
        # Held back (a broker outage, a rate limit) until past its ten minutes.
        OutboundEmail.objects.filter(pk=email.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    [row] = finished(email)
    assert row.status == "failed" and row.failure_reason == "expired"
    assert server.messages == [] and server.connections == 0
    assert email_deliver(email_claim()) == []
    event = AuditEvent.objects.get(target=f"outbound_email:{row.pk}")
    assert (event.action, event.metadata["reason"]) == ("email.send_failed", "expired")


def test_every_email_ends_in_exactly_one_audit_event(mailer_tenant, configure_smtp, tenant_smtp):
    server = tenant_smtp[0]
    configure_smtp(server)
    server.fail_at("rcpt", "550 5.1.1 Unknown user", times=3)
    emails = [queue(to=f"user{n}@example.com") for n in range(20)]
    rows = finished(*emails)
    assert sorted(row.status for row in rows).count("failed") == 3
    for row in rows:
        assert len(audits(row)) == 1
    assert get_user_model().objects.count() >= 1


def test_cutover_no_email_starts_on_the_old_server_after_the_save(
    mailer_tenant, configure_smtp, tenant_smtp
):
    import time

    old, new = tenant_smtp
    old.data_delay = 0.05
    configure_smtp(old)
    before = [queue(to=f"before{n}@example.com") for n in range(30)]
    wait_for(lambda: len(old.messages) >= 3, message="sending did not start")

    configure_smtp(new)
    committed_at = time.time()
    after = [queue(to=f"after{n}@example.com") for n in range(10)]
    try:
        rows = finished(*before, *after)
    finally:
        old.data_delay = 0
    assert {row.status for row in rows} == {"sent"}
    on_old, on_new = by_message_id(old), by_message_id(new)
    assert set(on_old) | set(on_new) == {row.message_id for row in rows}
    assert not set(on_old) & set(on_new)
    assert on_old and on_new, "the save should land while emails were being sent"
    late = [m for m in on_old.values() if m.mail_from_at > committed_at]
    assert late == [], "an email started on the old server after the save committed"
    assert all(email.message_id in on_new for email in after)
