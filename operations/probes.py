"""Readiness probes: PostgreSQL reachable and migrated, Redis and the broker reachable.

Each probe runs in a thread of its own and gets at most PROBE_SECONDS: a probe that hangs
(a black-holed address) is reported as timed out, never holds the answer back.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from cymmetri.heartbeat import redis_for

PROBE_SECONDS = 1.0


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    ms: float
    error: str = ""  # what failed, for operators
    kind: str = ""  # the error's class: all an anonymous caller is told


@cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    """The latest migration of every app whose tables live in the public schema (read from
    disk once per process)."""
    shared = {name.rsplit(".", 1)[-1] for name in settings.SHARED_APPS}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return frozenset(node for node in graph.leaf_nodes() if node[0] in shared)


def _database() -> None:
    expected = _expected_migrations()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [int(PROBE_SECONDS * 1000)])
            cursor.execute(
                "SELECT app, name FROM public.django_migrations WHERE app = ANY(%s)",
                [sorted({app for app, _ in expected})],
            )
            applied = set(cursor.fetchall())
    finally:
        # The probe's thread ends here: its connection must not outlive it.
        connections.close_all()
    missing = sorted(f"{app}.{name}" for app, name in expected - applied)
    if missing:
        raise RuntimeError(f"not migrated: {', '.join(missing)} not applied")


def _redis() -> None:
    redis_for(settings.REDIS_URL).ping()


def _broker() -> None:
    redis_for(settings.CELERY_BROKER_URL).ping()


PROBES = {"database": _database, "redis": _redis, "broker": _broker}


def _timed(name: str, probe) -> ProbeResult:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:
        ms = (time.perf_counter() - started) * 1000
        return ProbeResult(
            name, False, ms, f"{type(exc).__name__}: {exc}"[:300], type(exc).__name__
        )
    return ProbeResult(name, True, (time.perf_counter() - started) * 1000)


def probes_run() -> list[ProbeResult]:
    """Every probe at once, each within PROBE_SECONDS."""
    executor = ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="readyz")
    futures = {name: executor.submit(_timed, name, probe) for name, probe in PROBES.items()}
    wait(futures.values(), timeout=PROBE_SECONDS)
    executor.shutdown(wait=False, cancel_futures=True)
    timeout_ms = PROBE_SECONDS * 1000
    return [
        future.result()
        if future.done()
        else ProbeResult(
            name, False, timeout_ms, f"no answer within {PROBE_SECONDS:g} s", "Timeout"
        )
        for name, future in futures.items()
    ]
