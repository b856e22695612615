"""Nothing is lost when Redis goes away or a worker is killed mid-batch."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import transaction

from audit.models import AuditEvent
from mailer import send_email
from mailer.delivery import STEP_SIZE
from mailer.models import OutboundEmail
from tests.support import wait_for


def queue_otps(count: int, prefix: str) -> list[OutboundEmail]:
    emails = []
    for n in range(count):
        with transaction.atomic():
            emails.append(
                send_email("otp", to=f"{prefix}{n}@example.com", context={"code": f"{n:06d}"})
            )
    return emails


def all_sent(emails, timeout=40):
    ids = [email.pk for email in emails]
    rows = OutboundEmail.objects.filter(pk__in=ids)
    wait_for(
        lambda: rows.filter(status="sent").count() == len(ids),
        timeout=timeout,
        message="not every email was delivered",
        describe=lambda: sorted(Counter(rows.values_list("status", "waiting_for")).items()),
    )
    for pk in ids:
        assert AuditEvent.objects.filter(target=f"outbound_email:{pk}").count() == 1


def test_redis_stopped_while_emails_are_requested_then_started(
    mailer_tenant, configure_smtp, tenant_smtp, redis_server, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server)
    # A worker of its own: what this test watches is the outbox, not earlier tests' tasks.
    start_workers(1)
    redis_server.stop()
    try:
        started = time.monotonic()
        emails = queue_otps(5, "outage")
        per_call = (time.monotonic() - started) / len(emails)
        assert all(OutboundEmail.objects.get(pk=e.pk).status == "queued" for e in emails)
        assert {OutboundEmail.objects.get(pk=e.pk).waiting_for for e in emails} == {
            "broker_unavailable"
        }
    finally:
        redis_server.start()
    assert per_call < 0.5, f"send_email() blocked {per_call:.1f} s per call with Redis down"
    start_beat(MAILER_SWEEP_SECONDS="1")
    all_sent(emails)
    assert Counter(m.message["Message-ID"] for m in server.messages) == Counter(
        e.message_id for e in emails
    )


def test_a_worker_killed_mid_batch_loses_nothing(
    mailer_tenant, configure_smtp, tenant_smtp, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server)
    [doomed] = start_workers(1, MAILER_LEASE_SECONDS="3")
    server.data_delay = 0.1
    try:
        with transaction.atomic():  # one commit: the first task claims the whole batch
            batch = [
                send_email("otp", to=f"batch{n}@example.com", context={"code": f"{n:06d}"})
                for n in range(30)
            ]
        wait_for(lambda: len(server.messages) >= 12, message="the batch did not start")
        doomed.kill()
        in_flight = set(
            OutboundEmail.objects.filter(status="sending").values_list("message_id", flat=True)
        )
        assert in_flight, "the worker died between batches, not in the middle of one"
    finally:
        server.data_delay = 0

    start_workers(1, MAILER_LEASE_SECONDS="3")
    start_beat(MAILER_SWEEP_SECONDS="1", MAILER_LEASE_SECONDS="3")
    later = queue_otps(5, "later")
    all_sent(batch + later)

    received = Counter(m.message["Message-ID"] for m in server.messages)
    expected = {email.message_id for email in batch + later}
    assert set(received) == expected
    duplicated = {message_id for message_id, count in received.items() if count > 1}
    assert duplicated <= in_flight, "only emails the killed worker held may arrive twice"
    # Each of its threads had at most one step (one commit) on the wire.
    assert len(duplicated) <= doomed.concurrency * STEP_SIZE
    assert all(received[email.message_id] == 1 for email in later)


@pytest.fixture(autouse=True)
def _quiet_server(tenant_smtp):
    yield
    for server in tenant_smtp:
        server.data_delay = 0
