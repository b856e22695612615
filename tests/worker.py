"""A real Celery worker process pointed at the test database and a queue of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from django.conf import settings

from tests.support import ROOT


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryWorker:
    def __init__(self, *, queue: str | None = None, concurrency: int = 4, env: dict | None = None):
        self.queue = queue or f"test-{uuid.uuid4().hex[:10]}"
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, app) -> CeleryWorker:
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "CELERY_QUEUE": self.queue,
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cymmetri",
                "worker",
                "-P",
                "threads",
                "-c",
                str(self.concurrency),
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        self._wait_ready(app)
        return self

    def _wait_ready(self, app, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}.")
            if app.control.ping(destination=[f"{self.queue}@{os.uname().nodename}"], timeout=0.5):
                return
        raise TimeoutError("The Celery worker did not answer a ping within 30 s.")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
