"""Benchmark: what waiting costs. A backlog queued behind the platform default's rate limit
goes out at the limit's pace; how often was each email claimed, and how much worker CPU did
each email sent cost, waiting included?

By default 200 notifications in one commit behind a limit of 5 per 10 s (about 7 minutes;
`--emails 1000` is the target's backlog, about 33 minutes). Workers and beat run as shipped.
The worker's CPU is counted in all, and above what the same worker uses idle (measured just
before, over the same time: Celery's own loop and the beat tick's task).

Target (docs/performance.md): at most 2 claims and at most 5 ms of worker CPU per email sent.

    python bench/rate_limited_backlog.py [--emails 200] [--rate "5/10 seconds"]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Bench, process_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--rate", default="5/10 seconds")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to measure idle")
    args = parser.parse_args()

    bench = Bench(sinks=0, env={"PLATFORM_SMTP_RATE_LIMIT": args.rate})
    try:
        bench.setup_database()
        tenant = bench.tenant("waiting-tenant")
        [worker] = bench.start_workers(1)
        bench.start_beat()
        from django.db import transaction

        from mailer import send_email
        from mailer.models import OutboundEmail

        time.sleep(3)  # started
        idle_before = process_cpu(worker.pid)
        time.sleep(args.idle)
        idle_per_second = (process_cpu(worker.pid) - idle_before) / args.idle
        cpu_before = process_cpu(worker.pid)
        began = time.time()
        with transaction.atomic():
            emails = [
                send_email(
                    "notification",
                    to=f"member{n}@example.com",
                    context={"title": "Planned maintenance", "message": "Tonight."},
                    tenant=tenant,
                )
                for n in range(args.emails)
            ]
        bench.platform.wait_for({email.message_id for email in emails}, timeout=3600)
        elapsed = time.time() - began
        cpu = process_cpu(worker.pid) - cpu_before
        rows = OutboundEmail.objects.filter(pk__in=[email.pk for email in emails])
        claims = [row.claims for row in rows.only("claims")]
        sent = rows.filter(status="sent").count()
    finally:
        bench.stop()

    per_email_claims = sum(claims) / sent
    per_email_cpu = cpu / sent
    above_idle = (cpu - idle_per_second * elapsed) / sent
    from django.conf import settings

    print(
        f"\nRate-limited backlog: {args.emails} notifications behind {args.rate}; workers as "
        f"shipped ({settings.CELERY_WORKER_POOL} × {settings.CELERY_WORKER_CONCURRENCY}) on "
        f"{os.cpu_count()} cores\n"
    )
    print(f"  sent                              {sent} in {elapsed:.0f} s")
    print(f"  claims per email sent             {per_email_claims:.2f} (most: {max(claims)})")
    print(f"  worker CPU per email sent         {per_email_cpu * 1000:.2f} ms in all")
    print(
        f"                                    {above_idle * 1000:.2f} ms above idle "
        f"(idle: {idle_per_second * 1000:.1f} ms of CPU a second)"
    )
    print("\n  Targets:")
    print(
        f"    ≤ 2 claims per email sent                 "
        f"{'met' if per_email_claims <= 2 else 'NOT met'}"
    )
    print(
        f"    ≤ 5 ms worker CPU per email sent, in all  "
        f"{'met' if per_email_cpu <= 0.005 else 'NOT met'}"
    )
    print(
        f"    ≤ 5 ms worker CPU per email sent, above idle  "
        f"{'met' if above_idle <= 0.005 else 'NOT met'}\n"
    )


if __name__ == "__main__":
    main()
