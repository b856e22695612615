"""Email SMTP with OAuth 2.0: Microsoft 365, Google Workspace and a generic provider, through
the page, against a real HTTPS token endpoint and an SMTP server that checks its tokens."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from smtp_integration.models import SmtpConfig, SmtpConnectionTest
from tests.support import OAUTH, oauth_form_data, schema_dump
from tests.support import smtp_form_data as form_data

pytestmark = pytest.mark.usefixtures("probes_inline")

PAGE = "/integrations/email-smtp/"
TEST = "/integrations/email-smtp/test/"


def run_test(client, data):
    return client.post(TEST, data, follow=True)


def step_names(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('data-step="')[1:]]


@pytest.fixture
def google_key(oauth):
    return oauth.service_accounts[OAUTH.service_account]


# --- each provider, end to end -----------------------------------------------------------------


def test_microsoft_365_signs_in_with_a_token_from_the_tenants_endpoint(
    admin_client_a, oauth_smtp_server, oauth
):
    page = run_test(admin_client_a, oauth_form_data(oauth_smtp_server))
    html = page.content.decode()

    assert page.status_code == 200, html
    assert 'data-testid="test-outcome">Passed' in html
    # The Token step comes between EHLO and AUTH, naming the endpoint and the HTTP status.
    assert step_names(html)[3:6] == ["ehlo", "token", "auth"]
    assert f"/ms/{OAUTH.tenant_id}/oauth2/v2.0/token (HTTP 200)" in html
    assert f"Authenticated as {OAUTH.mailbox} with XOAUTH2" in html
    (request,) = oauth.requests_of("microsoft")
    assert request.form["scope"] == "https://outlook.office365.com/.default"
    assert request.form["client_id"] == OAUTH.client_id
    (attempt,) = oauth_smtp_server.auth_attempts
    assert (attempt.mechanism, attempt.username, attempt.success) == (
        "XOAUTH2",
        OAUTH.mailbox,
        True,
    )
    assert len(oauth_smtp_server.messages) == 1
    assert OAUTH.client_secret not in html


def test_google_workspace_signs_a_jwt_for_the_user_to_send_as(
    admin_client_a, oauth_smtp_server, oauth, google_key
):
    data = oauth_form_data(oauth_smtp_server, "google", oauth_key=google_key.json_key())
    page = run_test(admin_client_a, data)
    html = page.content.decode()

    assert 'data-testid="test-outcome">Passed' in html, html
    (request,) = oauth.requests_of("google")  # the endpoint verified signature, aud, scope, sub
    assert request.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert oauth_smtp_server.auth_attempts[0].username == OAUTH.mailbox


def test_a_google_key_file_can_be_uploaded_and_only_three_of_its_fields_are_kept(
    admin_client_a, oauth_smtp_server, oauth, google_key
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "key.json", google_key.json_key().encode(), content_type="application/json"
    )
    data = oauth_form_data(oauth_smtp_server, "google") | {"oauth_key_file": upload}
    page = admin_client_a.post(PAGE, data, follow=True)
    assert "saved and active" in page.content.decode()

    config = SmtpConfig.objects.get()
    assert config.oauth_client_email == OAUTH.service_account
    assert config.oauth_key_id == google_key.key_id
    assert config.oauth_secret_encrypted and not config.password_encrypted
    stored = json.dumps({f.name: str(getattr(config, f.name)) for f in SmtpConfig._meta.fields})
    assert 'cymmetri-test"' not in stored  # project_id
    assert "104857600000000000001" not in stored  # the key file's client_id
    assert "PRIVATE KEY" not in stored


def test_a_generic_provider_gets_client_credentials_with_http_basic(
    admin_client_a, oauth_smtp_server, oauth
):
    data = oauth_form_data(oauth_smtp_server, "generic", oauth_token_url=oauth.generic_token_url)
    page = run_test(admin_client_a, data)
    assert 'data-testid="test-outcome">Passed' in page.content.decode()
    (request,) = oauth.requests_of("generic")
    assert "client_secret" not in request.form  # it went in the Authorization header
    assert request.form["scope"] == "smtp.send"


def test_oauthbearer_is_used_where_the_server_offers_only_that(admin_client_a, smtp_servers, oauth):
    server = smtp_servers(
        "starttls", auth=None, oauth=oauth.accepts, auth_mechanisms=("OAUTHBEARER",)
    )
    page = run_test(admin_client_a, oauth_form_data(server))
    assert 'data-testid="test-outcome">Passed' in page.content.decode()
    assert server.auth_attempts[0].mechanism == "OAUTHBEARER"


# --- what the admin is told when the token endpoint says no --------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"oauth_tenant_id": "00000000-0000-0000-0000-000000000000"},
            "the directory (tenant) ID is wrong",
        ),
        (
            {"oauth_client_id": "11111111-2222-3333-4444-555555555555"},
            "no application with this client ID is registered in that directory",
        ),
        (
            {"oauth_secret": "the-secret-id-not-its-value"},
            "paste the secret&#x27;s Value (not its Secret ID)",
        ),
    ],
)
def test_microsoft_refusals_name_the_fix(
    admin_client_a, oauth_smtp_server, oauth, overrides, expected
):
    page = run_test(admin_client_a, oauth_form_data(oauth_smtp_server, **overrides))
    html = page.content.decode()
    assert 'data-testid="test-outcome">Failed' in html
    assert expected in html
    assert "Token refused: HTTP 4" in html  # the Token step, with the endpoint's status
    assert not oauth_smtp_server.auth_attempts  # nothing was tried on the SMTP server


def test_an_expired_microsoft_secret_is_called_expired(admin_client_a, oauth_smtp_server, oauth):
    oauth.expired_secrets.add(OAUTH.client_secret)
    try:
        html = run_test(admin_client_a, oauth_form_data(oauth_smtp_server)).content.decode()
    finally:
        oauth.expired_secrets.discard(OAUTH.client_secret)
    assert "the client secret has expired" in html
    assert "AADSTS7000222" in html


def test_missing_google_delegation_says_where_to_add_it(
    admin_client_a, oauth_smtp_server, oauth, google_key
):
    data = oauth_form_data(
        oauth_smtp_server, "google", oauth_key=google_key.json_key(), username="ceo@acme.test"
    )
    html = run_test(admin_client_a, data).content.decode()
    assert "domain-wide delegation is missing" in html
    assert "https://mail.google.com/" in html


def test_a_token_endpoint_that_is_down_is_a_temporary_problem(
    admin_client_a, oauth_smtp_server, oauth
):
    oauth.down = True
    html = run_test(admin_client_a, oauth_form_data(oauth_smtp_server)).content.decode()
    assert "answered HTTP 503" in html
    assert "emails wait and are retried" in html


def test_microsoft_refusing_passwords_points_to_oauth(admin_client_a, smtp_servers):
    server = smtp_servers("starttls")
    server.fail_at(
        "auth",
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    )
    html = run_test(admin_client_a, form_data(server)).content.decode()
    assert "Password sign-in switched off by the provider" in html
    assert "Choose OAuth 2.0 as the sign-in method" in html
    assert 'href="#sign-in" data-switch-oauth' in html

    server.fail_at(
        "mail_from",
        "550 5.7.30 Basic authentication is not supported for Client Submission.",
    )
    html = run_test(admin_client_a, form_data(server)).content.decode()
    assert "Choose OAuth 2.0 as the sign-in method" in html


def test_a_refused_token_at_the_smtp_server_says_what_exchange_needs(
    admin_client_a, smtp_servers, oauth
):
    server = smtp_servers("starttls", auth=None, oauth=lambda user, token: False)
    html = run_test(admin_client_a, oauth_form_data(server)).content.decode()
    assert f"The server refused the token for {OAUTH.mailbox}" in html
    assert "check that the client may send as" in html


# --- the secret stays with the settings it was entered for ----------------------------------------


def save(client, data):
    return client.post(PAGE, data, follow=True)


def test_a_changed_token_url_needs_the_secret_again(admin_client_a, oauth_smtp_server, oauth):
    data = oauth_form_data(oauth_smtp_server, "generic", oauth_token_url=oauth.generic_token_url)
    save(admin_client_a, data)
    elsewhere = data | {
        "oauth_secret": "",
        "oauth_token_url": oauth.generic_token_url.replace("/generic/", "/other/"),
    }

    for url in (PAGE, TEST):
        page = admin_client_a.post(url, elsewhere)
        assert page.status_code == 400
        assert "You changed the token URL, so enter the client secret again" in (
            page.content.decode()
        )
    assert oauth.requests_of("generic") == []  # the secret never went anywhere

    kept = save(admin_client_a, data | {"oauth_secret": "", "from_name": "Renamed"})
    assert "saved" in kept.content.decode()
    assert SmtpConfig.objects.get().oauth_secret_encrypted


@pytest.mark.parametrize(
    "change",
    [
        {"oauth_tenant_id": "contoso.onmicrosoft.com"},
        {"oauth_client_id": "11111111-2222-3333-4444-555555555555"},
        {"username": "other@acme.test"},
        {"oauth_provider": "generic", "oauth_token_url": "https://localhost/token"},
    ],
)
def test_every_field_the_secret_is_bound_to_asks_for_it_again(
    admin_client_a, oauth_smtp_server, oauth, change
):
    data = oauth_form_data(oauth_smtp_server)
    save(admin_client_a, data)
    page = admin_client_a.post(PAGE, data | {"oauth_secret": ""} | change)
    assert page.status_code == 400
    assert "so enter the client secret again" in page.content.decode()


def test_switching_methods_keeps_only_the_secret_of_the_method_in_use(
    admin_client_a, oauth_smtp_server, smtp_server, oauth
):
    save(admin_client_a, form_data(smtp_server))
    assert SmtpConfig.objects.get().password_encrypted

    save(admin_client_a, oauth_form_data(oauth_smtp_server))
    config = SmtpConfig.objects.get()
    assert config.uses_oauth and config.oauth_secret_encrypted
    assert not config.password_encrypted

    back = admin_client_a.post(PAGE, form_data(smtp_server, password=""))
    assert back.status_code == 400  # the password is gone: it must be typed again
    save(admin_client_a, form_data(smtp_server))
    config = SmtpConfig.objects.get()
    assert not config.uses_oauth and not config.oauth_secret_encrypted
    assert (config.oauth_provider, config.oauth_tenant_id, config.oauth_client_id) == ("", "", "")


# --- what the form refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"oauth_provider": ""}, "oauth_provider", "Choose the provider that issues the tokens."),
        ({"username": ""}, "username", "Enter the mailbox to send as"),
        (
            {"oauth_tenant_id": "not a tenant!"},
            "oauth_tenant_id",
            "Enter the directory (tenant) ID",
        ),
        ({"oauth_client_id": "my-app"}, "oauth_client_id", "is a GUID"),
        ({"oauth_secret": "********"}, "oauth_secret", "looks like a mask"),
        ({"oauth_secret": ""}, "oauth_secret", "Enter the client secret."),
    ],
)
def test_bad_microsoft_settings_get_a_field_error_and_keep_what_was_typed(
    admin_client_a, oauth_smtp_server, overrides, field, message
):
    data = oauth_form_data(oauth_smtp_server, **overrides)
    page = admin_client_a.post(PAGE, data)
    html = page.content.decode()
    assert page.status_code == 400
    assert message in html
    assert OAUTH.client_secret not in html  # a secret is never rendered back
    if field != "oauth_tenant_id":
        assert f'value="{data["oauth_tenant_id"]}"' in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost/token", "full https:// address"),
        ("https://169.254.169.254/latest/token", "the platform does not send secrets there"),
        ("https://10.0.0.8/token", "the platform does not send secrets there"),
        ("https://localhost:8443/token", "Port 8443 is not allowed"),
    ],
)
def test_a_token_url_obeys_the_same_network_policy_as_smtp_hosts(
    admin_client_a, oauth_smtp_server, settings, url, message
):
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = []  # the operator allows no private network
    data = oauth_form_data(oauth_smtp_server, "generic", oauth_token_url=url)
    page = admin_client_a.post(TEST, data, follow=True)
    assert page.status_code == 400
    assert message in page.content.decode()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("{not json", "This is not a service account"),
        ('{"type": "authorized_user"}', "This is not a service account"),
        (
            '{"type": "service_account", "client_email": "x@y"}',
            "has no private_key_id, private_key",
        ),
    ],
)
def test_a_bad_google_key_is_explained(admin_client_a, oauth_smtp_server, key, message):
    data = oauth_form_data(oauth_smtp_server, "google", oauth_key=key)
    page = admin_client_a.post(PAGE, data)
    assert page.status_code == 400
    assert message in page.content.decode()


# --- secrets at rest and in records -------------------------------------------------------


def test_oauth_secrets_are_nowhere_in_plaintext(
    committed, admin_client_a, oauth_smtp_server, oauth, google_key, caplog
):
    caplog.set_level("DEBUG")
    save(admin_client_a, oauth_form_data(oauth_smtp_server))
    run_test(admin_client_a, oauth_form_data(oauth_smtp_server, oauth_secret=""))
    page = admin_client_a.get(PAGE).content.decode()
    issued = list(oauth.issued)

    google = oauth_form_data(oauth_smtp_server, "google", oauth_key=google_key.json_key())
    save(admin_client_a, google)
    page += admin_client_a.get(PAGE).content.decode()

    private_key_line = google_key.private_key_pem.splitlines()[1]
    records = json.dumps(list(AuditEvent.objects.values("action", "metadata")), default=str)
    records += json.dumps(list(SmtpConnectionTest.objects.values()), default=str)
    # The database as a whole, as an operator's dump of the tenant's schema shows it.
    dump = schema_dump()
    for secret in (OAUTH.client_secret, private_key_line, *issued):
        assert secret not in page
        assert secret not in records
        assert secret not in caplog.text
        assert secret not in dump
