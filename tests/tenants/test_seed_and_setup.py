"""seed_demo is safe to repeat; the setup script says which service is down and how to start it."""

import importlib.util

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant
from tests.smtp_servers import free_port
from tests.support import ROOT, TEST_PASSWORD


def test_seed_demo_is_idempotent(committed):
    for _ in range(2):
        call_command("seed_demo", password=TEST_PASSWORD)
    assert set(Tenant.objects.values_list("schema_name", flat=True)) == {
        "public",
        "production-cymmetri",
        "staging-cymmetri",
    }
    assert Domain.objects.filter(domain="production.localhost").count() == 1
    User = get_user_model()
    assert User.objects.get(email="operator@localhost").is_superuser
    with schema_context("production-cymmetri"):
        [admin] = User.objects.all()
        assert admin.email == "admin@production.localhost"
        assert admin.check_password(TEST_PASSWORD)


def _devenv():
    spec = importlib.util.spec_from_file_location("devenv", ROOT / "scripts" / "devenv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_setup_names_the_service_that_is_down_and_how_to_start_it(redis_server, monkeypatch):
    devenv = _devenv()
    # The real environment wins over .env in the script; here only the values below count.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    closed = free_port()
    with pytest.raises(SystemExit) as stopped:
        devenv.check_services(
            {
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed}/cymmetri",
                "REDIS_URL": redis_server.url,
            }
        )
    message = str(stopped.value)
    assert f"PostgreSQL is not reachable at 127.0.0.1:{closed}" in message
    assert "pg_ctlcluster" in message and "docker compose up -d db redis" in message
    assert "Redis is not reachable" not in message


def test_setup_fills_missing_secrets_and_keeps_existing_values(tmp_path):
    devenv = _devenv()
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=keep-me\nFIELD_ENCRYPTION_KEYS=\nDEBUG=true\n")
    values = devenv.write_env(env_file)
    assert values["SECRET_KEY"] == "keep-me"
    assert len(values["FIELD_ENCRYPTION_KEYS"]) == 44
    assert values["DEMO_PASSWORD"].startswith("demo-")
    assert devenv.write_env(env_file) == values  # a second run changes nothing
    assert oct(env_file.stat().st_mode)[-3:] == "600"
    # Settings new in .env.example since the .env was written arrive with their example value.
    assert values["DEV_MAIL_CATCHER"] == "127.0.0.1:1025"
    assert values["DEBUG"] == "true"
