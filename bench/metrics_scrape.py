"""A /metrics scrape after 1,000 emails, through everything as shipped: send_email() →
worker → SMTP 250, gunicorn (gunicorn.conf.py) serving /metrics from the counters every
process wrote (prometheus_client multiprocess mode), beat ticking.

Two tenants send through their own SMTP and one through the platform default; 800 sign-in
codes and 200 notifications, and 20 codes to a tenant whose SMTP refuses its password (its
SMTP pauses, the codes are held and its admin is told through the platform default: the
paused-tenant and queued figures move). Prints the scrape (the cymmetri_* lines) and how
long a scrape and /readyz take.

    python bench/metrics_scrape.py [--emails 1000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Bench, percentile  # noqa: E402
from tests.smtp_servers import free_port  # noqa: E402
from tests.support import guarded  # noqa: E402

TOKEN = secrets.token_urlsafe(24)


def get(port: int, path: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    client.request("GET", path, headers={"Host": "10.0.0.1", "Authorization": f"Bearer {TOKEN}"})
    response = client.getresponse()
    body = response.read().decode()
    client.close()
    return response.status, body, (time.perf_counter() - started) * 1000


def start_gunicorn(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        guarded([sys.executable, "-m", "gunicorn", "cymmetri.wsgi:application"]),
        cwd=ROOT,
        env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2"},
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("gunicorn did not answer")


def send(tenant, kind: str, count: int, prefix: str) -> None:
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from mailer import send_email

    context = {"otp": {"code": "493027"}, "notification": {"title": "Hi", "message": "News"}}
    with tenant_context(tenant):
        for start in range(0, count, 50):
            with transaction.atomic():
                for n in range(start, min(count, start + 50)):
                    send_email(kind, to=f"{prefix}{n}@example.com", context=context[kind])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=1000)
    args = parser.parse_args()
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    bench = Bench(
        sinks=2,
        env={
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
            "METRICS_TOKEN": TOKEN,
            "PLATFORM_SMTP_RATE_LIMIT": "100000/hour",
            "CELERY_PROBE_QUEUE": "bench",
        },
    )
    web = None
    try:
        bench.setup_database()
        alpha = bench.tenant("alpha", sink=bench.sinks[0])
        beta = bench.tenant("beta", sink=bench.sinks[1])
        gamma = bench.tenant("gamma")
        broken = bench.tenant("broken", sink=bench.sinks[1], password="wrong-password")
        bench.start_workers(1)
        bench.start_beat(MAILER_SWEEP_SECONDS="1")
        web, port = start_gunicorn(dict(os.environ))
        codes = int(args.emails * 0.8)
        notes = args.emails - codes
        started = time.monotonic()
        send(alpha, "otp", codes // 2, "a")
        send(beta, "otp", codes - codes // 2, "b")
        send(gamma, "notification", notes, "g")
        send(broken, "otp", 20, "x")
        from mailer.models import OutboundEmail

        while OutboundEmail.objects.filter(status="sent").count() < args.emails:
            if time.monotonic() - started > 300:
                raise TimeoutError("not every email was sent within 300 s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        time.sleep(6)  # a scrape's sample is at most 5 s old
        scrapes = [get(port, "/metrics") for _ in range(20)]
        ready = [get(port, "/readyz")[2] for _ in range(20)]
        deep = get(port, "/readyz?deep=1")
        status, body, _ = scrapes[-1]
        print(f"{args.emails} emails sent in {elapsed:.1f} s; scrape HTTP {status}")
        scrape_ms = [ms for _, _, ms in scrapes]
        print(
            f"/metrics p50 {percentile(scrape_ms, 50):.1f} ms, p95 "
            f"{percentile(scrape_ms, 95):.1f} ms; /readyz p50 {percentile(ready, 50):.1f} ms; "
            f"/readyz?deep=1 HTTP {deep[0]} in {deep[2]:.1f} ms"
        )
        print("-" * 100)
        for line in body.splitlines():
            if "cymmetri_" in line:
                print(line)
    finally:
        if web is not None:
            web.terminate()
            web.wait()
        bench.stop()


if __name__ == "__main__":
    main()
