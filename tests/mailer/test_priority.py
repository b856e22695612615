"""Sign-in emails first, and tenants in turn: one tenant's backlog never holds up another's
email, nor its own users' sign-in codes."""

from __future__ import annotations

from django.db import transaction

from mailer import send_email
from mailer.delivery import STEP_SIZE
from mailer.models import OutboundEmail
from tests.mailer.helpers import SAMPLE_CONTEXT, finished, otps
from tests.support import wait_for

BACKLOG = 100


def notifications(count: int, *, tenant=None) -> list[OutboundEmail]:
    with transaction.atomic():
        return [
            send_email(
                "notification",
                to=f"bulk{n}@example.com",
                context=SAMPLE_CONTEXT["notification"],
                tenant=tenant,
            )
            for n in range(count)
        ]


def test_sign_in_codes_overtake_the_tenants_own_backlog(
    mailer_tenant, configure_smtp, tenant_smtp, start_workers
):
    server = tenant_smtp[0]
    configure_smtp(server)
    start_workers(1, concurrency=1)  # one thread: the order is the claims' order
    server.data_delay = 0.02
    try:
        backlog = notifications(BACKLOG)
        wait_for(lambda: len(server.messages) >= STEP_SIZE, message="the backlog did not start")
        arrived_before = len(server.messages)
        codes = otps(3, "code")
        finished(*codes)
        still_queued = OutboundEmail.objects.filter(
            pk__in=[email.pk for email in backlog], status__in=["queued", "sending"]
        ).count()
    finally:
        server.data_delay = 0

    order = [m.rcpt_tos[0] for m in server.messages]
    positions = [order.index(code.to_address) for code in codes]
    # At most the step under way and one more claim go before them, not the backlog.
    assert max(positions) - arrived_before <= 2 * STEP_SIZE + len(codes)
    assert still_queued >= BACKLOG // 2, "the codes waited for most of the backlog"


def test_another_tenants_emails_are_not_stuck_behind_a_backlog(
    mailer_tenant, configure_smtp, tenant_smtp, tenant_b, platform_smtp, start_workers
):
    server = tenant_smtp[0]
    configure_smtp(server)
    start_workers(1, concurrency=1)
    server.data_delay = 0.02
    try:
        backlog = notifications(BACKLOG)
        wait_for(lambda: server.messages, message="the backlog did not start")
        theirs = notifications(5, tenant=tenant_b)  # bulk too, queued after the backlog
        finished(*theirs)
        still_queued = OutboundEmail.objects.filter(
            pk__in=[email.pk for email in backlog], status__in=["queued", "sending"]
        ).count()
    finally:
        server.data_delay = 0

    assert len(platform_smtp.messages) == 5
    assert still_queued >= BACKLOG // 2, "tenant B waited for most of tenant A's backlog"
