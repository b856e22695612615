"""Waking the workers: one "kick" for the whole outbox instead of one task per email.

After a commit that queued email, the kick key is set in Redis with NX: only the first commit
of a burst publishes a drain task; the rest cost one Redis round trip. A drain clears the
key before it claims, so an email committed later either sees the key gone (and kicks
again) or is committed before the claim (and is claimed). No task ever waits in the broker
for a later time: the beat tick wakes workers for emails that become due later.
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

# A kick whose task was lost (a killed worker) expires, so the next email or beat tick kicks
# again.
KICK_TTL_SECONDS = 3


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:mailer:kick"


def _draining_key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:mailer:draining"


def email_wake() -> bool:
    """Make sure a drain task is on its way; False when the broker is down."""
    client = _client(settings.REDIS_URL)
    try:
        if not client.set(_key(), 1, nx=True, ex=KICK_TTL_SECONDS):
            return True  # a drain task is already queued and has not started yet
        # Drains work across tenants: sent from the public schema, whoever queued the email.
        with schema_context("public"):
            email_drain_task.apply_async(retry=False)
    except Exception:  # Redis or the broker is down: the beat tick catches up later
        logger.warning("Could not wake a worker; the beat tick will.", exc_info=True)
        _forget(client)
        return False
    return True


def email_wake_if_idle() -> bool:
    """The beat tick's wake-up: only when no drain is at work (a drain that is working, or
    waiting for an email about to be due, sends what becomes due itself)."""
    try:
        if _client(settings.REDIS_URL).exists(_draining_key()):
            return True
    except redis.RedisError:
        pass  # unknown: wake one, at worst for nothing
    return email_wake()


def email_draining(seconds: float) -> None:
    """Note that a drain is at work for the next ``seconds``."""
    with contextlib.suppress(redis.RedisError):
        _client(settings.REDIS_URL).set(_draining_key(), 1, px=int(seconds * 1000))


def email_draining_done() -> None:
    with contextlib.suppress(redis.RedisError):
        _client(settings.REDIS_URL).delete(_draining_key())


def email_wake_clear() -> None:
    """Called by a drain task before it claims: later commits must kick again."""
    _forget(_client(settings.REDIS_URL))


def _forget(client: redis.Redis) -> None:
    with contextlib.suppress(redis.RedisError):  # else the key expires by itself
        client.delete(_key())
