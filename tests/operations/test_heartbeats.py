"""Heartbeats: a live worker and beat are seen; a SIGKILLed worker disappears within its
TTL, and `manage.py mailer_status` then exits non-zero, naming what is wrong."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cymmetri.heartbeat import workers_read
from mailer.models import OutboundEmail
from tests.mailer.helpers import otps
from tests.support import wait_for
from tests.worker import probe_queue

TTL = 3


def status() -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("mailer_status", "--json", stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, json.loads(out.getvalue())


@pytest.fixture
def watched_queue(settings):
    """mailer_status looks for workers on the queues a test's workers serve."""

    def watch(queue: str) -> None:
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        settings.CELERY_PROBE_QUEUE = probe_queue(queue)

    return watch


def test_a_killed_worker_vanishes_within_its_ttl_and_mailer_status_fails(
    committed, start_workers, start_beat, watched_queue
):
    [worker] = start_workers(1, concurrency=2, HEARTBEAT_TTL_SECONDS=str(TTL))
    watched_queue(worker.queue)
    start_beat(MAILER_SWEEP_SECONDS="1")

    def healthy_now():
        # Beat ticks every second here, and the sweep it sends runs on this test's worker: a
        # mark left by an earlier test's sweeper is not this one's (a busy machine may delay
        # a tick by some seconds).
        code, result = status()
        ages = [result["checks"][name].get("age_seconds") for name in ("beat", "sweeper")]
        return code == 0 and all(age is not None and age < 10 for age in ages) and (code, result)

    code, healthy = wait_for(
        healthy_now,
        timeout=20,
        message="mailer_status never reported a healthy system with this beat's sweeps",
        describe=lambda: status()[1],
    )
    [seen] = [w for w in workers_read() if w["hostname"] == worker.name]
    assert sorted(seen["queues"]) == [worker.queue, probe_queue(worker.queue)]
    assert (seen["pool"], seen["concurrency"]) == ("thread", 2)
    assert healthy["checks"]["beat"]["age_seconds"] < 10
    assert healthy["checks"]["sweeper"]["age_seconds"] < 10
    # What a container's health check asks: is this one worker alive, has beat ticked.
    call_command("mailer_status", "--worker", worker.name, stdout=StringIO())
    call_command("mailer_status", "--beat", stdout=StringIO())

    worker.kill()
    killed = time.monotonic()
    wait_for(
        lambda: worker.name not in {w["hostname"] for w in workers_read()},
        timeout=TTL + 2,
        message="the killed worker's heartbeat outlived its TTL",
    )
    gone_after = time.monotonic() - killed
    code, broken = status()

    assert gone_after <= TTL + 0.5
    assert code == 1
    assert broken["failed"] == ["workers_email", "workers_probes"]
    assert broken["checks"]["workers_email"]["summary"] == f"none on {worker.queue}"
    with pytest.raises(CommandError) as one_worker:
        call_command("mailer_status", "--worker", worker.name, stdout=StringIO())
    assert one_worker.value.returncode == 1


def test_a_worker_stopped_cleanly_leaves_at_once(committed, start_workers):
    [worker] = start_workers(1)
    assert worker.name in {w["hostname"] for w in workers_read()}

    worker.stop()

    assert worker.name not in {w["hostname"] for w in workers_read()}


def test_mailer_status_reads_for_people_and_fails_with_the_outbox_late(
    committed, tenant_a, no_worker
):
    connection.set_tenant(tenant_a)
    [email] = otps(1, "late")
    connection.set_schema_to_public()
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=75)
    )
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("mailer_status", stdout=out)

    assert raised.value.returncode == 1
    lines = out.getvalue().splitlines()
    [outbox] = [line for line in lines if " outbox " in line]
    assert outbox.startswith("FAIL")
    assert "1 queued, 1 due, oldest due waiting 7" in outbox
    assert "(over 60 s)" in outbox
    assert any(line.startswith("ok   database") for line in lines)
