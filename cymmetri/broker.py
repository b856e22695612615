"""The Redis transport for Celery, with one change: a worker survives losing its broker.

When the connection to Redis drops (a restart), kombu closes the channel; acknowledging a
message, or putting the unacknowledged ones back in the queue, then goes through the
connection that is gone, and in kombu 5.7 that raises an AttributeError that kills the worker
("'NoneType' object has no attribute 'hostname'"). Here an acknowledgement without a
connection is the connection error it is (logged, the worker reconnects), and a restore that
cannot be done is skipped and logged. Nothing is lost by it: the mailer's state lives in
PostgreSQL, its tasks are only wake-ups, and the beat tick wakes a worker for what is due.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import redis as redis_client
from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    @contextmanager
    def pipe_or_acquire(self, pipe=None, client=None):
        connection = self.channel.connection
        if pipe is None and client is None and (connection is None or connection.client is None):
            raise redis_client.ConnectionError("The connection to the broker is closed.")
        with super().pipe_or_acquire(pipe, client) as acquired:
            yield acquired

    def restore_unacked(self, client=None):
        try:
            return super().restore_unacked(client)
        except Exception:  # the connection it would restore through is gone
            logger.warning(
                "Could not put %s unacknowledged messages back: the broker went away.",
                len(self._delivered),
                exc_info=True,
            )
            self._delivered.clear()
            return None


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
