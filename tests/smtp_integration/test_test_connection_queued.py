"""Test connection from the page runs on the probe queue, never in a web request: real probe
workers, the page's no-script result page, Chromium following the steps, and gunicorn as
shipped staying quick for everyone while admins test servers that never answer."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import global_settings
from django.test import Client

from smtp_integration.models import SmtpConnectionTest
from tenants.services import tenant_admin_create
from tests.live import open_as_admin, shots
from tests.smtp_servers import LOOPBACK_NETWORKS, SilentServer
from tests.support import TENANTS, TEST_PASSWORD, wait_for
from tests.support import smtp_form_data as form_data
from tests.worker import probe_queue

PAGE = "/integrations/email-smtp/"
TEST = "/integrations/email-smtp/test/"


@pytest.fixture
def page_allows(settings, tenant_smtp):
    """The page (this process) may reach the servers the session's workers may reach."""
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = list(LOOPBACK_NETWORKS)
    settings.SMTP_ALLOWED_PORTS = frozenset({25, 465, 587, 2525, *(s.port for s in tenant_smtp)})


def test_without_scripts_a_test_redirects_to_a_result_page_that_refreshes_until_done(
    use_celery_worker, tenant_smtp, tenant_admin
):
    server = tenant_smtp[0]
    client = Client(HTTP_HOST=TENANTS["a"].domain)
    client.force_login(tenant_admin)

    started = time.monotonic()
    response = client.post(TEST, form_data(server))
    answered = time.monotonic() - started

    assert response.status_code == 302
    result_url = response["Location"]
    assert re.fullmatch(r"/integrations/email-smtp/test/\d+/", result_url)
    assert answered < 2  # queued, not run

    def finished_page():
        html = client.get(result_url).content.decode()
        return html if 'data-testid="test-outcome"' in html else None

    first = client.get(result_url).content.decode()
    html = wait_for(
        finished_page,
        timeout=20,
        message="the queued test never finished",
        describe=lambda: list(SmtpConnectionTest.objects.values("outcome", "message", "steps")),
    )
    if 'data-testid="test-running"' in first:
        assert '<meta http-equiv="refresh" content="1">' in first
    assert 'data-testid="test-outcome">Passed' in html
    assert '<meta http-equiv="refresh"' not in html
    assert [m.rcpt_tos for m in server.messages] == [[tenant_admin.email]]
    # Another tenant cannot read it.
    other = Client(HTTP_HOST=TENANTS["b"].domain)
    assert other.get(result_url).status_code in (302, 404)


@pytest.mark.browser
def test_the_page_follows_a_queued_test_step_by_step(
    browser, live_server_url, use_celery_worker, tenant_smtp, page_allows
):
    server = tenant_smtp[1]

    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, PAGE)
        page.get_by_label("Host").fill("localhost")
        page.get_by_label("Port").fill(str(server.port))
        page.locator("#id_username").fill(form_data(server)["username"])
        page.locator("#id_password").fill(form_data(server)["password"])
        page.get_by_label("From address").fill("noreply@acme.test")
        page.get_by_role("button", name="Test connection").click()
        page.locator("[data-testid=test-running]").wait_for()
        seen["running"] = page.locator("#test-result").inner_text()
        shots(page, "email-smtp-test-running")
        page.locator("[data-testid=test-outcome]").wait_for(timeout=20_000)
        seen["outcome"] = page.locator("[data-testid=test-outcome]").inner_text()
        seen["steps"] = page.locator(".step__name").all_inner_texts()
        seen["password_kept"] = bool(page.locator("#id_password").input_value())
        return seen

    seen = browser(flow)
    assert "each step shows here as it ends" in seen["running"]
    assert seen["outcome"] == "Passed"
    assert seen["steps"][:5] == ["Resolve", "Connect", "TLS", "EHLO", "AUTH"]
    assert seen["password_kept"]


def test_twenty_tests_of_silent_servers_hold_no_web_worker(
    mailer_tenant, start_workers, start_gunicorn, settings
):
    """20 admins' tests of a server that accepts and never greets (each waits up to 20 s)
    while another tenant's sign-in page is asked for again and again: it stays quick."""
    with SilentServer() as silent:
        ports = ",".join(str(p) for p in sorted({25, 465, 587, 2525, silent.port}))
        [worker] = start_workers(1, concurrency=20, SMTP_ALLOWED_PORTS=ports)
        web = start_gunicorn(
            SMTP_ALLOWED_PORTS=ports,
            CELERY_QUEUE=worker.queue,
            CELERY_PROBE_QUEUE=probe_queue(worker.queue),
        )
        admins = [f"tester{n}@production.localhost" for n in range(2)]
        # Hashed as gunicorn's settings can check (tests hash with MD5 for speed).
        settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
        for email in admins:
            tenant_admin_create(tenant=mailer_tenant, email=email, password=TEST_PASSWORD)
        sessions = [_signed_in(web.port, TENANTS["a"].domain, email) for email in admins]
        data = form_data(silent) | {"host": "127.0.0.1"}

        stop = threading.Event()
        latencies: list[float] = []

        def sign_in_pages():
            while not stop.is_set():
                started = time.perf_counter()
                status, _ = _request(web.port, "GET", TENANTS["b"].domain, "/accounts/login/")
                latencies.append(time.perf_counter() - started)
                assert status == 200

        reader = threading.Thread(target=sign_in_pages)
        reader.start()
        try:
            time.sleep(1)  # a baseline before the tests start
            with ThreadPoolExecutor(20) as pool:
                answers = list(
                    pool.map(lambda n: _post_test(web.port, sessions[n % 2], data), range(20))
                )
            wait_for(
                lambda: (
                    SmtpConnectionTest.objects.filter(outcome="running").count() == 20
                    and silent.connections >= 20
                ),
                timeout=15,
                message="the probe worker did not take all 20 tests at once",
            )
            time.sleep(3)  # the 20 tests are all waiting on the silent server now
        finally:
            stop.set()
            reader.join()

    statuses = [status for status, _ in answers]
    seconds = sorted(elapsed for _, elapsed in answers)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"\n20 queued tests answered in at most {seconds[-1] * 1000:.0f} ms; another tenant's "
        f"sign-in page meanwhile: {len(latencies)} requests, p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 {p99:.1f} ms"
    )
    assert statuses == [302] * 20
    assert seconds[-1] < 2
    assert p99 < 200


def _running() -> int:
    return SmtpConnectionTest.objects.filter(outcome="running").count()


# --- plain HTTP to gunicorn with a signed-in session ------------------------------------------


def _request(port, method, host, path, *, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, (response.getheaders(), response.read().decode())
    finally:
        connection.close()


def _signed_in(port, host, email) -> dict:
    """The cookies and CSRF token of a session signed in through the sign-in form."""
    from urllib.parse import urlencode

    _, (headers, page) = _request(port, "GET", host, "/accounts/login/")
    cookies = _cookies(headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": TEST_PASSWORD})
    status, (headers, answer) = _request(
        port,
        "POST",
        host,
        "/accounts/login/",
        body=form,
        headers={"Cookie": _cookie_header(cookies), **_FORM},
    )
    assert status == 302, re.findall(r'class="(?:field__error|alert[^"]*)"[^>]*>([^<]+)', answer)
    cookies |= _cookies(headers)
    _, (headers, page) = _request(
        port, "GET", host, PAGE, headers={"Cookie": _cookie_header(cookies)}
    )
    cookies |= _cookies(headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return {"host": host, "cookies": cookies, "token": token}


def _post_test(port, session, data) -> tuple[int, float]:
    from urllib.parse import urlencode

    body = urlencode({"csrfmiddlewaretoken": session["token"], **data})
    started = time.perf_counter()
    status, _ = _request(
        port,
        "POST",
        session["host"],
        TEST,
        body=body,
        headers={"Cookie": _cookie_header(session["cookies"]), **_FORM},
    )
    return status, time.perf_counter() - started


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _cookies(headers) -> dict:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key] = rest.split(";", 1)[0]
    return found


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in cookies.items())
