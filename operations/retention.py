"""Retention: nothing the platform writes grows without bound.

Finished outbox rows (sent or failed) go after RETENTION_OUTBOX_DAYS, connection-test rows
after RETENTION_CONNECTION_TESTS_DAYS, sessions (operators' and every tenant's) once expired,
the API's Idempotency-Keys once their 24 hours are over.
Deletes run in batches of RETENTION_BATCH_SIZE, each its own short transaction. The audit
log is never deleted here: ``manage.py audit_archive`` is its only way out.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from api.emails import IDEMPOTENCY_WINDOW
from cymmetri.db import delete_in_batches
from cymmetri.metrics import RETENTION_DELETED

logger = logging.getLogger(__name__)


def _purge(name: str, *, table: str, key: str, where: str, params: list) -> int:
    deleted = delete_in_batches(
        table=table, key=key, where=where, params=params, batch=settings.RETENTION_BATCH_SIZE
    )
    if deleted:
        RETENTION_DELETED.labels(name).inc(deleted)
        logger.info("Retention deleted %s rows of %s", deleted, name)
    return deleted


def outbox_purge(*, now=None) -> int:
    """Sent and failed emails finished more than RETENTION_OUTBOX_DAYS ago (every tenant's:
    the outbox is one public table)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_OUTBOX_DAYS)
    return _purge(
        "outbox",
        table="public.mailer_outboundemail",
        key="id",
        where="status IN ('sent', 'failed') AND finished_at < %s",
        params=[cutoff],
    )


def connection_tests_purge(*, now=None) -> int:
    """The current tenant's Test connection runs older than RETENTION_CONNECTION_TESTS_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_CONNECTION_TESTS_DAYS)
    return _purge(
        "connection_tests",
        table="smtp_integration_smtpconnectiontest",
        key="id",
        where="created_at < %s",
        params=[cutoff],
    )


def sessions_purge(*, now=None) -> int:
    """Expired sessions of the current schema (the operators' in public, else the tenant's)."""
    return _purge(
        "sessions",
        table="django_session",
        key="session_key",
        where="expire_date < %s",
        params=[now or timezone.now()],
    )


def idempotency_keys_purge(*, now=None) -> int:
    """The current tenant's API Idempotency-Keys past their window (24 hours): a key that
    comes back later is a new request anyway."""
    return _purge(
        "idempotency_keys",
        table="api_idempotentrequest",
        key="id",
        where="created_at < %s",
        params=[(now or timezone.now()) - IDEMPOTENCY_WINDOW],
    )
