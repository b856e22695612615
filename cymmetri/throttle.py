"""Limits people meet on pages: fixed-window attempt counters in the cache.

Every page limit (sign-in, password reset, email change, Test connection, Re-check now) is a
``Throttle`` and raises ``RateLimited``. The cache's keys carry the tenant's schema, so one
tenant never uses up another's. The mailer's exact send limits are in mailer.ratelimit.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache


class RateLimited(Exception):
    """Too many attempts; ``retry_after`` is how long until the window ends."""

    def __init__(self, message: str, *, retry_after: timedelta, first: bool = False):
        self.retry_after = retry_after
        # The window's first refused attempt: the moment the limit was reached.
        self.first = first
        # With throttles_take(), every throttle that refused, and the refusal.
        self.refusals: list[tuple[Throttle, RateLimited]] = []
        super().__init__(message)


def wait_text(retry_after: timedelta) -> str:
    minutes = max(1, round(retry_after.total_seconds() / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def key_part(value: str) -> str:
    """A fixed-length, non-revealing key component for an email address or other input."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def network_key(ip: str) -> str:
    """The network a client address counts under: an IPv4 address, or an IPv6 /64 (one
    subscriber's allocation, so rotating through it gains nothing)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return key_part(ip)
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 6:
        return key_part(str(ipaddress.ip_network(f"{address}/64", strict=False)))
    return key_part(str(address))


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
            raise self._refusal(left, first=count == self.limit + 1)

    def give_back(self, subject: str = "") -> None:
        """Uncount one attempt taken with take() that turned out fine (a right password)."""
        # A window that ended meanwhile has nothing left to give back.
        with contextlib.suppress(ValueError):
            cache.decr(f"{self._key(subject)}:count")

    def wait(self, subject: str = "") -> timedelta | None:
        """How long until the next attempt is allowed; None while attempts remain."""
        key = self._key(subject)
        found = cache.get_many([f"{key}:count", f"{key}:start"])
        started = found.get(f"{key}:start")
        if (found.get(f"{key}:count") or 0) < self.limit or started is None:
            return None
        return timedelta(seconds=max(0.0, started + self.window.total_seconds() - time.time()))

    def remaining(self, subject: str = "") -> int:
        """Attempts left in the current window."""
        return max(0, self.limit - (cache.get(f"{self._key(subject)}:count") or 0))

    def reset(self, subject: str = "") -> None:
        """Forget the attempts counted in the current window."""
        key = self._key(subject)
        cache.delete_many([f"{key}:count", f"{key}:start"])

    def _key(self, subject: str) -> str:
        return f"{self.name}:{subject}" if subject else self.name

    def _refusal(self, left: timedelta, *, first: bool = False) -> RateLimited:
        message = self.message.format(wait=wait_text(left))
        return RateLimited(message, retry_after=left, first=first)

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


def throttles_take(slots: list[tuple[Throttle, str]]) -> None:
    """Count one attempt under each (throttle, subject), all of them even when one refuses;
    RateLimited with the longest wait if any is spent."""
    refusals = []
    for throttle, subject in slots:
        try:
            throttle.take(subject)
        except RateLimited as refusal:
            refusals.append((throttle, refusal))
    if refusals:
        longest = max((refusal for _, refusal in refusals), key=lambda r: r.retry_after)
        longest.refusals = refusals
        raise longest
