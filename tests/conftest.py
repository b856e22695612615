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

from tests.support import OPERATOR_EMAIL, TENANTS, TEST_PASSWORD, TenantInfo

# Apps whose rows tests write inside tenant schemas; `committed` empties their tables.
TENANT_DATA_APPS = ("sessions", "smtp_integration", "deliverability", "mailer")


@pytest.fixture(scope="session", autouse=True)
def _test_settings(redis_server, platform_smtp):
    """Whatever .env says on this machine, tests see the same hosts and services."""
    from cymmetri.celery import app
    from tests.smtp_servers import certificates

    settings.ALLOWED_HOSTS = [".localhost", "localhost", "127.0.0.1"]
    settings.SECURE_COOKIES = settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A Redis of the session's own: tests may stop it, and nothing of a developer's is touched.
    settings.REDIS_URL = settings.CACHES["default"]["LOCATION"] = redis_server.url
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = redis_server.url
    app.conf.broker_url = app.conf.result_backend = redis_server.url
    for name, value in TEST_ENV.items():
        setattr(settings, name, type(getattr(settings, name))(value))
    settings.PLATFORM_SMTP_HOST = "localhost"
    settings.PLATFORM_SMTP_PORT = platform_smtp.port
    settings.PLATFORM_SMTP_TLS_MODE = "starttls"
    settings.PLATFORM_SMTP_USERNAME = settings.PLATFORM_SMTP_PASSWORD = ""
    settings.PLATFORM_EMAIL_DOMAIN = "mail.cymmetri.test"
    settings.SMTP_CA_FILE = str(certificates().ca_file)


# Short waits, so retries and leases play out within a test.
TEST_ENV = {
    "MAILER_RETRY_BASE_SECONDS": "0.3",
    "MAILER_RETRY_MAX_SECONDS": "2",
    "MAILER_LEASE_SECONDS": "6",
    "MAILER_MAX_ATTEMPTS": "4",
}


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    """A request leaves the connection in its tenant's schema; the next test starts in public."""
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _redis_state_cleared(_test_settings):
    """Page limits, send limits and wake-up keys live in the session's Redis: every test
    starts with none, whatever the test before left (a killed worker's wake-up key would hold
    back the next test's first email)."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [
        key
        for pattern in ("*throttle:*", "*ratelimit:*", "*mailer:kick:*")
        for key in client.scan_iter(pattern)
    ]
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server (or, without the binary, the configured REDIS_URL)."""
    from tests.redis_server import RedisServer

    if not RedisServer.available():
        yield type("External", (), {"url": settings.REDIS_URL})()
        return
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def platform_smtp():
    """The platform default SMTP for the whole session: STARTTLS, no AUTH."""
    from tests.smtp_servers import SmtpTestServer

    server = SmtpTestServer("starttls", auth=None).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
    _test_settings,
):
    """The test database with the public tenant, an operator and two tenants, committed.

    pytest-django sets up only the databases its ``db`` markers ask for; tests using
    ``committed`` need it too, so this always sets up the default database.
    """
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_databases, teardown_databases

    from tenants.models import Domain, Tenant
    from tenants.services import tenant_create

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=keepdb,
            aliases={"default"},
        )
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
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_config, verbosity=request.config.option.verbose)


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

    At teardown the audit log and what tests write in each tenant's schema are truncated
    (TRUNCATE is allowed on the append-only log), so later tests start from the session's
    baseline.
    """
    from django.apps import apps

    from tenants.models import Tenant

    installed = {config.label for config in apps.get_app_configs()}
    tables = [
        model._meta.db_table
        for label in TENANT_DATA_APPS
        if label in installed
        for model in apps.get_app_config(label).get_models()
    ]
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
        Tenant.objects.update(
            email_transport="platform_default",
            email_health="unknown",
            email_deliverability="unknown",
        )
        for info in TENANTS.values():
            with schema_context(info.schema):
                with connection.cursor() as cursor:
                    cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables))
                _users_reset(info)


@pytest.fixture(scope="session")
def tenant_smtp():
    """Two SMTP servers a tenant may configure (STARTTLS + AUTH), on ports workers allow."""
    from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME, SmtpTestServer

    servers = [
        SmtpTestServer("starttls", auth={SMTP_USERNAME: SMTP_PASSWORD}).start() for _ in range(2)
    ]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def worker_env(_test_settings, tenant_smtp) -> dict:
    """The environment of worker processes: this session's database, Redis and SMTP servers."""
    from tests.worker import test_database_url

    ports = {25, 465, 587, 2525, *(server.port for server in tenant_smtp)}
    return {
        **TEST_ENV,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PLATFORM_SMTP_HOST": settings.PLATFORM_SMTP_HOST,
        "PLATFORM_SMTP_PORT": str(settings.PLATFORM_SMTP_PORT),
        "PLATFORM_SMTP_TLS_MODE": settings.PLATFORM_SMTP_TLS_MODE,
        "PLATFORM_SMTP_USERNAME": "",
        "PLATFORM_EMAIL_DOMAIN": settings.PLATFORM_EMAIL_DOMAIN,
        "SMTP_CA_FILE": settings.SMTP_CA_FILE,
        "SMTP_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",
        "SMTP_ALLOWED_PORTS": ",".join(str(port) for port in sorted(ports)),
    }


