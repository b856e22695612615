"""Limits people meet on pages: fixed-window attempt counters in the cache.

Every page limit (sign-in, password reset, email change, Test connection, Re-check now) is a
``Throttle`` and raises ``RateLimited``. The cache's keys carry the tenant's schema, so one
tenant never uses up another's. The mailer's exact send limits are in mailer.ratelimit.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Throttle:
    """``limit`` attempts per ``window`` under ``name`` and a subject (an address, a user id).

    ``message`` is what the person sees when the limit is reached; ``{wait}`` in it becomes
    "about N minutes".
    """

    name: str
    limit: int
    window: timedelta
    message: str

    def take(self, subject: str = "") -> None:
        """Count one attempt; RateLimited when it is over the limit."""
        count, left = self._count(self._key(subject))
        if count > self.limit:
            raise self._refusal(left)

    def check(self, subject: str = "") -> None:
        """RateLimited if the limit is already reached, without counting an attempt."""
        key = self._key(subject)
        count = cache.get(f"{key}:count") or 0
        started = cache.get(f"{key}:start")
        if count >= self.limit and started is not None:
            left = started + self.window.total_seconds() - time.time()
            raise self._refusal(timedelta(seconds=max(0.0, left)))

    def count(self, subject: str = "") -> None:
        """Count one attempt that has already been allowed (a failure after check())."""
        self._count(self._key(subject))

    def remaining(self, subject: str = "") -> int:
        """Attempts left in the current window."""
        return max(0, self.limit - (cache.get(f"{self._key(subject)}:count") or 0))

    def reset(self, subject: str = "") -> None:
        """Forget the attempts counted in the current window."""
        key = self._key(subject)
        cache.delete_many([f"{key}:count", f"{key}:start"])

    def _key(self, subject: str) -> str:
        return f"{self.name}:{subject}" if subject else self.name

    def _refusal(self, left: timedelta) -> RateLimited:
        return RateLimited(self.message.format(wait=wait_text(left)), retry_after=left)

    def _count(self, key: str) -> tuple[int, timedelta]:
        seconds = int(self.window.total_seconds())
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
