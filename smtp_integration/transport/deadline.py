"""Overall deadlines: a shared watchdog that runs a callback when a deadline passes.

smtplib's timeout is per read: a server dripping one byte a second keeps a 2 s timeout alive
forever, so an overall deadline needs someone else to shut the socket down. One daemon thread
serves every connection; a threading.Timer per command would cost a thread start per email.
"""

import heapq
import itertools
import os
import threading
import time
from contextlib import contextmanager

from smtp_integration.transport.errors import SmtpTimeout

# Cancelled entries stay in the heap until they come due; rebuild it when they pile up.
_COMPACT_AFTER = 1024


class Watchdog:
    """Runs callbacks at time.monotonic() deadlines on one daemon thread."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        # After a fork the thread is gone and the lock may be held: start afresh.
        self._cond = threading.Condition()
        self._heap = []
        self._cancelled = 0
        self._counter = itertools.count()
        self._thread = None

    def arm(self, when: float, callback) -> list:
        """Call callback() at when unless disarmed first; returns the handle for disarm()."""
        entry = [when, next(self._counter), callback]
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smtp-deadline", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._cond.notify()
        return entry

    def disarm(self, entry: list) -> None:
        """Cancel a callback; once this returns, the callback is not running and never will."""
        with self._cond:
            if entry[2] is not None:
                entry[2] = None
                self._cancelled += 1
            if self._cancelled > _COMPACT_AFTER and self._cancelled * 2 > len(self._heap):
                self._heap = [e for e in self._heap if e[2] is not None]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self):
        with self._cond:
            while True:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                    self._cancelled = max(self._cancelled - 1, 0)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                entry = heapq.heappop(self._heap)
                callback, entry[2] = entry[2], None
                # Runs under the lock, so disarm() cannot return while it is half done.
                callback()


watchdog = Watchdog()


class Deadline:
    """One connection's overall time limit: on_expiry runs if it passes mid-operation."""

    def __init__(self, at: float | None, on_expiry):
        self.at = at  # a time.monotonic() instant, or None for no limit
        self.passed = False
        self._on_expiry = on_expiry

    @contextmanager
    def watch(self):
        """Arm the watchdog around one operation."""
        if self.at is None:
            yield
            return
        alarm = watchdog.arm(self.at, self._expire)
        try:
            yield
        finally:
            watchdog.disarm(alarm)

    def limit(self, seconds: float) -> float:
        """seconds, or less if the deadline comes first; SmtpTimeout if it has come."""
        if self.at is None:
            return seconds
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            self.passed = True
            raise SmtpTimeout("The time limit ran out")
        return min(seconds, remaining)

    def _expire(self) -> None:
        self.passed = True
        self._on_expiry()
