"""Waking the workers: one "kick" per tenant instead of one task per email.

After a commit that queued email, the tenant's kick key is set in Redis with NX: only the
first commit of a burst publishes a drain task; the rest cost one Redis round trip. The
drain task clears the key before it claims, so an email committed later either sees the
key gone (and kicks again) or is committed before the claim (and is claimed).
"""

from __future__ import annotations

import contextlib
import logging
from functools import cache

import redis
from django.conf import settings
from django_tenants.utils import schema_context

from mailer.tasks import email_drain_task

logger = logging.getLogger(__name__)

# A kick whose task was lost (a killed worker) expires, so the next email kicks again.
KICK_TTL_SECONDS = 10


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _key(schema_name: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:mailer:kick:{schema_name}"


def email_wake(schema_name: str, *, countdown: float | None = None) -> bool:
    """Make sure a drain task is on its way for the tenant; False when the broker is down."""
    client = _client(settings.REDIS_URL)
    try:
        if countdown is None and not client.set(_key(schema_name), 1, nx=True, ex=KICK_TTL_SECONDS):
            return True  # a drain task is already queued and has not started yet
        # The schema travels in the task's headers, taken from the connection at send time.
        with schema_context(schema_name):
            email_drain_task.apply_async(countdown=countdown, retry=False)
    except Exception:  # Redis or the broker is down: the sweeper catches up later
        logger.warning(
            "Could not wake a worker for %s; the sweeper will.", schema_name, exc_info=True
        )
        if countdown is None:
            _forget(client, schema_name)
        return False
    return True


def email_wake_clear(schema_name: str) -> None:
    """Called by the drain task before it claims: later commits must kick again."""
    _forget(_client(settings.REDIS_URL), schema_name)


def _forget(client: redis.Redis, schema_name: str) -> None:
    with contextlib.suppress(redis.RedisError):  # else the key expires by itself
        client.delete(_key(schema_name))
