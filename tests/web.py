"""The web app as the Dockerfile ships it (gunicorn, 3 sync workers), for tests where
concurrency between real processes matters, and plain HTTP to reach it with a Host header."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

from tests.support import ROOT, guarded, process_stop

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``gunicorn cymmetri.wsgi:application --workers 3`` on 127.0.0.1 and a free port."""

    def __init__(self, *, env: dict, workers: int = 3):
        self.env = env
        self.workers = workers
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self, *, seconds: float = 30) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "cymmetri.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        self.process = subprocess.Popen(guarded(command), cwd=ROOT, env={**os.environ, **self.env})
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}.")
            try:
                self.request("GET", "localhost", "/")
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"gunicorn did not answer within {seconds} s.")

    def request(
        self, method: str, host: str, path: str, *, form: dict | None = None, headers=None
    ) -> tuple[int, dict, str]:
        """One request with ``Host: host``; (status, headers, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            body = urlencode(form) if form is not None else None
            sent = {"Host": host, **(headers or {})}
            if body is not None:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def csrf(self, host: str, path: str) -> dict:
        """The cookie and form token a browser gets with the page at ``path``."""
        _, headers, page = self.request("GET", host, path)
        return {
            "cookie": headers["Set-Cookie"].split(";", 1)[0],
            "token": _CSRF_INPUT.search(page).group(1),
        }

    def form_post(self, host: str, path: str, form: dict, *, csrf: dict) -> tuple[int, str]:
        """POST ``form`` as the browser that got ``csrf``; (status, body)."""
        status, _, body = self.request(
            "POST",
            host,
            path,
            form={"csrfmiddlewaretoken": csrf["token"], **form},
            headers={"Cookie": csrf["cookie"]},
        )
        return status, body

    def stop(self) -> None:
        process_stop(self.process)