@pytest.fixture(scope="session")
def start_workers(django_db_setup, worker_env):
    """``start_workers(count, **env)``: worker processes on a queue of their own, made the
    default queue until the next call; every worker is stopped at the end of the session."""
    from cymmetri.celery import app
    from tests.worker import CeleryWorker

    started: list[CeleryWorker] = []
    previous = app.conf.task_default_queue

    def start(count: int = 1, **env) -> list[CeleryWorker]:
        queue = CeleryWorker.new_queue()
        workers = [
            CeleryWorker(queue=queue, name=f"{queue}-{n}", env={**worker_env, **env})
            for n in range(count)
        ]
        for worker in workers:
            worker.start(app)
        started.extend(workers)
        app.conf.task_default_queue = queue
        return workers

    yield start
    app.conf.task_default_queue = previous
    for worker in started:
        worker.stop()


@pytest.fixture
def start_beat(worker_env):
    """``start_beat(**env)``: a beat process sending to the current default queue."""
    from cymmetri.celery import app
    from tests.worker import CeleryBeat

    started = []

    def start(**env):
        beat = CeleryBeat(queue=app.conf.task_default_queue, env={**worker_env, **env}).start()
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.stop()


def _users_reset(info: TenantInfo) -> None:
    """Back to the seeded admin alone, with the email and password tests sign in with."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    admin = User.objects.order_by("pk").first()
    User.objects.exclude(pk=admin.pk).delete()
    if admin.email != info.admin_email or not admin.check_password(TEST_PASSWORD):
        admin.email = info.admin_email
        admin.set_password(TEST_PASSWORD)
        admin.save(update_fields=["email", "password"])


@pytest.fixture(scope="session")
def celery_worker(start_workers):
    """The session's shared worker process (real Celery, not eager mode)."""
    [worker] = start_workers(1)
    return worker


@pytest.fixture
def use_celery_worker(celery_worker):
    """Route tasks to the shared worker (a test before may have started workers of its own)."""
    from cymmetri.celery import app

    app.conf.task_default_queue = celery_worker.queue
    return celery_worker.ensure_running(app)


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


@pytest.fixture
def smtp_server_factory():
    """``make(mode, **options)``: start an SmtpTestServer (tests/smtp_servers.py), stopped at
    teardown."""
    from tests.smtp_servers import SmtpTestServer

    servers = []

    def make(mode="starttls", **options):
        server = SmtpTestServer(mode, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_servers(settings, smtp_server_factory):
    """``start(mode, **options)``: a real SMTP server the platform trusts and may reach.

    Loopback is allow-listed, the server's port allowed and the test CA trusted
    (SMTP_CA_FILE), exactly as an operator would configure a private relay.
    """
    from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME, certificates

    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.SMTP_CA_FILE = str(certificates().ca_file)
    settings.SMTP_ALLOWED_PORTS = frozenset({25, 465, 587, 2525})

    def start(mode="starttls", **options):
        options.setdefault("auth", {SMTP_USERNAME: SMTP_PASSWORD})
        server = smtp_server_factory(mode, **options)
        settings.SMTP_ALLOWED_PORTS = settings.SMTP_ALLOWED_PORTS | {server.port}
        return server

    return start


@pytest.fixture
def smtp_server(smtp_servers):
    """STARTTLS with AUTH (tests.smtp_servers.SMTP_USERNAME / SMTP_PASSWORD)."""
    return smtp_servers("starttls")


@pytest.fixture
def live_tenant_a(committed, tenant_a, use_celery_worker, platform_smtp):
    """Tenant A, committed, with a real worker delivering to the platform SMTP (tenant A has no
    SMTP of its own)."""
    platform_smtp.reset()
    connection.set_tenant(tenant_a)
    yield tenant_a
    connection.set_schema_to_public()
