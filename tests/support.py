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


def smtp_form_data(server, **overrides) -> dict:
    """What an admin types on the Email SMTP page to configure the test ``server``."""
    from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME

    data = {
        "host": "localhost",
        "port": server.port,
        "tls_mode": "tls" if server.mode == "tls" else "starttls",
        "username": SMTP_USERNAME,
        "password": SMTP_PASSWORD,
        "from_address": "noreply@acme.test",
        "from_name": "Acme Auth",
        "reply_to": "support@acme.test",
    }
    data.update(overrides)
    return data


def guarded(command: list[str]) -> list[str]:
    """``command`` run through tests.orphan_guard: it stops when this process dies."""
    import sys

    return [sys.executable, "-m", "tests.orphan_guard", *command]
