"""Benchmark: N emails through send_email() → Celery worker → SMTP 250, against two baselines.

In one run, against the same local SMTP server (STARTTLS + AUTH, in a process of its own):
- raw: smtplib on one reused connection (the ceiling for one client),
- naive: a new connection (TCP + STARTTLS + AUTH) per email,
- mailer: send_email() in its own transaction per email, outbox and audit writes included,
  delivered by real worker processes; and, at light load, send → 250 one email at a time.

Targets (docs/performance.md): mailer ≥ 0.5 × raw and ≥ 3 × naive; send_email() p99 ≤ 5 ms;
send → 250 p50 ≤ 50 ms at light load. It uses a database, a Redis and workers of its own.

    python bench/mailer_throughput.py [--emails 2000] [--producers 4] [--workers 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.redis_server import RedisServer  # noqa: E402
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME, free_port, make_certificates  # noqa: E402
from tests.support import guarded  # noqa: E402

BENCH_DB = "cymmetri_bench"


class Sink:
    """The SMTP server: ``processes`` processes on one port (a provider has more than one
    core); records when each Message-ID was accepted."""

    def __init__(self, certs, processes: int = 1) -> None:
        self.port = free_port()
        self.accepted: dict[str, float] = {}
        self.processes = []
        for _ in range(processes):
            process = subprocess.Popen(
                guarded(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "smtp_sink.py"),
                        "--port",
                        str(self.port),
                        "--cert",
                        str(certs.ca_signed.cert_file),
                        "--key",
                        str(certs.ca_signed.key_file),
                    ]
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert process.stdout.readline().strip() == "ready"
            threading.Thread(target=self._read, args=(process,), daemon=True).start()
            self.processes.append(process)

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            stamp, _, message_id = line.strip().partition(" ")
            self.accepted[message_id] = float(stamp)

    def wait_for(self, message_ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not message_ids <= self.accepted.keys():
            if time.monotonic() > deadline:
                missing = len(message_ids - self.accepted.keys())
                raise TimeoutError(f"{missing} emails were not delivered within {timeout} s")
            time.sleep(0.01)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait()


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, float]:
    snapshot = {name: sum(_process_cpu(pid) for pid in pids) for name, pids in groups.items()}
    snapshot["send_email() callers"] = sum(os.times()[:2])
    snapshot["machine"] = _machine_busy()
    return snapshot


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def prepare_environment(args, redis: RedisServer, sink: Sink, certs) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
        "REDIS_URL": redis.url,
        "CELERY_QUEUE": "bench",
        "SMTP_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",
        "SMTP_ALLOWED_PORTS": f"587,{sink.port}",
        "SMTP_CA_FILE": str(certs.ca_file),
        "PLATFORM_SMTP_HOST": "localhost",
        "PLATFORM_SMTP_PORT": str(sink.port),
        "PLATFORM_EMAIL_DOMAIN": "mail.bench.test",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "STATIC_MANIFEST": "false",
        "ALLOWED_HOSTS": ".localhost",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cymmetri.settings")
    return env


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_tenant(sink: Sink):
    """Migrate, create a tenant and point its custom SMTP at the sink."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", verbosity=0)
    from django_tenants.utils import tenant_context

    from smtp_integration.services import smtp_config_save
    from tenants.models import Domain, Tenant
    from tenants.services import tenant_create

    public = Tenant.objects.create(schema_name="public", display_name="Bench platform")
    Domain.objects.create(domain="localhost", tenant=public, is_primary=True)
    created = tenant_create(
        organisation_name="Bench",
        schema_name="bench-tenant",
        domain="bench.localhost",
        display_name="Bench Tenant",
        admin_email="admin@bench.test",
        admin_password="bench-pass-123",
    )
    with tenant_context(created.tenant):
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.get()
        smtp_config_save(
            actor=admin,
            data={
                "host": "localhost",
                "port": sink.port,
                "tls_mode": "starttls",
                "username": SMTP_USERNAME,
                "password": SMTP_PASSWORD,
                "from_address": "noreply@bench.test",
                "from_name": "Bench",
                "reply_to": "",
            },
        )
    return created.tenant


