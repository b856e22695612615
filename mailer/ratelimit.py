"""Per-tenant send limits in Redis: a sliding window, atomic in one round trip.

The script reads Redis's own clock, so workers on several machines agree, and checks and
takes a slot in one step, so concurrent workers never overshoot: cap N means N sends.
An email that finds no slot is given the next free one in line (the window divided by the
limit apart from the one before), so a backlog waits spread over the slots it will get and
each email is claimed again only when its turn comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
    return 0
end
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], window)
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local free_at = tonumber(oldest[2]) + window
local gap = math.ceil(window / limit)
local next_in_line = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(free_at, next_in_line)
redis.call('SET', KEYS[2], at + gap, 'PX', at + gap - now_ms + window)
return math.max(1, at - now_ms)
"""


class RateLimiterUnavailable(Exception):
    """Redis could not be asked; the email waits rather than risk exceeding the limit."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until this email's turn; 0 when allowed


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@cache
def _script(url: str):
    return _client(url).register_script(_SLIDING_WINDOW)


def rate_key(schema_name: str, transport: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:ratelimit:{schema_name}:{transport}"


def rate_acquire(*, key: str, limit: int, window_seconds: int, token: str) -> Decision:
    """Take one slot for ``token`` (an email id: taking it again is free) if there is room."""
    try:
        wait_ms = _script(settings.REDIS_URL)(
            keys=[key, f"{key}:line"], args=[window_seconds * 1000, limit, token]
        )
    except redis.RedisError as exc:
        raise RateLimiterUnavailable(str(exc)) from exc
    wait_ms = int(wait_ms)
    return Decision(allowed=wait_ms == 0, retry_after=wait_ms / 1000)
