"""The SMTP password at rest: ciphertext only, bound to tenant and row, rotatable."""

import base64
import os

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from cymmetri.crypto import DecryptionError, key_id
from smtp_integration.models import SmtpConfig
from smtp_integration.secrets import password_open, password_seal, secret_open, secret_seal
from tests.smtp_servers import SMTP_PASSWORD
from tests.support import smtp_form_data as form_data

pytestmark = pytest.mark.usefixtures("probes_inline")

PAGE = "/integrations/email-smtp/"


def test_the_column_holds_ciphertext_and_responses_never_the_password(admin_client_a, smtp_server):
    responses = [
        admin_client_a.post(PAGE, form_data(smtp_server), follow=True),
        admin_client_a.get(PAGE),
        admin_client_a.post("/integrations/email-smtp/test/", form_data(smtp_server), follow=True),
        admin_client_a.post(
            "/integrations/email-smtp/test/", form_data(smtp_server, password=""), follow=True
        ),
        admin_client_a.post(PAGE, form_data(smtp_server, from_name="x\r\n"), follow=True),
        admin_client_a.get("/integrations/"),
        admin_client_a.get("/"),
    ]
    for response in responses:
        assert SMTP_PASSWORD not in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM smtp_integration_smtpconfig")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("v1.") and SMTP_PASSWORD not in stored
    assert SMTP_PASSWORD.encode() not in base64.urlsafe_b64decode(stored.split(".")[2])
    events = AuditEvent.objects.filter(action__startswith="admin.integration_email_smtp")
    assert events.count() == 3  # created, tested twice
    for event in events:
        assert SMTP_PASSWORD not in str(event.metadata)
    # Both tests authenticated with the real password: the stored one opened.
    assert [a.password for a in smtp_server.auth_attempts] == [SMTP_PASSWORD] * 2


def test_a_ciphertext_copied_to_another_tenant_does_not_open(in_tenant_a, tenant_b):
    config = SmtpConfig(host="smtp.acme.test", port=587, from_address="noreply@acme.test")
    password_seal(config, "tenant-a-secret")
    config.save()
    token = config.password_encrypted
    with schema_context(tenant_b.schema_name):
        copy = SmtpConfig(
            host="smtp.acme.test",
            port=587,
            from_address="noreply@acme.test",
            secret_id=config.secret_id,
            password_encrypted=token,
        )
        copy.save()
        with pytest.raises(DecryptionError):
            password_open(copy)
    assert password_open(SmtpConfig.objects.get()) == "tenant-a-secret"


def test_rotate_encryption_keys_re_encrypts_under_the_first_key(in_tenant_a, settings, capsys):
    old, new = os.urandom(32), os.urandom(32)
    settings.FIELD_ENCRYPTION_KEYS = [old]
    config = SmtpConfig(host="smtp.acme.test", port=587, from_address="noreply@acme.test")
    password_seal(config, "rotate-me")
    config.save()

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 1 secret under key" in capsys.readouterr().out

    config.refresh_from_db()
    assert config.password_encrypted.split(".")[1] == key_id(new)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert password_open(config) == "rotate-me"
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 0 secrets" in capsys.readouterr().out


def test_rotation_re_encrypts_oauth_secrets_too(in_tenant_a, settings, capsys):
    old, new = os.urandom(32), os.urandom(32)
    settings.FIELD_ENCRYPTION_KEYS = [old]
    config = SmtpConfig(
        host="smtp.office365.com",
        port=587,
        from_address="noreply@acme.test",
        auth_method="oauth2",
        oauth_provider="microsoft",
    )
    secret_seal(config, "oauth_secret", "client-secret-value")
    config.save()

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 1 secret under key" in capsys.readouterr().out

    config.refresh_from_db()
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert secret_open(config, "oauth_secret") == "client-secret-value"