def sample_messages(count: int, prefix: str):
    """Messages like the mailer's OTP email (same templates), with their own Message-IDs."""
    from mailer.kinds import KINDS
    from mailer.rendering import email_render
    from smtp_integration.transport import build_message

    rendered = email_render(KINDS["otp"], context={"code": "493027"}, tenant_name="Bench Tenant")
    return [
        build_message(
            from_address="noreply@bench.test",
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
            client.send_message(message)
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
            client.send_message(message)
    sink.wait_for({m["Message-ID"] for m in messages}, timeout=120)
    return count / (time.time() - started)


def start_workers(env: dict, count: int, threads: int) -> list:
    from cymmetri.celery import app
    from tests.worker import CeleryWorker

    return [
        CeleryWorker(queue="bench", name=f"bench{n}", concurrency=threads, env=env).start(app)
        for n in range(count)
    ]


def run_mailer(tenant, sink: Sink, count: int, *, producers: int = 1, spacing: float = 0.0):
    """send_email() ``count`` times from ``producers`` threads (like web processes serving
    requests at once); returns (call latencies, send→250 latencies, emails per second)."""
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from mailer import send_email

    calls: list[tuple[float, float]] = []  # (the call itself, the caller's commit)
    starts: dict[str, float] = {}
    lock = threading.Lock()

    def produce(numbers: range) -> None:
        try:
            with tenant_context(tenant):
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
    sink.wait_for(set(starts), timeout=300)
    first = min(starts.values())
    last = max(sink.accepted[m] for m in starts)
    to_250 = [sink.accepted[m] - started for m, started in starts.items()]
    return calls, to_250, count / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
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
    args = parser.parse_args()

    certs = make_certificates(Path(tempfile.mkdtemp(prefix="bench-certs-")))
    redis = RedisServer().start()
    sink = Sink(certs, args.server_processes)
    workers: list = []
    try:
        env = prepare_environment(args, redis, sink, certs)
        recreate_database()
        tenant = setup_tenant(sink)
        raw = run_raw(sink, certs, args.emails)
        naive = run_naive(sink, certs, args.emails)
        workers = start_workers(env, args.workers, args.threads)
        run_mailer(tenant, sink, 50)  # warm up: connections, caches
        groups = {
            "workers": [worker.process.pid for worker in workers],
            "SMTP server": [process.pid for process in sink.processes],
            "Redis": [redis.process.pid],
        }
        before = cpu_snapshot(groups)
        calls, to_250, rate = run_mailer(tenant, sink, args.emails, producers=args.producers)
        after = cpu_snapshot(groups)
        cpu = {name: (after[name] - before[name]) / args.emails for name in after}
        # PostgreSQL's backends come and go with connections: count it with the kernel as
        # the rest of the machine's busy time.
        cpu["PostgreSQL, kernel, rest"] = cpu.pop("machine") - sum(cpu.values())
        light_calls, light_250, _ = run_mailer(tenant, sink, args.light, spacing=0.02)
        report(args, raw, naive, rate, calls, to_250, light_calls, light_250)
        print("  CPU per email during the mailer run:")
        for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
            print(f"    {name:24} {seconds * 1000:6.2f} ms")
        print(f"    {'all':24} {sum(cpu.values()) * 1000:6.2f} ms\n")
    finally:
        for worker in workers:
            worker.stop()
        sink.stop()
        redis.cleanup()


def report(args, raw, naive, rate, calls, to_250, light_calls, light_250) -> None:
    ms = 1000

    def spread(values: list[float]) -> str:
        return (
            f"p50 {percentile(values, 50) * ms:6.2f} ms   p99 {percentile(values, 99) * ms:6.2f} ms"
        )

    call, commit = [c for c, _ in calls], [c for _, c in calls]
    light_call, light_commit = [c for c, _ in light_calls], [c for _, c in light_calls]
    print(
        f"\nMailer throughput: {args.emails} emails from {args.producers} producer threads, "
        f"{args.workers} worker processes × {args.threads} threads, STARTTLS + AUTH, "
        f"on {os.cpu_count()} cores\n"
    )
    rows = [
        ("raw smtplib, one reused connection", f"{raw:6.0f} emails/s"),
        ("new connection per email", f"{naive:6.0f} emails/s"),
        ("mailer: send_email → worker → 250", f"{rate:6.0f} emails/s"),
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
        ("throughput ≥ 0.5 × raw", f"{rate / raw:.2f} ×", rate >= 0.5 * raw),
        ("throughput ≥ 3 × naive", f"{rate / naive:.2f} ×", rate >= 3 * naive),
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
    print()


if __name__ == "__main__":
    main()
