"""Waiting costs nothing: an email held by a rate limit or a paused integration is not claimed
again until it can go."""

from __future__ import annotations

import time

from mailer.models import OutboundEmail
from smtp_integration.models import SmtpConfig
from tests.mailer.helpers import finished, otps
from tests.support import wait_for


def test_a_rate_limited_backlog_is_claimed_at_most_twice_per_email(
    mailer_tenant, platform_smtp, start_workers, start_beat
):
    start_workers(1, PLATFORM_SMTP_RATE_LIMIT="5/second")
    start_beat(PLATFORM_SMTP_RATE_LIMIT="5/second", MAILER_SWEEP_SECONDS="1")

    emails = otps(30, "limited")
    rows = finished(*emails, timeout=30)

    assert [row.status for row in rows] == ["sent"] * 30
    # Claimed once to book its slot and once when the slot comes (a late wake-up on a busy
    # machine may cost one more): never the re-scan of the whole backlog per freed slot.
    claims = [row.claims for row in rows]
    assert sum(claims) / len(claims) <= 2.2 and max(claims) <= 3, claims
    # Each waited for a slot of its own: five a second went out, so 30 took about six
    # seconds. What the server sees is measured, some milliseconds after each slot: a second
    # of arrivals can straddle two slots' fives on a busy machine, never three; without the
    # limit all 30 arrive within a fraction of a second.
    arrivals = sorted(m.received_at for m in platform_smtp.messages)
    assert len(arrivals) == 30
    assert arrivals[-1] - arrivals[0] >= 4.5, arrivals
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1) for start in arrivals)
    assert busiest <= 10, arrivals


def test_a_paused_integrations_emails_wait_unclaimed_until_a_save(
    mailer_tenant, configure_smtp, tenant_smtp, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server, password="wrong-password")
    start_workers(1)
    start_beat(MAILER_SWEEP_SECONDS="1")
    first = otps(1, "first")
    wait_for(lambda: SmtpConfig.objects.get().health == "paused", message="no pause")

    emails = otps(20, "held")
    wait_for(
        lambda: all(row.waiting_for == "smtp_paused" for row in rows_of(emails)),
        message="the emails were not held",
    )
    time.sleep(3)  # three sweeps

    assert {row.claims for row in rows_of(first + emails)} == {1}
    assert len(server.auth_attempts) == 1, "a paused integration is not tried again"

    configure_smtp(server)  # the right password: a Save resumes the held emails at once
    rows = finished(*first, *emails)
    assert {row.status for row in rows} == {"sent"}
    assert {row.claims for row in rows} == {2}


def rows_of(emails) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(pk__in=[email.pk for email in emails]))
