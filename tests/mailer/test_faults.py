"""Nothing is lost when Redis goes away or a worker is killed mid-batch."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from audit.models import AuditEvent
from cymmetri.celery import app
from mailer.delivery import STEP_SIZE
from mailer.models import OutboundEmail
from tests.mailer.helpers import otps
from tests.support import wait_for


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
        emails = otps(5, "outage", commits="each")
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


def test_a_worker_killed_mid_batch_loses_nothing_and_its_emails_go_within_a_lease(
    mailer_tenant, configure_smtp, tenant_smtp, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server)
    [doomed] = start_workers(1, MAILER_LEASE_SECONDS="3")
    server.data_delay = 0.1
    try:
        batch = otps(30, "batch")  # one commit: the first claims take the whole batch
        wait_for(lambda: len(server.messages) >= 12, message="the batch did not start")
        doomed.kill()
        killed_at = time.time()
        in_flight = set(
            OutboundEmail.objects.filter(status="sending").values_list("message_id", flat=True)
        )
        assert in_flight, "the worker died between batches, not in the middle of one"
    finally:
        server.data_delay = 0

    start_workers(1, MAILER_LEASE_SECONDS="3")
    start_beat(MAILER_SWEEP_SECONDS="1", MAILER_LEASE_SECONDS="3")
    later = otps(5, "later", commits="each")
    all_sent(batch + later)

    received = Counter(m.message["Message-ID"] for m in server.messages)
    expected = {email.message_id for email in batch + later}
    assert set(received) == expected
    duplicated = {message_id for message_id, count in received.items() if count > 1}
    assert duplicated <= in_flight, "only emails the killed worker held may arrive twice"
    # Each of its threads had at most one step (one commit) on the wire.
    assert len(duplicated) <= doomed.concurrency * STEP_SIZE
    assert all(received[email.message_id] == 1 for email in later)
    # The lease (3 s), a sweep (1 s), the new worker's start and the sending itself.
    last = max(m.received_at for m in server.messages)
    assert last - killed_at < 12, f"the last email arrived {last - killed_at:.1f} s after the kill"


@pytest.fixture(autouse=True)
def _quiet_server(tenant_smtp):
    yield
    for server in tenant_smtp:
        server.data_delay = 0


def test_redis_restarted_twice_while_a_thousand_emails_flow(
    mailer_tenant, configure_smtp, tenant_smtp, redis_server, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server)
    workers = start_workers(2)
    start_beat(MAILER_SWEEP_SECONDS="1")

    emails = []
    for restart in range(2):
        emails += otps(250, f"flow{restart}-", commits="each")
        flowing = 100 + 500 * restart
        wait_for(lambda: len(server.messages) >= flowing, message="nothing flows")  # noqa: B023
        redis_server.stop()
        # Emails keep being requested while the broker is away; they wait in the database.
        emails += otps(100, f"outage{restart}-", commits="each")
        redis_server.start()
        emails += otps(150, f"after{restart}-", commits="each")
    all_sent(emails, timeout=90)

    received = Counter(m.message["Message-ID"] for m in server.messages)
    assert received == Counter(email.message_id for email in emails), "each email exactly once"
    assert len(emails) == 1000
    for worker in workers:
        assert worker.process.poll() is None, "a worker died with its broker"
        assert worker.answers(app), "a worker stopped answering"
