"""Benchmark: periodic mail work with 10 tenants and with 1,000, of which 10 have mail.

The same ten tenants send a sign-in code every two seconds each, for a minute, through the
platform default, first with no other tenant and then beside 990 idle ones (cloned from a
template schema, so setting up takes a minute or two, not an hour of migrations).
Workers and beat run as shipped. For each, it prints the CPU the worker, beat and the
machine used in that minute, how long one beat sweep takes, and send → 250 of the codes;
then the send → 250 of a code from twenty idle tenants picked at random.

Target (docs/performance.md): the periodic work's cost per minute at 1,000 tenants within
2 × its cost at 10; a new email in any tenant out within 1 s.

    python bench/many_tenants.py [--tenants 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import BENCH_DB, Bench, machine_busy, percentile, process_cpu

ACTIVE = 10
TEMPLATE = "template-tenant"


def clone_tenants(count: int) -> list:
    """``count`` idle tenants whose schemas are copies of the template's: the template is
    dumped once (pg_dump) and restored under each name in one psql session, which takes a
    second per fifteen schemas instead of a migration run each."""
    from django.db import connection

    from tenants.models import Domain, Organisation, Tenant

    database = ["-h", "127.0.0.1", "-U", "postgres", "-d", BENCH_DB]
    template = subprocess.run(
        ["pg_dump", *database, f"--schema={TEMPLATE}", "--no-owner", "--no-privileges"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = [f"idle-{n:04d}" for n in range(count)]
    # A transaction per 25 schemas: one for all would run out of lock slots.
    script = "".join(
        ("BEGIN;\n" if n % 25 == 0 else "")
        + template.replace(f'"{TEMPLATE}"', f'"{name}"')
        + ("COMMIT;\n" if n % 25 == 24 or n == count - 1 else "")
        for n, name in enumerate(names)
    )
    subprocess.run(
        ["psql", *database, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=script,
        check=True,
        capture_output=True,
        text=True,
    )
    organisation = Organisation.objects.get(slug="bench")
    # bulk_create skips save(), so no schema is created (or migrated) for them again.
    tenants = Tenant.objects.bulk_create(
        [Tenant(schema_name=name, organisation=organisation, display_name=name) for name in names]
    )
    Domain.objects.bulk_create(
        [Domain(domain=f"{t.schema_name}.localhost", tenant=t, is_primary=True) for t in tenants]
    )
    connection.set_schema_to_public()
    return tenants


def send_codes(tenants, seconds: float, every: float, sent: dict[str, float]) -> None:
    """From each tenant, a sign-in code every ``every`` seconds for ``seconds``."""
    from django.db import connection, transaction

    from mailer import send_email

    try:
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            began = time.monotonic()
            for tenant in tenants:
                with transaction.atomic():
                    email = send_email(
                        "otp", to=f"user{n}@example.com", context={"code": "1"}, tenant=tenant
                    )
                sent[email.message_id] = time.time()
            n += 1
            time.sleep(max(0.0, every - (time.monotonic() - began)))
    finally:
        connection.close()


def code_latency(bench: Bench, tenant) -> float:
    """send_email() → 250 of one code from ``tenant``, alone."""
    from django.db import transaction

    from mailer import send_email

    with transaction.atomic():
        email = send_email("otp", to="someone@example.com", context={"code": "1"}, tenant=tenant)
    sent = time.time()
    bench.platform.wait_for({email.message_id}, timeout=30)
    return bench.platform.accepted[email.message_id] - sent


def sweep_seconds(samples: int = 30) -> float:
    """How long one beat sweep takes, in the median of ``samples``."""
    from mailer.sweeper import email_sweep

    times = []
    for _ in range(samples):
        began = time.perf_counter()
        email_sweep()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure_minute(bench: Bench, active, seconds: float) -> dict:
    groups = {
        "worker": [worker.pid for worker in bench.workers],
        "beat": [bench.beat.pid],
    }
    before = {name: sum(process_cpu(pid) for pid in pids) for name, pids in groups.items()}
    busy_before = machine_busy()
    sent: dict[str, float] = {}
    sender = threading.Thread(target=send_codes, args=(active, seconds, 2.0, sent))
    began = time.time()
    sender.start()
    sender.join()
    elapsed = time.time() - began
    bench.platform.wait_for(set(sent), timeout=60)
    per_minute = 60 / elapsed
    result = {
        name: (sum(process_cpu(pid) for pid in pids) - before[name]) * per_minute
        for name, pids in groups.items()
    }
    result["machine"] = (machine_busy() - busy_before) * per_minute
    result["sweep"] = sweep_seconds()
    result["latency"] = [bench.platform.accepted[m] - at for m, at in sent.items()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    # The platform default's limit is per tenant; the codes stay well under it.
    bench = Bench(sinks=0, env={"PLATFORM_SMTP_RATE_LIMIT": "1000/minute"})
    try:
        bench.setup_database()
        bench.tenant(TEMPLATE)
        active = [bench.tenant(f"active-{n}") for n in range(ACTIVE)]
        bench.start_workers(1)
        bench.start_beat()
        time.sleep(5)  # both started: the minutes measured are steady ones
        few = measure_minute(bench, active, args.seconds)

        began = time.monotonic()
        idle = clone_tenants(args.tenants - ACTIVE - 1)
        setup = time.monotonic() - began
        many = measure_minute(bench, active, args.seconds)

        idle_latency = [code_latency(bench, tenant) for tenant in random.sample(idle, 20)]
        report(args, few, many, idle_latency, setup)
    finally:
        bench.stop()


def report(args, few, many, idle_latency, setup) -> None:
    from django.conf import settings

    print(
        f"\nMany tenants: {ACTIVE} tenants with mail (a code every 2 s each), beside 1 and then "
        f"{args.tenants - ACTIVE} idle ones; workers as shipped ({settings.CELERY_WORKER_POOL} × "
        f"{settings.CELERY_WORKER_CONCURRENCY}), a sweep every {settings.MAILER_SWEEP_SECONDS} s, "
        f"on {os.cpu_count()} cores ({args.tenants - ACTIVE - 1} schemas copied in {setup:.0f} s)"
        "\n"
    )
    print(f"  {'per minute':30} {ACTIVE + 1:>10} tenants {args.tenants:>10} tenants   ratio")
    for name, label in (
        ("worker", "worker CPU"),
        ("beat", "beat CPU"),
        ("machine", "machine busy (all cores)"),
    ):
        print(
            f"  {label:30} {few[name]:16.2f} s {many[name]:16.2f} s   {many[name] / few[name]:5.2f}"
        )
    print(
        f"  {'one sweep':30} {few['sweep'] * 1000:15.2f} ms {many['sweep'] * 1000:15.2f} ms   "
        f"{many['sweep'] / few['sweep']:5.2f}"
    )
    a, b = (percentile(run["latency"], 50) * 1000 for run in (few, many))
    print(f"  {'codes send → 250 p50':30} {a:15.0f} ms {b:15.0f} ms")
    worst = max(idle_latency)
    print(
        f"\n  A code from 20 idle tenants among {args.tenants}: send → 250 p50 "
        f"{percentile(idle_latency, 50) * 1000:.0f} ms, max {worst * 1000:.0f} ms"
    )
    cost = (many["worker"] + many["beat"]) / (few["worker"] + few["beat"])
    print("\n  Targets:")
    print(
        f"    periodic work (worker + beat CPU) ≤ 2 × at {ACTIVE + 1} tenants   {cost:5.2f} ×   "
        f"{'met' if cost <= 2 else 'NOT met'}"
    )
    print(
        f"    a new email in any tenant out within 1 s             {worst:5.2f} s    "
        f"{'met' if worst <= 1 else 'NOT met'}\n"
    )


if __name__ == "__main__":
    main()
