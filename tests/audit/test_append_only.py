import pytest
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from audit.services import AuditMetadataError, audit_record


@pytest.fixture
def event(db):
    return audit_record("email.sent", recipient="user@example.com", metadata={"kind": "otp"})


def test_an_event_cannot_be_changed(event):
    event.recipient = "someone-else@example.com"
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="email.send_failed")
    event.refresh_from_db()
    assert event.recipient == "user@example.com"


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        event.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_metadata_refuses_what_looks_like_a_secret(db):
    with pytest.raises(AuditMetadataError, match="password"):
        audit_record("admin.integration_email_smtp_updated", metadata={"password": "x"})
    with pytest.raises(AuditMetadataError, match=r"smtp\.api_key"):
        audit_record("admin.integration_email_smtp_updated", metadata={"smtp": {"api_key": "x"}})
    ok = audit_record(
        "admin.integration_email_smtp_updated",
        metadata={"changed_fields": ["host", "password"], "password_changed": True},
    )
    assert ok.metadata["changed_fields"] == ["host", "password"]
