"""Benchmark: N emails through send_email() → Celery worker → SMTP 250, against two baselines.

In one run, against the same local SMTP server (STARTTLS + AUTH, in processes of its own):
- raw: smtplib on one reused connection (the ceiling for one client),
- naive: a new connection (TCP + STARTTLS + AUTH) per email,
- mailer, end to end: send_email() in its own transaction per email from producer threads,
  outbox and audit writes included, delivered by worker processes started as shipped
  (`celery -A cymmetri worker`, with the pool and concurrency of the settings);
- mailer, delivery alone: the emails queued first, then the workers started;
- and at light load, send → 250 one email at a time.

Targets (docs/performance.md): end to end ≥ 0.5 × raw and ≥ 3 × naive; send_email() p99
≤ 5 ms; send → 250 p50 ≤ 50 ms at light load.

    python bench/mailer_throughput.py [--emails 2000] [--producers 4] [--workers 1]
        [--pool threads --concurrency 8]   # another configuration than the shipped one
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Bench,
    Sink,
    machine_busy,
    percentile,
    process_cpu,
)
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME  # noqa: E402

FROM = "noreply@bench.test"


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, float]:
    snapshot = {name: sum(process_cpu(pid) for pid in pids) for name, pids in groups.items()}
    snapshot["send_email() callers"] = sum(os.times()[:2])
    snapshot["machine"] = machine_busy()
    return snapshot


def sample_messages(count: int, prefix: str):
    """Messages like the mailer's OTP email (same templates), with their own Message-IDs,
    built before the clock starts: the baselines time smtplib alone."""
    from email_templates.rendering import email_render
    from mailer.kinds import KINDS
    from smtp_integration.transport import build_message
    from tenants.models import Tenant

    tenant = Tenant(schema_name="bench", display_name="Bench Tenant")
    rendered = email_render(KINDS["otp"], context={"code": "493027"}, tenant=tenant)
    return [
        build_message(
            from_address=FROM,
            from_name="Bench",
            to=f"user{n}@example.com",
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=f"<{prefix}-{n}@bench.test>",
        )
        for n in range(count)
    ]


def tls_context(certs) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(certs.ca_file))
    return context


def run_raw(sink: Sink, certs, count: int) -> float:
    messages = sample_messages(count, "raw")
    started = time.time()
    with smtplib.SMTP("localhost", sink.port) as client:
        client.starttls(context=tls_context(certs))
        client.login(SMTP_USERNAME, SMTP_PASSWORD)
        for message in messages:
            client.sendmail(FROM, [message["To"]], message.as_bytes())
    sink.wait_for({m["Message-ID"] for m in messages}, timeout=60)
    return count / (time.time() - started)


def run_naive(sink: Sink, certs, count: int) -> float:
    messages = sample_messages(count, "naive")
    context = tls_context(certs)
    started = time.time()
    for message in messages:
        with smtplib.SMTP("localhost", sink.port) as client:
            client.starttls(context=context)
            client.login(SMTP_USERNAME, SMTP_PASSWORD)
            client.sendmail(FROM, [message["To"]], message.as_bytes())
    sink.wait_for({m["Message-ID"] for m in messages}, timeout=120)
    return count / (time.time() - started)


def run_mailer(
    tenant, sink: Sink, count: int, *, producers: int = 1, spacing: float = 0.0, wait: bool = True
):
    """send_email() ``count`` times from ``producers`` threads (like web processes serving
    requests at once, each in the tenant's schema); returns (call latencies, send→250
    latencies, emails per second)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from mailer import send_email

    calls: list[tuple[float, float]] = []  # (the call itself, the caller's commit)
    starts: dict[str, float] = {}
    lock = threading.Lock()

    def produce(numbers: range) -> None:
        try:
            with schema_context(tenant.schema_name):
                for n in numbers:
                    wall = time.time()
                    with transaction.atomic():
                        began = time.perf_counter()
                        email = send_email(
                            "otp", to=f"user{n}@example.com", context={"code": "493027"}
                        )
                        called = time.perf_counter()
                    # The commit writes the row and, on commit, wakes a worker (mailer.wakeup).
                    committed = time.perf_counter()
                    with lock:
                        calls.append((called - began, committed - called))
                        starts[email.message_id] = wall
                    if spacing:
                        time.sleep(spacing)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=produce, args=(range(p, count, producers),))
        for p in range(producers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not wait:
        return calls, starts
    sink.wait_for(set(starts), timeout=300)
    first = min(starts.values())
    last = max(sink.accepted[m] for m in starts)
    to_250 = [sink.accepted[m] - started for m, started in starts.items()]
    return calls, to_250, count / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="raw, naive, end to end, again")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--pool", help="another pool than the shipped one (threads, prefork)")
    parser.add_argument("--concurrency", type=int, help="another concurrency than shipped")
    parser.add_argument(
        "--producers",
        type=int,
        default=4,
        help="threads calling send_email() at once, like web processes",
    )
    parser.add_argument("--light", type=int, default=100, help="emails at light load")
    parser.add_argument(
        "--server-processes",
        type=int,
        default=1,
        help="processes of the SMTP server, sharing one port",
    )
    parser.add_argument(
        "--customised",
        action="store_true",
        help="the tenant writes its own OTP email (Liquid, sanitised HTML) in German, its "
        "default language: send_email() renders the override path",
    )
    args = parser.parse_args()

    overrides = {}
    if args.pool:
        overrides["CELERY_WORKER_POOL"] = args.pool
    if args.concurrency:
        overrides["CELERY_WORKER_CONCURRENCY"] = str(args.concurrency)
    bench = Bench(sinks=1, sink_processes=args.server_processes)
    [sink] = bench.sinks
    try:
        bench.setup_database()
        tenant = bench.tenant("bench-tenant", sink=sink)
        if args.customised:
            tenant = customise(tenant)

        # The delivery pipeline alone: queued first, then the workers start.
        _, starts = run_mailer(tenant, sink, args.emails, producers=args.producers, wait=False)
        bench.start_workers(args.workers, **overrides)
        sink.wait_for(set(starts), timeout=300)
        accepted = [sink.accepted[m] for m in starts]
        pipeline = args.emails / (max(accepted) - min(accepted))
        run_mailer(tenant, sink, 50)  # warm up: connections, caches

        # The machine's speed drifts (it is shared): each round measures the three paths
        # back to back, and the ratios are taken within a round.
        rounds = []
        for _ in range(args.rounds):
            raw = run_raw(sink, bench.certs, args.emails)
            naive = run_naive(sink, bench.certs, args.emails)
            rounds.append((raw, naive, *end_to_end(bench, tenant, sink, args)))
        middle = sorted(rounds, key=lambda r: r[2] / r[0])[len(rounds) // 2]
        light_calls, light_250, _ = run_mailer(tenant, sink, args.light, spacing=0.02)
        report(args, overrides, rounds, middle, pipeline, light_calls, light_250)
    finally:
        bench.stop()


def customise(tenant):
    """An OTP email of the tenant's own, in German, its default language."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from email_templates.services import email_brand_save, email_template_save

    with tenant_context(tenant):
        admin = get_user_model().objects.get()
        brand = {"default_locale": "de", "brand_colour": "#0a6640", "logo_url": ""}
        email_brand_save(actor=admin, tenant=tenant, data=brand)
        email_template_save(
            actor=admin,
            tenant=tenant,
            kind="otp",
            locale="de",
            fields={
                "subject": "{{ code }}: Ihr Code für {{ tenant_name }}",
                "body_text": "Ihr Code: {{ code }}\n\nGültig {{ expires_in }}.",
                "body_html": '<h1>Ihr Code</h1><p class="code">{{ code }}</p>'
                '<p style="color:#333">Gültig {{ expires_in }}.</p>',
            },
        )
    tenant.refresh_from_db()
    return tenant


def end_to_end(bench: Bench, tenant, sink: Sink, args):
    """(emails/s, call latencies, send → 250 latencies, CPU per email by process group)."""
    groups = {
        "workers": [worker.pid for worker in bench.workers],
        "SMTP server": [process.pid for process in sink.processes],
        "Redis": [bench.redis.process.pid],
    }
    before = cpu_snapshot(groups)
    calls, to_250, rate = run_mailer(tenant, sink, args.emails, producers=args.producers)
    after = cpu_snapshot(groups)
    cpu = {name: (after[name] - before[name]) / args.emails for name in after}
    # PostgreSQL's backends come and go with connections: count it with the kernel as the
    # rest of the machine's busy time.
    cpu["PostgreSQL, kernel, rest"] = cpu.pop("machine") - sum(cpu.values())
    return rate, calls, to_250, cpu


def report(args, overrides, rounds, middle, pipeline, light_calls, light_250) -> None:
    from django.conf import settings

    ms = 1000

    def spread(values: list[float]) -> str:
        return (
            f"p50 {percentile(values, 50) * ms:6.2f} ms   p99 {percentile(values, 99) * ms:6.2f} ms"
        )

    raw, naive, rate, calls, to_250, cpu = middle
    call, commit = [c for c, _ in calls], [c for _, c in calls]
    light_call, light_commit = [c for c, _ in light_calls], [c for _, c in light_calls]
    pool = overrides.get("CELERY_WORKER_POOL", settings.CELERY_WORKER_POOL)
    concurrency = overrides.get("CELERY_WORKER_CONCURRENCY", settings.CELERY_WORKER_CONCURRENCY)
    shipped = "as shipped" if not overrides else "NOT as shipped"
    print(
        f"\nMailer throughput: {args.emails} emails from {args.producers} producer threads, "
        f"{args.workers} worker process(es), pool {pool} × {concurrency} ({shipped}), "
        f"STARTTLS + AUTH, on {os.cpu_count()} cores\n"
    )
    print("  round   raw smtplib   new connection each   mailer end to end   ÷ raw   ÷ naive")
    for n, (r, nv, e2e, *_rest) in enumerate(rounds, 1):
        print(
            f"  {n:5}   {r:8.0f} /s   {nv:16.0f} /s   {e2e:14.0f} /s   "
            f"{e2e / r:5.2f}   {e2e / nv:7.2f}"
        )
    print("\n  The middle round (by end to end ÷ raw):")
    rows = [
        ("raw smtplib, one reused connection", f"{raw:6.0f} emails/s"),
        ("new connection per email", f"{naive:6.0f} emails/s"),
        ("mailer end to end: send_email → 250", f"{rate:6.0f} emails/s"),
        ("mailer delivery alone (queued first)", f"{pipeline:6.0f} emails/s"),
        ("send_email() call, under load", spread(call)),
        ("  its commit (row + wake-up), under load", spread(commit)),
        ("send_email() call, light load", spread(light_call)),
        ("  its commit (row + wake-up), light load", spread(light_commit)),
        ("send → 250, under load", spread(to_250)),
        ("send → 250, light load", spread(light_250)),
    ]
    for name, value in rows:
        print(f"  {name:42} {value}")
    targets = [
        ("end to end ≥ 0.5 × raw", f"{rate / raw:.2f} ×", rate >= 0.5 * raw),
        ("end to end ≥ 3 × naive", f"{rate / naive:.2f} ×", rate >= 3 * naive),
        (
            "send_email() call p99 ≤ 5 ms (light load)",
            f"{percentile(light_call, 99) * ms:.2f} ms",
            percentile(light_call, 99) <= 0.005,
        ),
        (
            "send_email() call p99 ≤ 5 ms (under load)",
            f"{percentile(call, 99) * ms:.2f} ms",
            percentile(call, 99) <= 0.005,
        ),
        (
            "send → 250 p50 ≤ 50 ms (light load)",
            f"{percentile(light_250, 50) * ms:.1f} ms",
            percentile(light_250, 50) <= 0.05,
        ),
    ]
    print("\n  Targets:")
    for name, value, met in targets:
        print(f"    {name:44} {value:>10}   {'met' if met else 'NOT met'}")
    print("\n  CPU per email during that round's end-to-end run:")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"    {name:24} {seconds * 1000:6.2f} ms")
    print(f"    {'all':24} {sum(cpu.values()) * 1000:6.2f} ms\n")


if __name__ == "__main__":
    main()
