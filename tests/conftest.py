"""Shared fixtures: two committed tenants for the whole session, clients, committed-mode cleanup.

Creating a tenant runs every tenant migration, so the tenants are made once per session and
committed. Ordinary tests switch into a tenant and roll back (``in_tenant``); tests that need
other processes or threads to see their rows (a Celery worker, a live server) use
``committed`` instead, which truncates what such tests write at teardown.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tests.support import TEST_PASSWORD, TenantInfo

TENANTS = {
    "a": TenantInfo(
        "production-cymmetri",
        "production.localhost",
        "Cymmetri Production",
        "admin@production.localhost",
    ),
    "b": TenantInfo(
        "staging-cymmetri", "staging.localhost", "Cymmetri Staging", "admin@staging.localhost"
    ),
}
OPERATOR_EMAIL = "operator@localhost"


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    # Whatever .env says on this machine, tests see the same hosts.
    settings.ALLOWED_HOSTS = [".localhost", "localhost", "127.0.0.1"]
    settings.SECURE_COOKIES = settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, _test_settings):
    """The test database with the public tenant, an operator and two tenants, committed."""
    from django.contrib.auth import get_user_model

    from tenants.models import Domain, Tenant
    from tenants.services import tenant_create

    with django_db_blocker.unblock():
        public = Tenant.objects.create(schema_name="public", display_name="Cymmetri platform")
        Domain.objects.create(domain="localhost", tenant=public, is_primary=True)
        get_user_model().objects.create_superuser(OPERATOR_EMAIL, TEST_PASSWORD)
        for info in TENANTS.values():
            tenant_create(
                organisation_name="Cymmetri",
                schema_name=info.schema,
                domain=info.domain,
                display_name=info.display_name,
                admin_email=info.admin_email,
                admin_password=TEST_PASSWORD,
            )
        connection.set_schema_to_public()


def _tenant(schema: str):
    from tenants.models import Tenant

    return Tenant.objects.get(schema_name=schema)


@pytest.fixture
def tenant_a(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return _tenant(TENANTS["a"].schema)


@pytest.fixture
def tenant_b(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return _tenant(TENANTS["b"].schema)


@pytest.fixture
def in_tenant_a(db, tenant_a):
    """Run the test inside tenant A's schema; everything rolls back afterwards."""
    connection.set_tenant(tenant_a)
    yield tenant_a
    connection.set_schema_to_public()


@pytest.fixture
def admin_a(in_tenant_a):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=TENANTS["a"].admin_email)


def tenant_client(info: TenantInfo) -> Client:
    return Client(HTTP_HOST=info.domain)


@pytest.fixture
def client_a(db) -> Client:
    """An anonymous browser on tenant A's domain."""
    return tenant_client(TENANTS["a"])


@pytest.fixture
def client_b(db) -> Client:
    return tenant_client(TENANTS["b"])


@pytest.fixture
def admin_client_a(client_a, admin_a) -> Client:
    """Tenant A's admin, signed in on tenant A's domain."""
    client_a.force_login(admin_a)
    return client_a


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Database access outside a transaction, for tests that other processes must see.

    At teardown the audit log and each tenant's sessions are truncated (TRUNCATE is allowed
    on the append-only log), so later tests start from the session's baseline.
    """
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
        for info in TENANTS.values():
            with schema_context(info.schema), connection.cursor() as cursor:
                cursor.execute("TRUNCATE django_session")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real worker process on a queue of its own, reading the test database."""
    from cymmetri.celery import app
    from tests.worker import CeleryWorker

    worker = CeleryWorker().start(app)
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue
    yield worker
    app.conf.task_default_queue = previous
    worker.stop()


@pytest.fixture(scope="session")
def live_server_url(django_db_setup):
    """``live_server_url(domain, path)``: the app served on 127.0.0.1 for a browser."""
    from tests.live import LiveServer

    server = LiveServer()
    yield server.url
    server.stop()


@pytest.fixture
def browser(committed):
    """``browser(action)`` runs ``action(page)`` in headless Chromium (see tests/live.py)."""
    from tests.live import chromium_path, run_in_browser

    executable = chromium_path()
    return lambda action: run_in_browser(action, executable=executable)
