import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.roles import TENANT_ADMINS_GROUP
from audit.models import AuditEvent
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.support import TEST_PASSWORD


@pytest.fixture
def scratch_tenant(committed):
    """Tenants made by a test are dropped with their schema afterwards."""
    made: list[str] = []
    yield made
    connection.set_schema_to_public()
    for schema in made:
        tenant = Tenant.objects.filter(schema_name=schema).first()
        if tenant:
            tenant.domains.all().delete()
            tenant.delete(force_drop=True)


def test_tenant_create_makes_schema_domain_and_admin(scratch_tenant):
    scratch_tenant.append("acme-prod")
    created = tenant_create(
        organisation_name="Acme Corp",
        schema_name="acme-prod",
        domain="Acme.localhost",
        display_name="Acme Production",
        admin_email="Owner@Acme.test",
        admin_password=TEST_PASSWORD,
    )

    tenant = created.tenant
    assert schema_exists("acme-prod")
    assert tenant.organisation.name == "Acme Corp"
    assert tenant.primary_domain == "acme.localhost"
    assert created.set_password_url is None
    with schema_context("acme-prod"):
        admin = get_user_model().objects.get()
        assert admin.email == "owner@acme.test"
        assert admin.check_password(TEST_PASSWORD)
        assert list(admin.groups.values_list("name", flat=True)) == [TENANT_ADMINS_GROUP]
    event = AuditEvent.objects.get(action="tenant.created", target="acme-prod")
    assert event.tenant_id == tenant.pk


def test_create_tenant_command_prints_a_one_time_set_password_link(scratch_tenant, capsys):
    scratch_tenant.append("globex")
    call_command(
        "create_tenant",
        organisation="Globex",
        schema="globex",
        domain="globex.localhost",
        display_name="Globex",
        admin_email="it@globex.test",
    )
    out = capsys.readouterr().out
    link = re.search(r"http://globex\.localhost:\d+(/accounts/reset/\S+/)", out)
    assert link, out

    from django.test import Client

    browser = Client(HTTP_HOST="globex.localhost")
    form_page = browser.get(link.group(1), follow=True)
    assert b"Set your password" in form_page.content
    done = browser.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-fresh-passphrase-7", "new_password2": "a-fresh-passphrase-7"},
        follow=True,
    )
    assert b"Password set, and you are signed in as it@globex.test" in done.content
    assert browser.login(username="it@globex.test", password="a-fresh-passphrase-7")
    # One-time: the same link is spent.
    again = Client(HTTP_HOST="globex.localhost").get(link.group(1), follow=True)
    assert b"This link has expired" in again.content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("schema_name", "Bad Schema!", "lower-case letters"),
        ("schema_name", "production-cymmetri", "already exists"),
        ("domain", "production.localhost", "already belongs"),
        ("admin_email", "not-an-email", "valid email"),
    ],
)
def test_tenant_create_refuses_bad_input(committed, field, value, message):
    arguments = {
        "organisation_name": "Initech",
        "schema_name": "initech",
        "domain": "initech.localhost",
        "display_name": "Initech",
        "admin_email": "boss@initech.test",
        "admin_password": TEST_PASSWORD,
        field: value,
    }
    with pytest.raises(ValidationError, match=message):
        tenant_create(**arguments)
    assert not schema_exists("initech")
