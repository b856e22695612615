"""The platform's Prometheus counters and histograms (names and labels: docs/operations.md).

Labels are bounded sets (kind, route, reason, outcome): never a tenant or a recipient, whose
detail stays in the admin and the audit log. Processes write their values to
PROMETHEUS_MULTIPROC_DIR when it is set (prometheus_client's multiprocess mode), so that
/metrics adds up every gunicorn and Celery process of the host; the sampled gauges (outbox,
paused tenants, heartbeats) are read when /metrics is scraped (operations.collectors).
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

# From 50 ms (a sign-in code at light load) to an hour (a backlog under a rate limit).
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)

EMAIL_SENT = Counter(
    "cymmetri_email_sent_total", "Emails accepted by an SMTP server (250).", ["kind", "route"]
)
EMAIL_FAILED = Counter(
    "cymmetri_email_failed_total",
    "Emails given up on, expired ones excepted (cymmetri_email_expired_total).",
    ["kind", "route", "reason"],
)
EMAIL_EXPIRED = Counter(
    "cymmetri_email_expired_total",
    "Emails failed because they could not go before their kind's lifetime ended.",
    ["kind", "route"],
)
EMAIL_SEND_SECONDS = Histogram(
    "cymmetri_email_send_seconds",
    "From send_email() to the SMTP server's 250, per priority (urgent: sign-in kinds).",
    ["kind_priority", "route"],
    buckets=SEND_BUCKETS,
)
SMTP_TEST = Counter("cymmetri_smtp_test_total", "Test connection runs, by outcome.", ["outcome"])
RETENTION_DELETED = Counter(
    "cymmetri_retention_deleted_total", "Rows deleted by retention, by table.", ["table"]
)


def metrics_registry(*collectors) -> CollectorRegistry:
    """What /metrics shows: every process's values (multiprocess mode) or this process's,
    with ``collectors`` (sampled at scrape time) added."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


class _ThisProcess:
    """The default registry's metrics, for a registry of one scrape."""

    def collect(self):
        yield from REGISTRY.collect()
