"""The web app as shipped (gunicorn with gunicorn.conf.py), for tests where
concurrency between real processes matters, and plain HTTP to reach it with a Host header."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

from tests.support import ROOT, guarded, process_stop

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Gunicorn:
    """``gunicorn cymmetri.wsgi:application`` as shipped (gunicorn.conf.py: sync workers,
    WEB_CONCURRENCY of them) on 127.0.0.1 and a free port."""

    def __init__(self, *, env: dict, workers: int | None = None):
        from tests.smtp_servers import free_port

        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.process: subprocess.Popen | None = None

    def start(self, *, seconds: float = 30) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "cymmetri.wsgi:application"]
        self.process = subprocess.Popen(
            guarded(command),
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}.")
            try:
                self.request("GET", "localhost", "/healthz")
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"gunicorn did not answer within {seconds} s.")

    def get(self, path: str, *, host: str = "localhost", token: str = "") -> tuple[int, str]:
        """GET ``path`` with a Host header (and a bearer token); (status, body)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, _, body = self.request("GET", host, path, headers=headers)
        return status, body

    def request(
        self, method: str, host: str, path: str, *, form: dict | None = None, headers=None
    ) -> tuple[int, dict, str]:
        """One request with ``Host: host``; (status, headers, body)."""
        status, headers, body = self._exchange(method, host, path, form=form, headers=headers)
        return status, dict(headers), body

    def _exchange(self, method, host, path, *, form=None, headers=None):
        """(status, every header as sent, body): a response may set several cookies."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            body = urlencode(form) if form is not None else None
            sent = {"Host": host, **(headers or {})}
            if body is not None:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            connection.close()

    def sign_in(self, host: str, email: str, password: str, *, then: str) -> dict:
        """A session signed in through the sign-in form, holding the page ``then``: its
        cookies and form token, for form_post as ``csrf``."""
        jar: dict[str, str] = {}

        def visit(method: str, path: str, form=None) -> tuple[int, str]:
            cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
            status, headers, body = self._exchange(
                method, host, path, form=form, headers={"Cookie": cookie} if jar else None
            )
            for name, value in headers:
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    jar[key] = rest.split(";", 1)[0]
            return status, body

        _, page = visit("GET", "/accounts/login/")
        token = _CSRF_INPUT.search(page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": email, "password": password}
        status, _ = visit("POST", "/accounts/login/", form)
        assert status == 302, f"{email} could not sign in"
        _, page = visit("GET", then)
        return {
            "cookie": "; ".join(f"{name}={value}" for name, value in jar.items()),
            "token": _CSRF_INPUT.search(page).group(1),
        }

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
