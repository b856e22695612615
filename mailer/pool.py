"""SMTP connections kept open between emails, per worker thread, by route.

A route's key carries the tenant, the config's row and version: after a Save or a toggle
the next email gets a new key, and the connections of older versions are closed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from mailer.routing import Route
from smtp_integration.transport import Reason, SendResult, SmtpConnection, SmtpError, Step
from tenants.models import EmailTransport

# Providers drop idle sessions after a while; past these a connection is checked or replaced.
CHECK_AFTER_IDLE = 10.0
DROP_AFTER_IDLE = 60.0
OPEN_DEADLINE = 30.0
SEND_DEADLINE = 60.0


@dataclass
class _Entry:
    connection: SmtpConnection
    last_used: float


class ConnectionPool:
    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def _entries(self) -> dict[tuple, _Entry]:
        if not hasattr(self._local, "entries"):
            self._local.entries = {}
        return self._local.entries

    def connection(self, route: Route, *, deadline: float) -> SmtpConnection:
        """An open connection for ``route``, reused when it is still healthy.

        Opening and the next send are cut off at ``deadline`` (a time.monotonic() instant)
        at the latest: a step never outlives its lease.
        """
        entries = self._entries
        now = time.monotonic()
        family = route.pool_key[:-1] if route.pool_key[0] == EmailTransport.CUSTOM else None
        for key, other in list(entries.items()):
            replaced = family is not None and key[:-1] == family and key != route.pool_key
            if replaced or now - other.last_used > DROP_AFTER_IDLE:
                self._close(key)
        entry = entries.get(route.pool_key)
        if entry is not None:
            idle = now - entry.last_used
            entry.connection.deadline = min(now + SEND_DEADLINE, deadline)
            if idle < CHECK_AFTER_IDLE or (idle < DROP_AFTER_IDLE and entry.connection.noop()):
                entry.last_used = now
                return entry.connection
            self._close(route.pool_key)
        connection = SmtpConnection(
            route.server, route.policy, deadline=min(now + OPEN_DEADLINE, deadline)
        )
        connection.open()
        connection.deadline = min(time.monotonic() + SEND_DEADLINE, deadline)
        entries[route.pool_key] = _Entry(connection, time.monotonic())
        return connection

    def send(
        self, route: Route, message, *, deadline: float, from_addr: str, to_addrs: list[str]
    ) -> SendResult:
        """Send ``message`` over the route's connection, opened or reused.

        A reused session that the server closed while it sat idle (providers do, at times of
        their choosing) fails at its first command, before anything was handed over: that
        send is made again once on a new connection, as if the old one had not been kept.
        """
        reused = route.pool_key in self._entries
        smtp = self.connection(route, deadline=deadline)
        try:
            return smtp.send(message, from_addr=from_addr, to_addrs=to_addrs)
        except SmtpError as error:
            dropped = error.step == Step.MAIL_FROM and error.reason == Reason.CONNECTION_LOST
            if not (reused and dropped):
                raise
        self._close(route.pool_key)
        smtp = self.connection(route, deadline=deadline)
        return smtp.send(message, from_addr=from_addr, to_addrs=to_addrs)

    def discard(self, route: Route) -> None:
        """Forget the route's connection after an error left it in an unknown state."""
        self._close(route.pool_key)

    def close_all(self) -> None:
        """Close every connection of this thread (after an error of unknown origin)."""
        for key in list(self._entries):
            self._close(key)

    def _close(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            entry.connection.close()


pool = ConnectionPool()
