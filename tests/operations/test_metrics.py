"""/metrics as Prometheus scrapes it: from gunicorn as shipped, adding up the counters a real
worker wrote (prometheus_client's multiprocess mode), with no tenant or recipient label."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from mailer.models import OutboundEmail
from tests.mailer.helpers import finished, otps
from tests.support import smtp_form_data, wait_for

TOKEN = "scrape-token-for-tests"
FORBIDDEN_LABELS = {"tenant", "schema", "recipient", "to", "to_address", "email", "domain"}


def samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(
        s.value
        for s in samples(text)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture
def metrics_dir(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    return str(directory)


@pytest.fixture
def web(start_gunicorn, metrics_dir):
    return start_gunicorn(PROMETHEUS_MULTIPROC_DIR=metrics_dir, METRICS_TOKEN=TOKEN)


def test_counters_move_by_exactly_the_emails_sent_and_failed_by_a_real_worker(
    committed, tenant_a, platform_smtp, start_workers, web, metrics_dir
):
    platform_smtp.reset()
    start_workers(1, PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    status, before = web.get("/metrics", host="10.0.0.9", token=TOKEN)
    assert status == 200
    # Three recipients refused for good (550 at RCPT), seven accepted.
    platform_smtp.fail_at("rcpt", "550 5.1.1 No such mailbox", times=3)
    connection.set_tenant(tenant_a)
    emails = finished(*otps(10, "scraped"), timeout=30)
    connection.set_schema_to_public()
    assert sorted(e.status for e in emails) == ["failed"] * 3 + ["sent"] * 7
    reason = next(e.failure_reason for e in emails if e.status == "failed")

    def scraped():
        return web.get("/metrics", host="10.0.0.9", token=TOKEN)[1]

    after = wait_for(
        lambda: (
            (text := scraped())
            and value(text, "cymmetri_email_sent_total", kind="otp") == 7
            and text
        ),
        timeout=10,
        message="the sent counter did not reach 7",
    )
    sent = value(after, "cymmetri_email_sent_total", kind="otp", route="platform_default")
    failed = value(after, "cymmetri_email_failed_total", kind="otp", route="platform_default")
    assert sent - value(before, "cymmetri_email_sent_total") == 7
    assert failed - value(before, "cymmetri_email_failed_total") == 3
    assert value(after, "cymmetri_email_failed_total", reason=reason) == 3
    assert value(after, "cymmetri_email_expired_total") == 0
    latency = dict(kind_priority="urgent", route="platform_default")
    assert value(after, "cymmetri_email_send_seconds_count", **latency) == 7
    assert 0 < value(after, "cymmetri_email_send_seconds_sum", **latency) < 7 * 30
    assert value(after, "cymmetri_outbox_due", route="platform_default") == 0
    assert value(after, "cymmetri_sample_up", source="database") == 1
    assert value(after, "cymmetri_sample_up", source="redis") == 1
    labels = {key for s in samples(after) for key in s.labels}
    assert not labels & FORBIDDEN_LABELS
    assert "scraped" not in after
    assert OutboundEmail.objects.filter(status="sent").count() == 7


def test_queued_emails_show_as_due_with_the_age_of_the_oldest(committed, tenant_a, web, no_worker):
    connection.set_tenant(tenant_a)
    emails = otps(4, "waiting")
    connection.set_schema_to_public()
    OutboundEmail.objects.filter(pk=emails[0].pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=90)
    )

    status, text = web.get("/metrics", token=TOKEN)

    assert status == 200
    assert value(text, "cymmetri_outbox_due", route="platform_default") == 4
    assert value(text, "cymmetri_outbox_due", route="custom") == 0
    assert 90 <= value(text, "cymmetri_outbox_oldest_due_seconds", route="platform_default") < 120


def test_metrics_refuse_a_scrape_without_the_token(web):
    assert web.get("/metrics")[0] == 401
    assert web.get("/metrics", token="nope")[0] == 401
    assert web.get("/healthz", host="10.1.1.1")[0] == 200


def test_connection_tests_are_counted_by_outcome(admin_client_a, smtp_server, probes_inline):
    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("cymmetri_smtp_test_total", {"outcome": outcome}) or 0

    passed, failed = count("passed"), count("failed")

    admin_client_a.post("/integrations/email-smtp/test/", smtp_form_data(smtp_server), follow=True)
    admin_client_a.post(
        "/integrations/email-smtp/test/", smtp_form_data(smtp_server, password="wrong"), follow=True
    )

    assert (count("passed") - passed, count("failed") - failed) == (1, 1)
