"""Fixtures for the mailer: a real worker, the platform SMTP and a tenant's own SMTP servers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME
from tests.support import TENANTS


@pytest.fixture
def mailer_tenant(committed, tenant_a, platform_smtp, tenant_smtp, settings):
    """Tenant A, committed, with every SMTP server's records and the rate limits cleared."""
    import redis

    for server in (platform_smtp, *tenant_smtp):
        server.reset()
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*ratelimit*"):
        client.delete(key)
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.SMTP_ALLOWED_PORTS = frozenset({587, *(server.port for server in tenant_smtp)})
    connection.set_tenant(tenant_a)
    yield tenant_a
    connection.set_schema_to_public()


@pytest.fixture
def tenant_admin(mailer_tenant):
    return get_user_model().objects.get(email=TENANTS["a"].admin_email)


@pytest.fixture
def configure_smtp(tenant_admin):
    """``configure_smtp(server, **fields)``: save the tenant's own SMTP as an admin would."""
    from smtp_integration.services import smtp_config_save

    def configure(server, **fields):
        data = {
            "host": "localhost",
            "port": server.port,
            "tls_mode": "starttls",
            "username": SMTP_USERNAME,
            "password": SMTP_PASSWORD,
            "from_address": "noreply@acme.test",
            "from_name": "Acme Auth",
            "reply_to": "support@acme.test",
            **fields,
        }
        return smtp_config_save(actor=tenant_admin, data=data).config

    return configure
