"""Benchmark: N emails through send_email() → Celery worker → SMTP 250, against two baselines.

In one run, against the same local SMTP server (STARTTLS + AUTH, in a process of its own):
- raw: smtplib on one reused connection (the ceiling for one client),
- naive: a new connection (TCP + STARTTLS + AUTH) per email,
- mailer: send_email() in its own transaction per email, outbox and audit writes included,
  delivered by real worker processes; and, at light load, send → 250 one email at a time.

Targets (DESIGN.md): mailer ≥ 0.5 × raw and ≥ 3 × naive; send_email() p99 ≤ 5 ms;
send → 250 p50 ≤ 50 ms at light load. It uses a database, a Redis and workers of its own.

    python bench/mailer_throughput.py [--emails 2000] [--producers 4] [--workers 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import statistics
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

BENCH_DB = "cymmetri_bench"


class Sink:
    """The SMTP server process; records when each Message-ID was accepted."""

    def __init__(self, certs) -> None:
        self.port = free_port()
        self.accepted: dict[str, float] = {}
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "smtp_sink.py"),
                "--port",
                str(self.port),
                "--cert",
                str(certs.ca_signed.cert_file),
                "--key",
                str(certs.ca_signed.key_file),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
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
        self.process.terminate()
        self.process.wait()


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
    from smtp_integration.message import build_message

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


def start_workers(env: dict, count: int, threads: int) -> list[subprocess.Popen]:
    from cymmetri.celery import app

    workers = []
    for n in range(count):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "cymmetri",
                    "worker",
                    "-P",
                    "threads",
                    "-c",
                    str(threads),
                    "-Q",
                    "bench",
                    "-n",
                    f"bench{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env={**os.environ, **env},
            )
        )
    deadline = time.monotonic() + 60
    while len(app.control.ping(timeout=0.5) or []) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("workers did not start")
    return workers


def run_mailer(tenant, sink: Sink, count: int, *, producers: int = 1, spacing: float = 0.0):
    """send_email() ``count`` times from ``producers`` threads (like web processes serving
    requests at once); returns (call latencies, send→250 latencies, emails per second)."""
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from mailer import send_email

    calls: list[float] = []
    starts: dict[str, float] = {}
    lock = threading.Lock()

    def produce(numbers: range) -> None:
        try:
            with tenant_context(tenant):
                for n in numbers:
                    wall, began = time.time(), time.perf_counter()
                    with transaction.atomic():
                        email = send_email(
                            "otp", to=f"user{n}@example.com", context={"code": "493027"}
                        )
                    took = time.perf_counter() - began
                    with lock:
                        calls.append(took)
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
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--producers",
        type=int,
        default=4,
        help="threads calling send_email() at once, like web processes",
    )
    parser.add_argument("--light", type=int, default=100, help="emails at light load")
    args = parser.parse_args()

    certs = make_certificates(Path(tempfile.mkdtemp(prefix="bench-certs-")))
    redis = RedisServer().start()
    sink = Sink(certs)
    workers: list[subprocess.Popen] = []
    try:
        env = prepare_environment(args, redis, sink, certs)
        recreate_database()
        tenant = setup_tenant(sink)
        raw = run_raw(sink, certs, args.emails)
        naive = run_naive(sink, certs, args.emails)
        workers = start_workers(env, args.workers, args.threads)
        run_mailer(tenant, sink, 50)  # warm up: connections, caches
        calls, to_250, rate = run_mailer(tenant, sink, args.emails, producers=args.producers)
        light_calls, light_250, _ = run_mailer(tenant, sink, args.light, spacing=0.02)
        report(args, raw, naive, rate, calls, to_250, light_calls, light_250)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        sink.stop()
        redis.cleanup()


def report(args, raw, naive, rate, calls, to_250, light_calls, light_250) -> None:
    ms = 1000
    rows = [
        ("raw smtplib, one reused connection", f"{raw:8.0f} emails/s", ""),
        ("new connection per email", f"{naive:8.0f} emails/s", ""),
        (
            "mailer: send_email → worker → 250",
            f"{rate:8.0f} emails/s",
            f"{rate / raw:.2f}× raw (target ≥ 0.5), {rate / naive:.1f}× naive (target ≥ 3)",
        ),
        (
            "send_email() call under load",
            f"p50 {percentile(calls, 50) * ms:5.2f} ms",
            f"p99 {percentile(calls, 99) * ms:.2f} ms",
        ),
        (
            "send_email() call at light load",
            f"p50 {percentile(light_calls, 50) * ms:5.2f} ms",
            f"p99 {percentile(light_calls, 99) * ms:.2f} ms (target ≤ 5)",
        ),
        (
            "send → 250 under load",
            f"p50 {percentile(to_250, 50) * ms:5.0f} ms",
            f"p99 {percentile(to_250, 99) * ms:.0f} ms",
        ),
        (
            "send → 250 at light load",
            f"p50 {percentile(light_250, 50) * ms:5.1f} ms",
            f"p99 {percentile(light_250, 99) * ms:.1f} ms (target p50 ≤ 50)",
        ),
    ]
    print(
        f"\nMailer throughput: {args.emails} emails from {args.producers} producer threads, "
        f"{args.workers} worker processes × {args.threads} threads, STARTTLS + AUTH, "
        f"on {os.cpu_count()} cores\n"
    )
    for name, value, note in rows:
        print(f"  {name:38} {value:20} {note}")
    met = (
        rate >= 0.5 * raw
        and rate >= 3 * naive
        and percentile(light_calls, 99) <= 0.005
        and statistics.median(light_250) <= 0.05
    )
    print(f"\n  targets {'met' if met else 'NOT met'}\n")


if __name__ == "__main__":
    main()
