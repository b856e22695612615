"""Retention deletes exactly what is past its period, in batches, and nothing else."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.models import AuditArchive, AuditEvent
from mailer.models import OutboundEmail
from operations.retention import (
    connection_tests_purge,
    idempotency_keys_purge,
    outbox_purge,
    sessions_purge,
)
from operations.tasks import retention_task
from smtp_integration.models import SmtpConnectionTest
from tests.mailer.helpers import outbound_email
from tests.support import TENANTS, wait_for


@pytest.fixture
def small_batches(settings):
    # Several batches for a handful of rows: the loop is what runs on a real table.
    settings.RETENTION_BATCH_SIZE = 2


def connection_test(*, days_ago: float) -> SmtpConnectionTest:
    row = SmtpConnectionTest.objects.create(
        actor_email="admin@example.com", host="smtp.example.com", port=587,
        tls_mode="starttls", outcome="passed", fingerprint="f" * 64,
    )  # fmt: skip
    created = timezone.now() - timedelta(days=days_ago)
    SmtpConnectionTest.objects.filter(pk=row.pk).update(created_at=created)
    return row


def session(key: str, *, expires_in: timedelta) -> Session:
    return Session.objects.create(
        session_key=key, session_data="e30", expire_date=timezone.now() + expires_in
    )


def test_finished_emails_past_thirty_days_are_deleted_and_nothing_else(in_tenant_a, small_batches):
    old = [outbound_email("sent", days_ago=31) for _ in range(3)]
    old += [outbound_email("failed", days_ago=30.01) for _ in range(2)]
    kept = [
        outbound_email("sent", days_ago=29.9),
        outbound_email("failed", days_ago=1),
        # Not finished: however old, an email still to go is never deleted by retention.
        outbound_email("queued", days_ago=45),
        outbound_email("sending", days_ago=45),
    ]

    deleted = outbox_purge()

    assert deleted == len(old)
    remaining = set(OutboundEmail.objects.values_list("pk", flat=True))
    assert remaining == {email.pk for email in kept}


def test_the_outbox_period_is_a_setting(in_tenant_a, settings):
    settings.RETENTION_OUTBOX_DAYS = 7
    week_old = outbound_email("sent", days_ago=8)
    recent = outbound_email("sent", days_ago=6)

    assert outbox_purge() == 1
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OutboundEmail.objects.filter(pk=week_old.pk).exists()


def test_connection_tests_and_expired_sessions_of_a_tenant_go_and_live_ones_stay(
    in_tenant_a, small_batches
):
    for _ in range(3):
        connection_test(days_ago=31)
    kept_test = connection_test(days_ago=29)
    for n in range(5):
        session(f"expired{n:028d}", expires_in=timedelta(seconds=-1))
    live = session("live" + "0" * 28, expires_in=timedelta(hours=1))

    assert connection_tests_purge() == 3
    assert sessions_purge() == 5
    assert list(SmtpConnectionTest.objects.values_list("pk", flat=True)) == [kept_test.pk]
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_idempotency_keys_go_once_their_day_is_over(in_tenant_a, small_batches):
    from api.models import IdempotentRequest

    now = timezone.now()
    for n, hours in enumerate([25, 30, 48, 23]):
        IdempotentRequest.objects.create(
            key=f"key-{n}",
            request_hash="0" * 64,
            status_code=202,
            response={},
            created_at=now - timedelta(hours=hours),
        )

    assert idempotency_keys_purge() == 3
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["key-3"]


def test_the_daily_task_cleans_the_outbox_operators_and_every_tenant_through_the_worker(
    committed, tenant_a, tenant_b, use_celery_worker
):
    with schema_context(TENANTS["a"].schema):
        old_email = outbound_email("sent", days_ago=40, tenant=tenant_a)
        kept_email = outbound_email("sent", days_ago=2, tenant=tenant_a)
    for info in TENANTS.values():
        with schema_context(info.schema):
            connection_test(days_ago=40)
            session("expired" + info.schema[:25].ljust(25, "x"), expires_in=timedelta(days=-1))
            session("live" + info.schema[:28].ljust(28, "x"), expires_in=timedelta(days=1))
    operator_session = session("expired-operator" + "x" * 16, expires_in=timedelta(days=-1))

    retention_task.delay()

    def tenant_rows() -> int:
        count = 0
        for info in TENANTS.values():
            with schema_context(info.schema):
                count += SmtpConnectionTest.objects.count() + Session.objects.count()
        return count

    wait_for(lambda: tenant_rows() == 2, timeout=20, message="tenants' old rows remain")
    assert not Session.objects.filter(pk=operator_session.pk).exists()
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [kept_email.pk]
    assert not OutboundEmail.objects.filter(pk=old_email.pk).exists()
    for info in TENANTS.values():
        with schema_context(info.schema):
            assert list(Session.objects.values_list("session_key", flat=True)) == [
                "live" + info.schema[:28].ljust(28, "x")
            ]


# --- the audit log: archived, never simply deleted -------------------------------------------


def event(*, days_ago: float, action="email.sent") -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        created_at=timezone.now() - timedelta(days=days_ago),
        recipient="someone@example.com",
        metadata={"kind": "otp"},
    )


def test_audit_archive_moves_old_events_to_a_compressed_file_in_one_audited_step(db, tmp_path):
    old = [event(days_ago=400 - n) for n in range(3)]
    recent = [event(days_ago=100), event(days_ago=1)]
    path = tmp_path / "audit-2025.jsonl.gz"

    call_command("audit_archive", "--older-than-days", "365", "--output", str(path))

    with gzip.open(path, "rt") as archived:
        lines = [json.loads(line) for line in archived]
    assert [line["id"] for line in lines] == [e.pk for e in old]
    assert lines[0]["recipient"] == "someone@example.com"
    assert lines[0]["metadata"] == {"kind": "otp"}
    assert lines[0]["created_at"] == old[0].created_at.isoformat()
    archive = AuditArchive.objects.get()
    assert archive.events == 3
    assert archive.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    mine = AuditEvent.objects.filter(pk__in=[e.pk for e in old + recent])
    assert set(mine.values_list("pk", flat=True)) == {e.pk for e in recent}
    record = AuditEvent.objects.get(action="audit.archived")
    assert record.metadata["events"] == 3
    assert record.metadata["sha256"] == archive.sha256
    assert record.metadata["file"] == str(path)


def test_audit_events_still_cannot_be_deleted_or_changed_by_anything_else(db, tmp_path):
    old = event(days_ago=400)
    call_command("audit_archive", "--older-than-days", "365", "--output", str(tmp_path / "a.gz"))
    young = event(days_ago=400)  # written after the archive: not in it

    for refused in (
        lambda: AuditEvent.objects.filter(pk=young.pk).delete(),
        lambda: AuditEvent.objects.filter(pk=young.pk).update(action="x"),
        lambda: AuditArchive.objects.all().delete(),
        lambda: AuditArchive.objects.update(events=0),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            refused()
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_a_plain_delete_of_old_events_is_refused_without_an_archive(db):
    old = event(days_ago=400)

    with (
        pytest.raises(DatabaseError, match="audit_archive"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])
    assert AuditEvent.objects.filter(pk=old.pk).exists()


def test_audit_archive_never_overwrites_a_file_and_says_when_there_is_nothing(db, tmp_path):
    existing = tmp_path / "kept.jsonl.gz"
    existing.write_bytes(b"earlier archive")
    event(days_ago=400)

    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_archive", "--older-than-days", "365", "--output", str(existing))
    assert existing.read_bytes() == b"earlier archive"
    assert AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=365)).count()

    nothing = tmp_path / "none.gz"
    call_command("audit_archive", "--older-than-days", "3650", "--output", str(nothing))
    assert not nothing.exists()
