"""Constants and small helpers shared by tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEST_PASSWORD = "correct-horse-battery-9"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"


@dataclass(frozen=True)
class TenantInfo:
    schema: str
    domain: str
    display_name: str
    admin_email: str
