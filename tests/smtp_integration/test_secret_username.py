"""A username that is itself a credential (Postmark's Server API token, typed as username and
password): sealed like the password, shown masked, bound like a secret.

The page reaches smtp.postmarkapp.com at the loopback test server (tests/fixtures/smtp.py,
``postmark_server``); everything else is real: the page, the database, the SMTP server and its
TLS certificate for that name."""

from __future__ import annotations

import importlib

import pytest

from mailer.routing import custom_route
from smtp_integration.models import SmtpConfig
from smtp_integration.secrets import username_open
from tests.support import POSTMARK_HOST, POSTMARK_TOKEN, schema_dump
from tests.support import smtp_form_data as form_data

pytestmark = pytest.mark.usefixtures("probes_inline")

PAGE = "/integrations/email-smtp/"
TEST = "/integrations/email-smtp/test/"
POSTMARK = POSTMARK_HOST
TOKEN = POSTMARK_TOKEN
MASK = "\u2022" * 4 + TOKEN[-4:]


def postmark_data(server, **overrides):
    return form_data(server, host=POSTMARK, username=TOKEN, password=TOKEN) | overrides


def test_the_token_is_sealed_and_only_its_mask_is_shown(committed, admin_client_a, postmark_server):
    saved = admin_client_a.post(PAGE, postmark_data(postmark_server), follow=True)
    assert saved.status_code == 200

    config = SmtpConfig.objects.get()
    assert config.username == MASK
    assert config.username_encrypted and TOKEN not in config.username_encrypted
    assert username_open(config) == TOKEN
    page = admin_client_a.get(PAGE).content.decode()
    assert TOKEN not in page
    assert f'placeholder="{MASK} (stored encrypted)"' in page
    assert 'type="password" name="username"' in page
    assert TOKEN not in schema_dump()


def test_a_test_with_the_stored_token_signs_in_and_never_shows_it(admin_client_a, postmark_server):
    admin_client_a.post(PAGE, postmark_data(postmark_server))

    tested = admin_client_a.post(
        TEST, postmark_data(postmark_server, username="", password=""), follow=True
    )
    html = tested.content.decode()

    assert 'data-testid="test-outcome">Passed' in html, html
    assert f"Authenticated as {MASK} with" in html
    assert TOKEN not in html
    assert [a.username for a in postmark_server.auth_attempts] == [TOKEN]


def test_a_new_token_needs_the_password_again(admin_client_a, postmark_server):
    admin_client_a.post(PAGE, postmark_data(postmark_server))

    page = admin_client_a.post(
        PAGE, postmark_data(postmark_server, username="another-token", password="")
    )

    assert page.status_code == 400
    assert "enter the password again" in page.content.decode()
    assert username_open(SmtpConfig.objects.get()) == TOKEN


def test_the_mask_typed_back_is_refused(admin_client_a, postmark_server):
    admin_client_a.post(PAGE, postmark_data(postmark_server))

    page = admin_client_a.post(PAGE, postmark_data(postmark_server, username=MASK, password=""))

    assert page.status_code == 400
    assert "the stored token&#x27;s mask" in page.content.decode()


def test_a_failed_save_does_not_show_the_typed_token_again(admin_client_a, postmark_server):
    page = admin_client_a.post(PAGE, postmark_data(postmark_server, from_address="not an address"))

    assert page.status_code == 400
    assert TOKEN not in page.content.decode()


def test_the_mailer_signs_in_with_the_opened_token(admin_client_a, postmark_server):
    admin_client_a.post(PAGE, postmark_data(postmark_server))

    server = custom_route(SmtpConfig.objects.get()).server

    assert (server.username, server.password, server.username_is_secret) == (TOKEN, TOKEN, True)
    assert TOKEN not in repr(server)


def test_other_providers_usernames_stay_plain(admin_client_a, smtp_server):
    admin_client_a.post(PAGE, form_data(smtp_server, username="apikey"))

    config = SmtpConfig.objects.get()
    assert (config.username, config.username_encrypted) == ("apikey", "")


def test_stored_postmark_tokens_are_sealed_by_the_migration(in_tenant_a):
    from django.apps import apps

    migration = importlib.import_module(
        "smtp_integration.migrations.0005_postmark_token_username_sealed"
    )
    before = SmtpConfig.objects.create(
        host=POSTMARK, port=587, username=TOKEN, from_address="noreply@acme.test"
    )
    other = SmtpConfig(host="smtp.sendgrid.net", port=587, username="apikey")

    migration.seal_secret_usernames(apps, None)

    after = SmtpConfig.objects.get(pk=before.pk)
    assert after.username == MASK
    assert username_open(after) == TOKEN
    assert other.username == "apikey"
