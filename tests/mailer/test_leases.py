"""Only the holder of a lease finishes an email: a live worker keeps its leases however slow the
server. (A dead worker's emails go to another within a lease: test_faults.py.)"""

from __future__ import annotations

from collections import Counter

from tests.mailer.helpers import audits, finished, otps


def test_a_server_slower_than_the_lease_gets_each_email_once(
    mailer_tenant, configure_smtp, tenant_smtp, start_workers, start_beat
):
    server = tenant_smtp[0]
    configure_smtp(server)
    # Two workers, leases of 2 s swept every second, and a server that takes 1.2 s per email:
    # one step of six emails lasts three leases.
    start_workers(2, MAILER_LEASE_SECONDS="2")
    start_beat(MAILER_LEASE_SECONDS="2", MAILER_SWEEP_SECONDS="1")
    server.data_delay = 1.2
    try:
        emails = otps(6, "slow")
        rows = finished(*emails, timeout=30)
    finally:
        server.data_delay = 0

    assert [row.status for row in rows] == ["sent"] * 6
    received = Counter(m.message["Message-ID"] for m in server.messages)
    assert received == Counter(email.message_id for email in emails)
    for row in rows:
        assert audits(row) == ["email.sent"]
        assert row.claims == 1, "nobody took an email over from the worker sending it"
