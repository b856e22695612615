"""Per-tenant send limits in Redis: a sliding window, atomic in one round trip.

The window holds sends and booked slots. An email gets the earliest time at which it keeps
every window within the limit: now, or the time of the send ``limit`` places before it plus
the window. A later time is booked for it, and the email waits until then; coming back, its
booking lets it through. So a backlog waits spread over the slots it will get, and each
email is claimed again only when its turn has come. The script reads Redis's own clock, so
workers on several machines agree, and decides and books in one step, so concurrent workers
never overshoot: cap N means N sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

# KEYS[1]: the window; ARGV: window (ms), limit, token, longest wait worth booking (ms).
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
local booked = redis.call('ZSCORE', KEYS[1], ARGV[3])
if booked then
    -- Taken before (a retry) or booked for later: through once its time has come.
    return math.max(0, tonumber(booked) - now_ms)
end
local slot = now_ms
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
    local earlier = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    slot = math.max(now_ms, tonumber(earlier[2]) + window)
end
if slot - now_ms > tonumber(ARGV[4]) then
    return slot - now_ms  -- not worth booking: the email would expire first
end
redis.call('ZADD', KEYS[1], slot, ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], tonumber(last[2]) - now_ms + window)
return slot - now_ms
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


def rate_acquire(
    *, key: str, limit: int, window_seconds: int, token: str, max_wait: float
) -> Decision:
    """A slot for ``token`` (an email id: asking again is free): now, or booked for when it
    comes (unless that is more than ``max_wait`` seconds away)."""
    try:
        wait_ms = _script(settings.REDIS_URL)(
            keys=[key], args=[window_seconds * 1000, limit, token, int(max_wait * 1000)]
        )
    except redis.RedisError as exc:
        raise RateLimiterUnavailable(str(exc)) from exc
    wait_ms = int(wait_ms)
    return Decision(allowed=wait_ms == 0, retry_after=wait_ms / 1000)
