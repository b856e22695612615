"""Prepare a development environment: .env with fresh secrets, and the database.

Run by `make run` and `make test` before Django starts. It only uses the standard
library and psycopg, so it also runs before the first migration.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
GENERATED = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "DEMO_PASSWORD": lambda: "demo-" + secrets.token_urlsafe(9),
    "METRICS_TOKEN": lambda: secrets.token_urlsafe(32),
}


def write_env(path: Path) -> dict[str, str]:
    """Create or complete ``path`` from .env.example; never overwrite a value that is set."""
    lines = (path if path.exists() else ROOT / ".env.example").read_text().splitlines()
    values, out, changed = {}, [], not path.exists()
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            if not value and key in GENERATED:
                value, changed = GENERATED[key](), True
                line = f"{key}={value}"
            values[key] = value
        out.append(line)
    # Settings added to .env.example since this .env was written: their example values.
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and key not in values:
            if not value and key in GENERATED:
                continue  # made below
            values[key] = value
            out.append(line)
            changed = True
    for key, make in GENERATED.items():
        if key not in values:
            values[key] = make()
            out.append(f"{key}={values[key]}")
            changed = True
    if changed:
        path.write_text("\n".join(out) + "\n")
        path.chmod(0o600)
        print(f"Wrote {path.name} (fresh secrets, and settings new in .env.example).")
    return values


def setting(values: dict[str, str], key: str) -> str:
    return os.environ.get(key) or values.get(key, "")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def check_services(values: dict[str, str]) -> None:
    """Say which service is down, where, and how to start it."""
    problems = []
    db = urlsplit(setting(values, "DATABASE_URL"))
    if not reachable(db.hostname or "127.0.0.1", db.port or 5432):
        problems.append(
            f"PostgreSQL is not reachable at {db.hostname}:{db.port or 5432} (DATABASE_URL).\n"
            "  Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  or, with Docker: docker compose up -d db redis"
        )
    redis = urlsplit(setting(values, "REDIS_URL"))
    if not reachable(redis.hostname or "127.0.0.1", redis.port or 6379):
        problems.append(
            f"Redis is not reachable at {redis.hostname}:{redis.port or 6379} (REDIS_URL).\n"
            "  Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''\n"
            "  or, with Docker: docker compose up -d db redis"
        )
    if problems:
        sys.exit("\n".join(problems))


def ensure_database(url: str) -> None:
    """Create the database named in DATABASE_URL when it does not exist."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def main() -> None:
    values = write_env(ROOT / ".env")
    if "--env-only" in sys.argv:
        return
    check_services(values)
    ensure_database(setting(values, "DATABASE_URL"))


if __name__ == "__main__":
    main()
