"""Heartbeats in Redis: which workers are alive (and on which queues), when beat last ticked
and when periodic jobs last ran. Read by /readyz?deep=1 and ``manage.py mailer_status``.

A worker's heartbeat is a key with a TTL that a thread of the worker renews every third of
it: a worker killed outright (SIGKILL, OOM) disappears within the TTL, one stopped cleanly at
once. Beat and periodic jobs leave a timestamp that stays for a week: how old it is says
whether they still run.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from functools import cache

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

# How long "last ran" marks stay (longer than the longest period: daily jobs).
MARK_TTL = 8 * 86400
# Beat writes its mark at most this often (it may tick many times a second).
BEAT_MARK_EVERY = 1.0


class Mark:
    """The periodic things whose last run is recorded."""

    BEAT = "beat"
    SWEEP = "sweep"
    DELIVERABILITY = "deliverability"
    RETENTION = "retention"


@cache
def redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_client() -> redis.Redis:
    return redis_for(settings.REDIS_URL)


def _key(*parts: str) -> str:
    return ":".join([settings.CACHE_KEY_PREFIX, "ops", *parts])


def mark_record(name: str, **data) -> None:
    """Record that ``name`` ran now; never fails its caller (Redis may be down)."""
    try:
        redis_client().set(_key("mark", name), json.dumps({"at": time.time(), **data}), ex=MARK_TTL)
    except redis.RedisError as exc:
        logger.warning("Could not record the %s mark: %s", name, exc)


def marks_read(names: list[str]) -> dict[str, dict | None]:
    values = redis_client().mget([_key("mark", name) for name in names])
    return {
        name: json.loads(value) if value else None
        for name, value in zip(names, values, strict=True)
    }


def workers_read() -> list[dict]:
    """The heartbeats of live workers (hostname, queues, pool, concurrency, pid, at)."""
    client = redis_client()
    keys = sorted(client.scan_iter(match=_key("worker", "*"), count=500))
    values = client.mget(keys) if keys else []
    return [json.loads(value) for value in values if value]


class WorkerHeartbeat:
    """A thread of the worker's main process that renews its heartbeat key."""

    def __init__(self, *, hostname: str, queues: list[str], pool: str, concurrency: int):
        self.key = _key("worker", hostname)
        self.ttl = settings.HEARTBEAT_TTL_SECONDS
        self.payload = {
            "hostname": hostname,
            "queues": sorted(queues),
            "pool": pool,
            "concurrency": concurrency,
            "pid": os.getpid(),
            "started": time.time(),
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> WorkerHeartbeat:
        self._beat()
        self._thread.start()
        return self

    def _beat(self) -> None:
        try:
            value = json.dumps({**self.payload, "at": time.time()})
            redis_client().set(self.key, value, ex=self.ttl)
        except redis.RedisError as exc:
            logger.warning("Could not renew the worker's heartbeat: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self._beat()

    def stop(self) -> None:
        self._stop.set()
        try:
            redis_client().delete(self.key)
        except redis.RedisError:
            logger.warning("Could not remove the worker's heartbeat; it expires by itself.")


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, recording each tick (at most once a second)."""

    _marked = 0.0

    def tick(self, *args, **kwargs):
        delay = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._marked >= BEAT_MARK_EVERY:
            self._marked = now
            mark_record(Mark.BEAT, pid=os.getpid())
        return delay
