"""`make run`: migrate, seed the demo, then run web, worker, beat and the mail catcher.

Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = int(os.environ.get("PORT", "8000"))


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def start(name: str, argv: list[str]) -> subprocess.Popen:
    # Each child leads its own process group, so stopping it also stops its children
    # (the autoreloader, Celery's pool) and Ctrl-C reaches us once, not everyone at once.
    print(f"starting {name}: {' '.join(argv)}", flush=True)
    return subprocess.Popen(argv, cwd=ROOT, start_new_session=True)


def wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def banner() -> str:
    password = os.environ.get("DEMO_PASSWORD") or _dotenv_value("DEMO_PASSWORD")
    return f"""
  Cymmetri is running. Ctrl-C stops everything.

  Tenant admin pages (*.localhost names resolve to this machine in browsers):
    http://production.localhost:{PORT}/accounts/login/   admin@production.localhost
    http://staging.localhost:{PORT}/accounts/login/      admin@staging.localhost
  Operators (Django admin):
    http://localhost:{PORT}/admin/                       operator@localhost
  Password for all three: {password}

  Outgoing email goes to the local catcher on 127.0.0.1:1025 (printed here, kept in var/mail/).
"""


def _dotenv_value(key: str) -> str:
    for line in (ROOT / ".env").read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    return ""


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    manage("migrate_schemas", "--executor=standard")
    manage("seed_demo")
    (ROOT / "var").mkdir(exist_ok=True)
    commands = {
        "mail catcher": [PY, "-m", "cymmetri.devtools.mailcatcher", "--port", "1025"],
        "worker": [
            PY,
            "-m",
            "celery",
            "-A",
            "cymmetri",
            "worker",
            "-l",
            "INFO",
            # Pool and concurrency come from the settings (CELERY_WORKER_POOL and
            # CELERY_WORKER_CONCURRENCY), the same as docker-compose's worker. Without -Q it
            # consumes CELERY_TASK_QUEUES: the mail queue and the probe queue.
            "--without-gossip",
            "--without-mingle",
        ],
        "beat": [
            PY,
            "-m",
            "celery",
            "-A",
            "cymmetri",
            "beat",
            "-l",
            "INFO",
            "-s",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
        "web": [PY, "manage.py", "runserver", f"0.0.0.0:{PORT}"],
    }
    children = {name: start(name, argv) for name, argv in commands.items()}
    restarts: list[float] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if wait_for_port(PORT, 60):
            print(banner(), flush=True)
        while True:
            time.sleep(0.5)
            for name, child in children.items():
                if child.poll() is None:
                    continue
                # A worker can die with its broker (a Redis restart): start it again, as a
                # process supervisor would in production, unless it keeps failing.
                restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
                if len(restarts) > 5:
                    print(
                        f"{name} keeps stopping (exit {child.returncode}); giving up.",
                        file=sys.stderr,
                    )
                    return
                print(
                    f"{name} stopped (exit {child.returncode}); starting it again.",
                    file=sys.stderr,
                    flush=True,
                )
                time.sleep(1)
                children[name] = start(name, commands[name])
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop(list(children.values()))


if __name__ == "__main__":
    main()
