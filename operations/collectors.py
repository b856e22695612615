"""Gauges sampled when /metrics is scraped: the outbox per route, paused and red tenants,
live workers per queue, and when beat and the periodic jobs last ran.

A few indexed queries and one Redis round trip, whatever the number of tenants; kept for a
few seconds so that several scrapers cost no more than one.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connection
from prometheus_client.core import GaugeMetricFamily

from cymmetri.heartbeat import Mark, marks_read, workers_read
from mailer.selectors import outbox_sample
from tenants.selectors import tenants_email_trouble

logger = logging.getLogger(__name__)

SAMPLE_SECONDS = 5.0
JOBS = (Mark.BEAT, Mark.SWEEP, Mark.DELIVERABILITY, Mark.RETENTION)


def _database_families() -> list[GaugeMetricFamily]:
    connection.set_schema_to_public()
    due = GaugeMetricFamily(
        "cymmetri_outbox_due", "Queued emails due now, per route.", labels=["route"]
    )
    oldest = GaugeMetricFamily(
        "cymmetri_outbox_oldest_due_seconds",
        "How long the oldest due email has waited, per route (0: none due).",
        labels=["route"],
    )
    queued = GaugeMetricFamily(
        "cymmetri_outbox_queued", "Queued emails, due or waiting, per route.", labels=["route"]
    )
    for route in outbox_sample().values():
        due.add_metric([route.route], route.due)
        oldest.add_metric([route.route], route.oldest_due_seconds)
        queued.add_metric([route.route], route.queued)
    trouble = tenants_email_trouble()
    return [
        due,
        oldest,
        queued,
        GaugeMetricFamily(
            "cymmetri_smtp_paused_tenants",
            "Tenants whose own SMTP is paused (refused sign-in or certificate).",
            value=len(trouble["paused"]),
        ),
        GaugeMetricFamily(
            "cymmetri_deliverability_degraded_tenants",
            "Tenants whose sending domain's SPF, DKIM or DMARC is red.",
            value=len(trouble["degraded"]),
        ),
    ]


def _redis_families() -> list[GaugeMetricFamily]:
    workers = GaugeMetricFamily(
        "cymmetri_workers", "Live Celery workers (by heartbeat), per queue.", labels=["queue"]
    )
    counts = {settings.CELERY_TASK_DEFAULT_QUEUE: 0, settings.CELERY_PROBE_QUEUE: 0}
    for worker in workers_read():
        for queue in worker["queues"]:
            counts[queue] = counts.get(queue, 0) + 1
    for queue, count in sorted(counts.items()):
        workers.add_metric([queue], count)
    last = GaugeMetricFamily(
        "cymmetri_last_run_timestamp_seconds",
        "When beat last ticked and each periodic job last ran (Unix time).",
        labels=["job"],
    )
    for job, mark in marks_read(list(JOBS)).items():
        if mark:
            last.add_metric([job], mark["at"])
    return [workers, last]


class SampledCollector:
    """prometheus_client collector of the sampled gauges; a source that fails is reported
    in cymmetri_sample_up and skipped, the rest still shown."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = 0.0
        self._families: list = []

    def collect(self):
        with self._lock:
            if time.monotonic() - self._at > SAMPLE_SECONDS:
                self._families = self._sample()
                self._at = time.monotonic()
            return list(self._families)

    @staticmethod
    def _sample() -> list:
        up = GaugeMetricFamily(
            "cymmetri_sample_up", "Whether the sampled gauges could be read.", labels=["source"]
        )
        families = []
        for source, read in (("database", _database_families), ("redis", _redis_families)):
            try:
                families += read()
                up.add_metric([source], 1)
            except Exception:
                logger.exception("Could not sample the %s gauges for /metrics", source)
                up.add_metric([source], 0)
        return [*families, up]


collector = SampledCollector()
