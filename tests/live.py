"""A live server thread and Chromium driven by Playwright, for browser tests, and what those
tests do on a page again and again: sign in, take a screenshot.

Playwright's sync API runs an event loop, and Django refuses ORM calls from a thread with a
running loop; so the browser runs in a thread of its own and the test body stays free to
use the database before and after.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

from tests.support import SCREENSHOTS, TENANTS, TEST_PASSWORD, TenantInfo

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class LiveServer:
    """The Django app on 127.0.0.1 with a free port; tenants by Host (*.localhost)."""

    def __init__(self) -> None:
        self.thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        self.port = self.thread.port

    def url(self, domain: str, path: str = "/") -> str:
        return f"http://{domain}:{self.port}{path}"

    def stop(self) -> None:
        self.thread.terminate()


def chromium_path() -> str:
    """Debian's Chromium; missing is a skip locally and a failure under CI."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + ": browser tests cannot be skipped under CI.")
        pytest.skip(message)
    return path


def run_in_browser(action: Callable[[Any], Any], *, executable: str) -> Any:
    """Run ``action(page)`` in a fresh Chromium context on a thread of its own."""
    from playwright.sync_api import sync_playwright

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.set_default_timeout(15_000)
                    outcome["value"] = action(page)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="playwright")
    thread.start()
    thread.join(timeout=180)
    if thread.is_alive():
        raise TimeoutError("The browser did not finish within 180 s.")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def sign_in(page, email: str, password: str = TEST_PASSWORD) -> None:
    """Fill in the sign-in form the page shows and submit it."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_as_admin(page, live_server_url, path: str = "/", info: TenantInfo = TENANTS["a"]):
    """Open ``path`` on the tenant's domain as its admin: the sign-in form first, then the page."""
    page.goto(live_server_url(info.domain, f"/accounts/login/?next={path}"))
    sign_in(page, info.admin_email)
    page.wait_for_url(live_server_url(info.domain, path))


def shot(page, name: str) -> None:
    """A full-page screenshot in var/screenshots/, to look at what the test saw."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def shots(page, name: str) -> None:
    """Screenshots at a desktop's width (1280 px) and a phone's (390 px)."""
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})
