"""Test connection as a queued job: a real worker on the probe queue, aiosmtpd servers, Redis
as the broker. What the page and the API both build on."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditAction, AuditEvent
from cymmetri.throttle import RateLimited
from smtp_integration.models import SmtpConnectionTest
from smtp_integration.selectors import smtp_connection_test_get
from smtp_integration.tester import (
    TESTS_PER_WINDOW,
    connection_test_run,
    smtp_connection_test_start,
)
from tests.smtp_servers import SMTP_PASSWORD
from tests.support import TENANTS, smtp_form_data, wait_for

STEPS = ["resolve", "connect", "tls", "ehlo", "auth", "mail_from", "rcpt", "data", "quit"]


def finished(test_id: int, timeout: float = 20):
    return wait_for(
        lambda: (view := smtp_connection_test_get(test_id)) and not view.running and view,
        timeout=timeout,
    )


@pytest.fixture
def probe_worker(mailer_tenant, start_workers, settings):
    """A worker allowed to reach every SMTP server the test starts."""

    def start():
        ports = ",".join(str(port) for port in sorted(settings.SMTP_ALLOWED_PORTS))
        start_workers(1, SMTP_ALLOWED_PORTS=ports)

    return start


def test_a_test_of_the_saved_settings_runs_on_a_worker_and_passes(
    configure_smtp, tenant_smtp, tenant_admin, use_celery_worker
):
    server = tenant_smtp[0]
    configure_smtp(server)

    test = smtp_connection_test_start(actor=tenant_admin)
    view = finished(test.pk)

    assert view.status == "passed", view.message
    assert [step["name"] for step in view.steps] == STEPS
    assert all(step["ok"] for step in view.steps)
    assert f"accepted by localhost:{server.port}" in view.message
    assert [message.rcpt_tos for message in server.messages] == [[tenant_admin.email]]
    assert SmtpConnectionTest.objects.get(pk=test.pk).sealed_request == ""
    event = AuditEvent.objects.get(action=AuditAction.SMTP_TESTED)
    assert event.metadata["outcome"] == "passed"
    assert event.actor_email == tenant_admin.email
    assert event.recipient == tenant_admin.email


def test_steps_appear_while_the_test_runs(smtp_servers, tenant_admin, probe_worker, settings):
    slow = smtp_servers("starttls", data_delay=2.0)
    settings.SMTP_ALLOWED_PORTS = settings.SMTP_ALLOWED_PORTS | {slow.port}
    probe_worker()

    test = smtp_connection_test_start(actor=tenant_admin, data=smtp_form_data(slow))
    during = wait_for(
        lambda: (view := smtp_connection_test_get(test.pk)) and len(view.steps) >= 6 and view,
        timeout=15,
    )

    assert during.running
    assert [step["name"] for step in during.steps][:6] == STEPS[:6]
    assert finished(test.pk).status == "passed"


def test_an_unsaved_secret_is_neither_in_the_broker_nor_stored_in_clear(
    tenant_smtp, tenant_admin, settings
):
    settings.CELERY_PROBE_QUEUE = "test-probes-unconsumed"
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.delete(settings.CELERY_PROBE_QUEUE)
    server = tenant_smtp[1]

    test = smtp_connection_test_start(actor=tenant_admin, data=smtp_form_data(server))

    [queued] = wait_for(lambda: broker.lrange(settings.CELERY_PROBE_QUEUE, 0, -1))
    assert SMTP_PASSWORD.encode() not in queued
    stored = SmtpConnectionTest.objects.get(pk=test.pk)
    assert stored.sealed_request and SMTP_PASSWORD not in stored.sealed_request
    assert smtp_connection_test_get(test.pk).status == "running"

    connection_test_run(test_id=test.pk)  # what the worker does with it

    assert smtp_connection_test_get(test.pk).status == "passed"
    assert SmtpConnectionTest.objects.get(pk=test.pk).sealed_request == ""
    assert len(server.messages) == 1
    connection_test_run(test_id=test.pk)  # delivered twice by the broker: runs once
    assert len(server.messages) == 1
    broker.delete(settings.CELERY_PROBE_QUEUE)


def test_a_wrong_password_fails_at_the_auth_step_with_advice(
    tenant_smtp, tenant_admin, use_celery_worker
):
    data = smtp_form_data(tenant_smtp[0], password="not-the-password")

    view = finished(smtp_connection_test_start(actor=tenant_admin, data=data).pk)

    assert view.status == "failed"
    assert view.reason == "auth_failed"
    failed = next(step for step in view.steps if step["ok"] is False)
    assert (failed["name"], failed["code"]) == ("auth", 535)
    assert "password" in view.message.lower()
    assert not tenant_smtp[0].messages


def test_concurrent_requests_run_no_more_tests_than_the_limit(
    tenant_smtp, tenant_admin, tenant_a, use_celery_worker
):
    server = tenant_smtp[0]
    data = smtp_form_data(server)
    accepted, refused, errors = [], [], []
    barrier = threading.Barrier(25)

    def one() -> None:
        connection.set_tenant(tenant_a)
        try:
            barrier.wait()
            accepted.append(smtp_connection_test_start(actor=tenant_admin, data=data).pk)
        except RateLimited:
            refused.append(1)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert (len(accepted), len(refused)) == (TESTS_PER_WINDOW, 25 - TESTS_PER_WINDOW)
    for test_id in accepted:
        finished(test_id)
    assert len(server.auth_attempts) == TESTS_PER_WINDOW
    assert SmtpConnectionTest.objects.count() == TESTS_PER_WINDOW


def test_test_emails_go_only_to_the_tenants_administrators(tenant_smtp, tenant_admin):
    User = get_user_model()
    User.objects.create_user(email="member@acme.test", password="x-long-password-1")
    data = smtp_form_data(tenant_smtp[0])

    for to in ("member@acme.test", "someone@example.com"):
        with pytest.raises(ValidationError) as refused:
            smtp_connection_test_start(actor=tenant_admin, data=data, to=to)
        assert "to" in refused.value.message_dict

    test = smtp_connection_test_start(actor=tenant_admin, data=data, to=TENANTS["a"].admin_email)
    assert test.recipient == TENANTS["a"].admin_email
    assert not SmtpConnectionTest.objects.filter(recipient="member@acme.test").exists()


def test_changed_settings_without_the_secret_are_refused_before_any_connection(
    configure_smtp, tenant_smtp, tenant_admin
):
    configure_smtp(tenant_smtp[0])
    moved = smtp_form_data(tenant_smtp[1], password="")

    with pytest.raises(ValidationError) as refused:
        smtp_connection_test_start(actor=tenant_admin, data=moved)

    assert refused.value.message_dict["password"] == ["Enter the password for these settings."]
    assert not SmtpConnectionTest.objects.exists()
    assert not tenant_smtp[1].connections
