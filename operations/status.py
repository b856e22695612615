"""The deep status operators read in /readyz?deep=1 and ``manage.py mailer_status``: live
workers and their queues, beat's last tick, the sweeper's and the daily deliverability
check's last runs, the outbox's queue and lag, and paused tenants."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from cymmetri.heartbeat import Mark, marks_read, workers_read
from mailer.selectors import outbox_sample
from tenants.selectors import tenants_email_trouble

# The daily re-check runs once a day: later than this, it missed a run.
DAILY_LATE_SECONDS = 26 * 3600


@dataclass
class Check:
    name: str
    ok: bool
    summary: str
    detail: dict = field(default_factory=dict)


@dataclass
class Status:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[str]:
        return [check.name for check in self.checks if not check.ok]

    def as_dict(self) -> dict:
        return {
            "status": "ok" if self.ok else "fail",
            "failed": self.failed,
            "checks": {c.name: {"ok": c.ok, "summary": c.summary, **c.detail} for c in self.checks},
        }


def _ago(at: float | None) -> str:
    if at is None:
        return "never"
    seconds = max(0, time.time() - at)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _workers() -> list[Check]:
    workers = workers_read()
    checks = []
    for label, queue in (
        ("workers_email", settings.CELERY_TASK_DEFAULT_QUEUE),
        ("workers_probes", settings.CELERY_PROBE_QUEUE),
    ):
        serving = [w for w in workers if queue in w["queues"]]
        names = ", ".join(f"{w['hostname']} ({w['pool']} × {w['concurrency']})" for w in serving)
        checks.append(
            Check(
                label,
                bool(serving),
                f"{len(serving)} on queue {queue}: {names}" if serving else f"none on {queue}",
                {"queue": queue, "workers": serving},
            )
        )
    return checks


def _late(name: str, mark: dict | None, *, late_after: float, never_ok: bool) -> Check:
    at = mark["at"] if mark else None
    if at is None:
        return Check(name, never_ok, "never ran" + (" yet" if never_ok else ""), {"at": None})
    age = time.time() - at
    return Check(
        name,
        age <= late_after,
        f"last {_ago(at)}" + ("" if age <= late_after else f" (late: over {late_after:.0f} s)"),
        {"at": at, "age_seconds": round(age, 1)},
    )


def _periodic_late() -> float:
    return max(60.0, 6 * settings.MAILER_SWEEP_SECONDS)


def worker_check(hostname: str) -> Check:
    """Whether the worker ``hostname`` (celery@host) has a live heartbeat."""
    [seen] = [w for w in workers_read() if w["hostname"] == hostname] or [None]
    if seen is None:
        return Check("worker", False, f"no heartbeat from {hostname}")
    queues = ", ".join(seen["queues"])
    return Check("worker", True, f"{hostname} alive on {queues}", seen)


def beat_check() -> Check:
    mark = marks_read([Mark.BEAT])[Mark.BEAT]
    return _late("beat", mark, late_after=_periodic_late(), never_ok=False)


def _marks() -> list[Check]:
    marks = marks_read([Mark.BEAT, Mark.SWEEP, Mark.DELIVERABILITY])
    periodic_late = _periodic_late()
    return [
        _late("beat", marks[Mark.BEAT], late_after=periodic_late, never_ok=False),
        _late("sweeper", marks[Mark.SWEEP], late_after=periodic_late, never_ok=False),
        # A new deployment has not reached its first 04:17 yet: not a fault.
        _late(
            "deliverability_daily",
            marks[Mark.DELIVERABILITY],
            late_after=DAILY_LATE_SECONDS,
            never_ok=True,
        ),
    ]


def _outbox() -> Check:
    routes = outbox_sample().values()
    queued = sum(route.queued for route in routes)
    due = sum(route.due for route in routes)
    oldest = max(route.oldest_due_seconds for route in routes)
    limit = settings.OPS_OUTBOX_LAG_SECONDS
    return Check(
        "outbox",
        oldest <= limit,
        f"{queued} queued, {due} due, oldest due waiting {oldest:.1f} s"
        + ("" if oldest <= limit else f" (over {limit} s)"),
        {"queued": queued, "due": due, "oldest_due_seconds": round(oldest, 1)},
    )


def _paused() -> Check:
    trouble = tenants_email_trouble()
    paused = trouble["paused"]
    # A paused tenant is its admins' to fix (they were told): shown, but not a fault.
    return Check(
        "paused_tenants",
        True,
        f"{len(paused)} paused" + (f": {', '.join(paused[:20])}" if paused else ""),
        {"paused": paused, "deliverability_red": trouble["degraded"]},
    )


def status_read() -> Status:
    """Every deep check; one that cannot be made (Redis or PostgreSQL down) fails by name."""
    checks: list[Check] = []
    for name, read in (
        ("workers", _workers),
        ("marks", _marks),
        ("outbox", lambda: [_outbox()]),
        ("paused_tenants", lambda: [_paused()]),
    ):
        try:
            checks += read()
        except Exception as exc:
            checks.append(Check(name, False, f"could not be read: {type(exc).__name__}: {exc}"))
    return Status(checks)
