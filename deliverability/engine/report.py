"""What a deliverability check returns: rows the tab renders, stored as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

REPORT_VERSION = 1


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - green; a status, not a password
    WARNING = "warning"  # amber
    FAIL = "fail"  # red
    UNKNOWN = "unknown"  # grey: DNS could not be checked, re-check later
    UNVERIFIED = "unverified"  # amber-grey: we could only guess where to look


class Check(StrEnum):
    SPF = "spf"
    DKIM = "dkim"
    DMARC = "dmarc"
    RETURN_PATH = "return_path"


# The overall colour weighs a known problem above "could not check", and that
# above a warning; return-path rows are advice and never change the colour.
_OVERALL_ORDER = (Status.FAIL, Status.UNKNOWN, Status.WARNING)
_OVERALL_CHECKS = (Check.SPF, Check.DKIM, Check.DMARC)


@dataclass(frozen=True)
class RecordToPublish:
    """One DNS record to publish: fully-qualified name, type and value.

    ``note`` is set when part of the value must come from the provider's
    dashboard (shown in ``<angle brackets>`` in the value).
    """

    name: str
    type: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class CheckRow:
    """One row of the tab: a record, its status, what was found and what to publish."""

    check: Check
    status: Status
    title: str
    message: str
    found: list[str] = field(default_factory=list)
    expected: str = ""
    publish: list[RecordToPublish] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "check": str(self.check),
            "status": str(self.status),
            "title": self.title,
            "message": self.message,
            "found": list(self.found),
            "expected": self.expected,
            "publish": [vars(record).copy() for record in self.publish],
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckRow:
        """Rebuild a row stored with to_dict()."""
        return cls(
            check=Check(data["check"]),
            status=Status(data["status"]),
            title=data["title"],
            message=data["message"],
            found=list(data.get("found", [])),
            expected=data.get("expected", ""),
            publish=[RecordToPublish(**record) for record in data.get("publish", [])],
            details=dict(data.get("details", {})),
        )


@dataclass(frozen=True)
class DeliverabilityReport:
    """The result of one check of a From domain."""

    domain: str
    provider: dict[str, str] | None  # {"key": ..., "name": ...}; None = own server
    checked_at: datetime  # aware, UTC
    rows: list[CheckRow]

    @property
    def overall(self) -> Status:
        """pass (green) / fail (red) / unknown (grey) / warning (amber) over SPF, DKIM, DMARC."""
        statuses = {row.status for row in self.rows if row.check in _OVERALL_CHECKS}
        for status in _OVERALL_ORDER:
            if status in statuses:
                return status
        if Status.UNVERIFIED in statuses:
            return Status.WARNING
        return Status.PASS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``overall`` included for readers that don't rebuild the report)."""
        return {
            "version": REPORT_VERSION,
            "domain": self.domain,
            "provider": dict(self.provider) if self.provider else None,
            "checked_at": self.checked_at.isoformat(),
            "overall": str(self.overall),
            "rows": [row.to_dict() for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliverabilityReport:
        """Rebuild a report stored with to_dict()."""
        return cls(
            domain=data["domain"],
            provider=dict(data["provider"]) if data.get("provider") else None,
            checked_at=datetime.fromisoformat(data["checked_at"]),
            rows=[CheckRow.from_dict(row) for row in data["rows"]],
        )
