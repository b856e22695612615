"""Fixed-window attempt counters in the cache (whose keys carry the tenant's schema).

For limits people meet in pages (password resets, re-checks); the mailer's exact send limits
are in mailer.ratelimit.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.core.cache import cache


class RateLimited(Exception):
    """Too many attempts; ``retry_after`` is how long until the window ends."""

    def __init__(self, message: str, *, retry_after: timedelta):
        self.retry_after = retry_after
        super().__init__(message)


def wait_text(retry_after: timedelta) -> str:
    minutes = max(1, round(retry_after.total_seconds() / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def key_part(value: str) -> str:
    """A fixed-length, non-revealing key component for an email address or other input."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def attempt_count(key: str, *, window: timedelta) -> tuple[int, timedelta]:
    """Count one attempt under ``key``: the attempts in this window and the time it has left."""
    seconds = int(window.total_seconds())
    now = time.time()
    # The count is created before the start, so it never outlives the window it counts.
    cache.add(f"{key}:count", 0, seconds)
    started = cache.get_or_set(f"{key}:start", now, seconds)
    try:
        count = cache.incr(f"{key}:count")
    except ValueError:  # the window ended between add() and incr()
        cache.set(f"{key}:count", 1, seconds)
        count = 1
    return count, timedelta(seconds=max(0.0, started + seconds - now))


def attempts_so_far(key: str, *, window: timedelta) -> tuple[int, timedelta]:
    """The attempts counted under ``key`` in its current window, without counting one more."""
    count = cache.get(f"{key}:count") or 0
    started = cache.get(f"{key}:start")
    if not count or started is None:
        return 0, timedelta(0)
    return count, timedelta(seconds=max(0.0, started + window.total_seconds() - time.time()))
