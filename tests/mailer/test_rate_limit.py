"""The platform default's per-tenant limit, exact with two worker processes sending at once."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from mailer import send_email
from mailer.models import OutboundEmail
from tests.support import wait_for


@pytest.fixture
def two_workers(start_workers, mailer_tenant):
    workers = start_workers(2, PLATFORM_SMTP_RATE_LIMIT="5/hour")
    yield workers
    for worker in workers:
        worker.stop()


def test_cap_n_means_exactly_n_sent(two_workers, mailer_tenant, tenant_b, platform_smtp):
    emails = []
    for n in range(12):
        kind, context = (
            ("otp", {"code": f"{n:06d}"})
            if n % 2
            else ("verification", {"verify_url": f"https://production.localhost/verify/{n}"})
        )
        with transaction.atomic():  # each commit enqueues a task: the two workers race
            emails.append(send_email(kind, to=f"user{n}@example.com", context=context))

    def settled():
        rows = list(OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]))
        done = all(r.status in ("sent", "failed") or r.waiting_for == "rate_limited" for r in rows)
        return rows if done else None

    rows = wait_for(settled, timeout=30, message="the emails did not settle")
    sent = [r for r in rows if r.status == "sent"]
    assert len(sent) == 5
    assert len(platform_smtp.messages) == 5
    # Over the limit: an OTP cannot wait an hour, so it fails as expired; the rest wait.
    for row in rows:
        if row.status == "sent":
            continue
        if row.kind == "otp":
            assert (row.status, row.failure_reason) == ("failed", "expired")
            event = AuditEvent.objects.get(target=f"outbound_email:{row.pk}")
            assert event.metadata["cause"] == "rate_limited"
        else:
            assert (row.status, row.waiting_for) == ("queued", "rate_limited")
    assert AuditEvent.objects.filter(action="email.sent").count() == 5

    # The limit is per tenant: tenant B still has its own room.
    with schema_context(tenant_b.schema_name), transaction.atomic():
        other = send_email("otp", to="b@example.com", context={"code": "999999"})
    with schema_context(tenant_b.schema_name):
        wait_for(lambda: OutboundEmail.objects.get(pk=other.pk).status == "sent")
