"""Benchmark: POST /api/v1/emails under concurrent clients, against send_email() in-process.

- API: gunicorn as shipped (the Dockerfile's command: `gunicorn cymmetri.wsgi:application
  --workers 3`), ``--clients`` threads each POSTing an OTP with a token and an Idempotency-Key
  of its own, one request at a time (a new connection each, as gunicorn's sync workers close
  them): requests per second, p50 and p99 as the client sees them.
- in-process: the same number of threads calling send_email() in a transaction of their own
  each (the call and its commit), in the same run, in the same tenant.

Target (docs/performance.md): the API adds ≤ 5 ms p50 over the in-process call. Both paths
queue only (no worker runs): the request's own cost is measured, not delivery.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

from harness import ROOT, Bench, percentile

from tests.support import guarded


def start_gunicorn(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "cymmetri.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "3",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(guarded(command), cwd=ROOT, env=dict(os.environ))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not answer within 30 s")


def post(port: int, host: str, token: str, n: int) -> float:
    body = json.dumps(
        {"kind": "otp", "to": f"user{n}@example.com", "context": {"code": "493027"}}
    ).encode()
    headers = {
        "Host": host,
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/v1/emails", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - began
    connection.close()
    if response.status != 202:
        raise RuntimeError(f"POST /api/v1/emails answered {response.status}")
    return elapsed


def run_api(port: int, host: str, token: str, count: int, clients: int):
    latencies: list[float] = []
    lock = threading.Lock()

    def client(numbers: range) -> None:
        for n in numbers:
            elapsed = post(port, host, token, n)
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(range(c, count, clients),)) for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, count / (time.perf_counter() - started)


def run_in_process(tenant, count: int, threads_count: int):
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from mailer import send_email

    latencies: list[float] = []
    lock = threading.Lock()

    def produce(numbers: range) -> None:
        try:
            with schema_context(tenant.schema_name):
                for n in numbers:
                    began = time.perf_counter()
                    with transaction.atomic():
                        send_email("otp", to=f"user{n}@example.com", context={"code": "493027"})
                    elapsed = time.perf_counter() - began
                    with lock:
                        latencies.append(elapsed)
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [
        threading.Thread(target=produce, args=(range(p, count, threads_count),))
        for p in range(threads_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, count / (time.perf_counter() - started)


def figures(name: str, latencies: list[float], rate: float) -> str:
    p50, p99 = (percentile(latencies, q) * 1000 for q in (50, 99))
    return f"{name:<34} {rate:8.0f}/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    port = 18000 + os.getpid() % 1000
    # The limit per token is not what is measured here.
    bench = Bench(sinks=0, env={"API_RATE_LIMIT": "1000000/minute"})
    gunicorn = None
    try:
        bench.setup_database()
        tenant = bench.tenant("api-bench")
        from django.contrib.auth import get_user_model
        from django_tenants.utils import tenant_context

        from accounts.api_tokens import api_token_create

        with tenant_context(tenant):
            token = api_token_create(
                actor=get_user_model().objects.get(), name="bench", scopes=["email:send"]
            ).plaintext
        gunicorn = start_gunicorn(port)
        host = f"{tenant.schema_name}.localhost"
        run_api(port, host, token, 100, args.clients)  # warm up every gunicorn worker
        run_in_process(tenant, 100, args.clients)

        print(f"POST /api/v1/emails vs send_email(), {args.clients} concurrent callers")
        for round_number in range(1, args.rounds + 1):
            api, api_rate = run_api(port, host, token, args.requests, args.clients)
            local, local_rate = run_in_process(tenant, args.requests, args.clients)
            added = (percentile(api, 50) - percentile(local, 50)) * 1000
            print(f"round {round_number}")
            print("  " + figures("API, gunicorn as shipped (3 workers)", api, api_rate))
            print("  " + figures("send_email() in-process + commit", local, local_rate))
            verdict = "met" if added <= 5 else "NOT met"
            print(f"  the API adds {added:.2f} ms p50 (target ≤ 5 ms: {verdict})")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait()
        bench.stop()


if __name__ == "__main__":
    main()
