"""Constants and small helpers shared by tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_PASSWORD = "correct-horse-battery-9"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"


@dataclass(frozen=True)
class TenantInfo:
    schema: str
    domain: str
    display_name: str
    admin_email: str


# The two tenants the test database holds for the whole session, and the platform's operator.
TENANTS = {
    "a": TenantInfo(
        "production-cymmetri",
        "production.localhost",
        "Cymmetri Production",
        "admin@production.localhost",
    ),
    "b": TenantInfo(
        "staging-cymmetri", "staging.localhost", "Cymmetri Staging", "admin@staging.localhost"
    ),
}
OPERATOR_EMAIL = "operator@localhost"


@dataclass(frozen=True)
class OAuthClient:
    """What the test token endpoint knows (tests/oauth_server.py, fixture ``oauth_server``)."""

    tenant_id: str = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    client_id: str = "0f3a5e1c-6b7d-4e8f-9a0b-1c2d3e4f5a6b"
    client_secret: str = "Cl1ent~secret.do-not-leak_0123456789"
    mailbox: str = "noreply@acme.test"
    service_account: str = "mailer@cymmetri-test.iam.gserviceaccount.com"


OAUTH = OAuthClient()


def oauth_form_data(server, provider: str = "microsoft", **overrides) -> dict:
    """What an admin types to sign in to the test ``server`` with OAuth 2.0 via ``provider``
    (for Google, pass ``oauth_key``: the service account's JSON key)."""
    data = smtp_form_data(
        server,
        auth_method="oauth2",
        oauth_provider=provider,
        username=OAUTH.mailbox,
        password="",
    )
    if provider == "microsoft":
        data |= {
            "oauth_tenant_id": OAUTH.tenant_id,
            "oauth_client_id": OAUTH.client_id,
            "oauth_secret": OAUTH.client_secret,
        }
    elif provider == "generic":
        data |= {
            "oauth_token_url": overrides.pop("oauth_token_url"),
            "oauth_client_id": OAUTH.client_id,
            "oauth_secret": OAUTH.client_secret,
            "oauth_scope": "smtp.send",
        }
    data.update(overrides)
    return data


POSTMARK_HOST = "smtp.postmarkapp.com"
POSTMARK_TOKEN = "3f9a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


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


def process_stop(process, *, seconds: float = 15) -> None:
    """SIGTERM ``process`` (a Popen, or None) and wait; SIGKILL it after ``seconds``."""
    import subprocess

    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(
    predicate,
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "",
    describe=None,
):
    """Poll until ``predicate()`` is truthy; fail with ``message`` (and ``describe()``, the
    state worth seeing) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    state = f": {describe()}" if describe else ""
    pytest.fail(f"{message or f'Timed out after {timeout} s waiting for {predicate}'}{state}")


def schema_dump() -> str:
    """The current tenant schema's data, as an operator's pg_dump shows it."""
    import subprocess

    from django.db import connection

    params = connection.get_connection_params()
    command = [
        "pg_dump",
        "--data-only",
        "--schema",
        connection.schema_name,
        "--host",
        params.get("host") or "127.0.0.1",
        "--port",
        str(params.get("port") or 5432),
        "--username",
        params.get("user") or "postgres",
        params["dbname"] if "dbname" in params else params["database"],
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout
