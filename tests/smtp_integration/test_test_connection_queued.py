"""Test connection from the page runs on the probe queue, never in a web request: real probe
workers, the page's no-script result page, Chromium following the steps, and gunicorn as
shipped staying quick for everyone while admins test servers that never answer."""

from __future__ import annotations

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
        host = TENANTS["a"].domain
        sessions = [web.sign_in(host, email, TEST_PASSWORD, then=PAGE) for email in admins]
        data = form_data(silent) | {"host": "127.0.0.1"}

        def post_test(session) -> tuple[int, float]:
            started = time.perf_counter()
            status, _ = web.form_post(host, TEST, data, csrf=session)
            return status, time.perf_counter() - started

        stop = threading.Event()
        latencies: list[float] = []

        def sign_in_pages():
            while not stop.is_set():
                started = time.perf_counter()
                status, _, _ = web.request("GET", TENANTS["b"].domain, "/accounts/login/")
                latencies.append(time.perf_counter() - started)
                assert status == 200

        reader = threading.Thread(target=sign_in_pages)
        reader.start()
        try:
            time.sleep(1)  # a baseline before the tests start
            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(lambda n: post_test(sessions[n % 2]), range(20)))
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
    # Run in the request, the first five (one per gunicorn worker) would wait 20 s each.
    assert seconds[-1] < 5
    assert p99 < 200
