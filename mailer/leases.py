"""Keeping claims alive: a thread that renews this process's leases while it works on them.

Leases are short so that a dead worker's emails go to another worker quickly; a worker that is
alive renews them every third of a lease, so a slow server never makes a live worker lose an
email to another (which would send it twice). A worker that cannot renew stops sending the
emails of that claim before its lease could have run out.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from cymmetri.db import server_cursor

logger = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._renewed: dict[uuid.UUID, float] = {}  # token → time.monotonic() of its lease
        self._pid: int | None = None
        self._wake = threading.Event()

    @staticmethod
    def lease_seconds() -> float:
        return float(settings.MAILER_LEASE_SECONDS)

    def hold(self, token: uuid.UUID) -> None:
        """Renew ``token``'s leases (taken just now) until release()."""
        with self._lock:
            self._renewed[token] = time.monotonic()
            if self._pid != os.getpid():  # first use, or a forked child without the thread
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="mailer-leases", daemon=True).start()

    def release(self, token: uuid.UUID) -> None:
        with self._lock:
            self._renewed.pop(token, None)

    def remaining(self, token: uuid.UUID) -> float:
        """Seconds the lease surely lasts; 0 when it is not held (any more)."""
        with self._lock:
            renewed = self._renewed.get(token)
        if renewed is None:
            return 0.0
        return max(0.0, renewed + self.lease_seconds() - time.monotonic())

    def _run(self) -> None:
        while True:
            time.sleep(self.lease_seconds() / 3)
            with self._lock:
                tokens = list(self._renewed)
            if not tokens:
                continue
            try:
                renewed = self._renew(tokens)
            except DatabaseError:
                logger.warning("Could not renew leases; trying again.", exc_info=True)
                connection.close()
                continue
            with self._lock:
                for token in renewed:
                    if token in self._renewed:
                        self._renewed[token] = renewed[token]

    def _renew(self, tokens: list[uuid.UUID]) -> dict[uuid.UUID, float]:
        started = time.monotonic()
        with server_cursor() as cursor:
            cursor.execute(
                "WITH renewed AS (UPDATE public.mailer_outboundemail SET lease_expires_at = %s "
                "WHERE lease_token = ANY(%s) AND status = 'sending' RETURNING lease_token) "
                "SELECT DISTINCT lease_token FROM renewed",
                [timezone.now() + timedelta(seconds=self.lease_seconds()), tokens],
            )
            return {row[0]: started for row in cursor.fetchall()}


leases = LeaseKeeper()
