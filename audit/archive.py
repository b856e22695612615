"""Archiving old audit events: the one way events leave the audit log.

The events older than a cutoff are written to a gzip-compressed JSON Lines file (one event
a line, oldest first), the file is flushed to disk and its SHA-256 taken; then, in one
transaction, an AuditArchive row is recorded (which the database requires before it lets
any audit event go), exactly the events written are deleted, and an ``audit.archived`` event
says who archived what, where. If anything differs, nothing is deleted.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Max

from audit.models import AuditAction, AuditArchive, AuditEvent
from audit.services import audit_record

FIELDS = ("id", "created_at", "tenant_id", "action", "actor_id", "actor_email", "target")
FIELDS += ("recipient", "metadata", "ip")


class ArchiveError(RuntimeError):
    pass


@dataclass(frozen=True)
class ArchiveResult:
    events: int
    path: Path | None
    sha256: str = ""


def _line(event: dict) -> str:
    event["created_at"] = event["created_at"].isoformat()
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write(path: Path, events) -> tuple[int, str]:
    partial = path.with_name(path.name + ".partial")
    count = 0
    with open(partial, "xb") as raw:
        with gzip.GzipFile(filename=path.name.removesuffix(".gz"), mode="wb", fileobj=raw) as gz:
            for event in events:
                gz.write(_line(event).encode())
                count += 1
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)
    digest = hashlib.sha256()
    with open(path, "rb") as written:
        for chunk in iter(lambda: written.read(1 << 20), b""):
            digest.update(chunk)
    return count, digest.hexdigest()


def audit_archive(*, cutoff: datetime, path: Path, operator: str) -> ArchiveResult:
    """Move audit events created before ``cutoff`` to ``path`` (created; never overwritten)."""
    old = AuditEvent.objects.filter(created_at__lt=cutoff)
    last_id = old.aggregate(last=Max("id"))["last"]
    if last_id is None:
        return ArchiveResult(0, None)
    if path.exists():
        raise ArchiveError(f"{path} exists already; choose another file.")
    chosen = old.filter(id__lte=last_id).order_by("id")
    count, sha256 = _write(path, chosen.values(*FIELDS).iterator(chunk_size=2000))
    with transaction.atomic():
        connection.set_schema_to_public()
        AuditArchive.objects.create(
            cutoff=cutoff, last_event_id=last_id, events=count, file_name=str(path), sha256=sha256
        )
        deleted, _ = chosen.order_by().delete()
        if deleted != count:
            raise ArchiveError(
                f"{count} events were written but {deleted} matched at deletion; nothing was "
                f"deleted. {path} may be removed."
            )
        audit_record(
            AuditAction.AUDIT_ARCHIVED,
            tenant=None,
            target=f"audit_archive:{path.name}",
            metadata={
                "events": count,
                "cutoff": cutoff.isoformat(),
                "last_event_id": last_id,
                "file": str(path),
                "sha256": sha256,
                "operator": operator,
            },
        )
    return ArchiveResult(count, path, sha256)
