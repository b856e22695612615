"""Real Celery worker processes pointed at the test database and a queue of their own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

from django.conf import settings

from tests.support import ROOT, guarded, process_stop


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def probe_queue(queue: str) -> str:
    """The probe queue (Test connection, deliverability) that goes with the mail ``queue``."""
    return f"{queue}-probes"


def celery_process(args: list[str], *, queue: str, env: dict) -> subprocess.Popen:
    """``celery -A cymmetri ARGS`` on the test database, ``queue`` and its probe queue; it
    stops if this process dies."""
    return subprocess.Popen(
        guarded([sys.executable, "-m", "celery", "-A", "cymmetri", *args]),
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": test_database_url(),
            **env,
            "CELERY_QUEUE": queue,
            "CELERY_PROBE_QUEUE": probe_queue(queue),
        },
    )


class CeleryWorker:
    def __init__(
        self,
        *,
        queue: str | None = None,
        name: str | None = None,
        concurrency: int = 4,
        env: dict | None = None,
    ):
        self.queue = queue or self.new_queue()
        self.name = f"{name or self.queue}@{os.uname().nodename}"
        self.concurrency = concurrency
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    @staticmethod
    def new_queue() -> str:
        return f"test-{uuid.uuid4().hex[:10]}"

    def start(self, app) -> CeleryWorker:
        self.process = celery_process(
            [
                "worker",
                "-P",
                "threads",
                "-c",
                str(self.concurrency),
                "-Q",
                f"{self.queue},{probe_queue(self.queue)}",
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "WARNING",
            ],
            queue=self.queue,
            env=self.env,
        )
        self._wait_ready(app)
        return self

    def _wait_ready(self, app, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}.")
            try:
                if app.control.ping(destination=[self.name], timeout=0.5):
                    return
            except Exception:  # a pooled broker connection went stale (Redis restarted)
                time.sleep(0.1)
        raise TimeoutError("The Celery worker did not answer a ping within 30 s.")

    def answers(self, app, *, seconds: float = 5) -> bool:
        """Whether the worker answers a ping within ``seconds`` (this process's pooled broker
        connection may be stale after a Redis restart: it is retried)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if app.control.ping(destination=[self.name], timeout=1.0):
                    return True
            except Exception:  # noqa: S110  a stale connection: the next try opens another
                pass
        return False

    def ensure_running(self, app) -> CeleryWorker:
        """Start the worker again if it exited or stopped answering (Redis restarted under it)."""
        if self.process is not None and self.process.poll() is None:
            if self.answers(app, seconds=2):
                return self
            self.stop()
        return self.start(app)

    def kill(self) -> None:
        """SIGKILL the worker and its pool: nothing gets to clean up or acknowledge."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        process_stop(self.process)


class CeleryBeat:
    """A real beat process with its own schedule file."""

    def __init__(self, *, queue: str, env: dict):
        import tempfile

        self.queue = queue
        self.env = env
        self.directory = tempfile.mkdtemp(prefix="celerybeat-")
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryBeat:
        schedule = os.path.join(self.directory, "schedule")
        self.process = celery_process(
            ["beat", "-s", schedule, "-l", "WARNING"], queue=self.queue, env=self.env
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)
