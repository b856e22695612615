"""A step never un-sends: whatever fails after an email was handed to SMTP, each email ends in
exactly one outcome and one audit event, and nothing goes out twice."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from audit.models import AuditEvent
from cymmetri.crypto import Keyring
from mailer import send_email
from mailer.models import OutboundEmail
from smtp_integration.models import SmtpConfig
from tests.mailer.helpers import SAMPLE_CONTEXT, audits, finished, otps, queue
from tests.support import TENANTS, wait_for

LEASE = "2"


@pytest.fixture
def short_leases(start_workers, start_beat):
    """A worker and beat with 2-second leases and a sweep every second: an email left
    'sending' by a rolled-back step would go out again within seconds."""
    start_workers(1, MAILER_LEASE_SECONDS=LEASE)
    start_beat(MAILER_LEASE_SECONDS=LEASE, MAILER_SWEEP_SECONDS="1")


def no_more_messages(server, count: int, *, seconds: float = 4.0) -> None:
    """Two leases and more pass, and the server still has ``count`` messages."""
    time.sleep(seconds)
    assert len(server.messages) == count


def test_a_nul_in_the_servers_reply_is_sent_once_recorded_once_and_stored_clean(
    mailer_tenant, configure_smtp, tenant_smtp, short_leases
):
    server = tenant_smtp[0]
    configure_smtp(server)
    server.accept_reply = "250 2.0.0 OK\x00 queued\x07 as 7"

    emails = otps(3, "nul")  # one step: the bad reply arrives in the middle of it

    for row in finished(*emails):
        assert row.status == "sent"
        assert (row.reply_code, row.reply_text) == (250, "2.0.0 OK\ufffd queued\ufffd as 7")
        assert audits(row) == ["email.sent"]
    assert AuditEvent.objects.get(target=f"outbound_email:{emails[0].pk}").metadata["reply"] == (
        "2.0.0 OK\ufffd queued\ufffd as 7"
    )
    no_more_messages(server, 3)


def test_an_unreadable_password_pauses_the_tenant_and_tells_its_admins(
    mailer_tenant, configure_smtp, tenant_smtp, platform_smtp, short_leases
):
    server = tenant_smtp[0]
    config = configure_smtp(server)
    # Sealed for another row: the current keys cannot open it here.
    foreign = Keyring.from_settings().encrypt("secret", context="another/row")
    SmtpConfig.objects.filter(pk=config.pk).update(password_encrypted=foreign)

    with transaction.atomic():  # one step: two routes, one of them unusable
        held = [queue("otp", to=f"held{n}@example.com") for n in range(2)]
        urgent_notice = send_email(
            "notification",
            to="ops@example.com",
            context=SAMPLE_CONTEXT["notification"],
            force_platform_default=True,
        )

    [delivered] = finished(urgent_notice)
    assert delivered.status == "sent"
    config = wait_for(
        lambda: SmtpConfig.objects.filter(health="paused").first(),
        message="the integration did not pause",
    )
    assert config.last_failure_reason.startswith("The stored password can't be read")
    notice = wait_for(
        lambda: [m for m in platform_smtp.messages if m.rcpt_tos == [TENANTS["a"].admin_email]],
        message="the admins were not told",
    )
    assert (
        "The stored password can't be read" in notice[0].message.get_body(("plain",)).get_content()
    )
    for row in OutboundEmail.objects.filter(pk__in=[email.pk for email in held]):
        assert (row.status, row.waiting_for, row.claims) == ("queued", "smtp_paused", 1)
        assert audits(row) == []
    assert server.connections == 0
    no_more_messages(platform_smtp, 2)  # the notice to ops and the one to the admin


def test_an_unexpected_error_fails_that_email_alone(
    mailer_tenant, configure_smtp, tenant_smtp, short_leases
):
    server = tenant_smtp[0]
    configure_smtp(server)
    with transaction.atomic():
        before = queue("otp", to="before@example.com")
        broken = queue("otp", to="broken@example.com")
        after = queue("otp", to="after@example.com")
        # A row no caller could write (bodies as an earlier version stored them): its subject
        # would start a header of its own.
        OutboundEmail.objects.filter(pk=broken.pk).update(
            subject="Hi\nBcc: evil@example.com", body_text="Hi\n"
        )

    rows = {row.to_address: row for row in finished(before, broken, after)}

    assert (rows["before@example.com"].status, rows["after@example.com"].status) == (
        "sent",
        "sent",
    )
    assert rows["broken@example.com"].status == "failed"
    assert rows["broken@example.com"].failure_reason == "internal_error"
    [event] = AuditEvent.objects.filter(target=f"outbound_email:{broken.pk}")
    assert event.action == "email.send_failed"
    assert event.metadata["reason"] == "internal_error"
    assert event.metadata["cause"] == "HeaderInjectionError"
    assert sorted(m.rcpt_tos[0] for m in server.messages) == [
        "after@example.com",
        "before@example.com",
    ]
    no_more_messages(server, 2)
