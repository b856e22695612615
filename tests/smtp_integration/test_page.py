"""Integrations → Email SMTP: configure, test connection, save, toggle, remove."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from audit.models import AuditEvent
from smtp_integration.models import SmtpConfig, SmtpConnectionTest
from tenants.models import Tenant
from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME
from tests.support import smtp_form_data as form_data

pytestmark = pytest.mark.usefixtures("probes_inline")

PAGE = "/integrations/email-smtp/"
TEST = "/integrations/email-smtp/test/"


def save(client, data):
    return client.post(PAGE, data, follow=True)


def test_page_starts_on_the_platform_default(admin_client_a):
    page = admin_client_a.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Platform default" in html
    assert "noreply@mail.cymmetri.localhost" in html or "noreply@" in html
    assert "Configure your own SMTP" in html
    for name in (
        "host",
        "port",
        "tls_mode",
        "username",
        "password",
        "from_address",
        "from_name",
        "reply_to",
    ):
        assert f'name="{name}"' in html


def test_save_activates_the_configuration_at_once(admin_client_a, smtp_server, tenant_a):
    page = save(admin_client_a, form_data(smtp_server))
    html = page.content.decode()
    assert "Your SMTP settings are saved and active" in html
    assert "have not passed Test connection yet" in html
    assert "Custom SMTP active" in html

    config = SmtpConfig.objects.get()
    assert (config.host, config.port, config.tls_mode) == (
        "localhost",
        smtp_server.port,
        "starttls",
    )
    assert config.enabled and config.version == 1
    assert config.updated_by_email == "admin@production.localhost"
    event = AuditEvent.objects.get(action="admin.integration_email_smtp_created")
    assert event.tenant_id == tenant_a.pk
    assert event.actor_email == "admin@production.localhost"
    assert set(event.metadata["changed_fields"]) >= {"host", "port", "password", "from_address"}
    assert Tenant.objects.get(pk=tenant_a.pk).email_transport == "custom"


def test_connection_test_sends_to_the_admin_through_the_server(admin_client_a, smtp_server):
    response = admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="test-outcome">Passed' in html
    for step in ("Resolve", "Connect", "TLS", "EHLO", "AUTH", "MAIL FROM", "RCPT TO", "DATA"):
        assert f'<span class="step__name">{step}</span>' in html

    [received] = smtp_server.messages
    assert received.rcpt_tos == ["admin@production.localhost"]
    assert received.mail_from == "noreply@acme.test"
    assert received.message["From"].addresses[0].display_name == "Acme Auth"
    assert received.message["From"].addresses[0].addr_spec == "noreply@acme.test"
    assert received.message["Reply-To"] == "support@acme.test"
    assert "Cymmetri Production" in received.message["Subject"]
    assert [a.username for a in smtp_server.auth_attempts] == [SMTP_USERNAME]

    event = AuditEvent.objects.get(action="admin.integration_email_smtp_tested")
    assert event.metadata["outcome"] == "passed"
    assert event.recipient == "admin@production.localhost"
    # Nothing was saved by testing.
    assert not SmtpConfig.objects.exists()


def test_control_characters_in_a_servers_reply_are_shown_and_stored_clean(
    admin_client_a, smtp_server
):
    smtp_server.accept_reply = "250 2.0.0 Queued\x00 as <9>\x1b[31m"

    response = admin_client_a.post(TEST, form_data(smtp_server), follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="test-outcome">Passed' in html
    assert "\x00" not in html and "\x1b" not in html
    assert "2.0.0 Queued\ufffd as &lt;9&gt;\ufffd[31m" in html
    stored = SmtpConnectionTest.objects.get()
    [data] = [step for step in stored.steps if step["name"] == "data"]
    assert data["reply"] == "2.0.0 Queued\ufffd as <9>\ufffd[31m"
    assert "\x00" not in stored.message


def test_saving_tested_settings_says_nothing_about_testing(admin_client_a, smtp_server):
    admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    html = save(admin_client_a, form_data(smtp_server)).content.decode()
    assert "saved and active" in html
    assert "have not passed Test connection yet" not in html
    assert AuditEvent.objects.get(action="admin.integration_email_smtp_created").metadata["tested"]


def test_implicit_tls_passes(admin_client_a, smtp_servers):
    server = smtp_servers("tls")
    html = admin_client_a.post(TEST, form_data(server), follow=True).content.decode()
    assert 'data-testid="test-outcome">Passed' in html
    assert len(server.messages) == 1


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ({"mail_from": "550 5.7.1 Sender address not verified"}, "noreply@acme.test"),
        ({"greeting": "421 4.7.0 Too many connections, slow down"}, "421"),
    ],
)
def test_failures_are_explained_on_the_page(admin_client_a, smtp_servers, script, expected):
    server = smtp_servers("starttls", script=script)
    response = admin_client_a.post(TEST, form_data(server), follow=True)
    html = response.content.decode()
    assert 'data-testid="test-outcome">Failed' in html
    assert expected in html
    assert server.messages == []
    event = AuditEvent.objects.get(action="admin.integration_email_smtp_tested")
    assert event.metadata["outcome"] == "failed"
    assert event.metadata["reason"]


def test_wrong_password_is_explained(admin_client_a, smtp_server):
    html = admin_client_a.post(
        TEST, form_data(smtp_server, password="wrong"), follow=True
    ).content.decode()
    assert 'data-testid="test-outcome">Failed' in html
    assert "Authentication failed" in html or "authentication failed" in html
    assert len(smtp_server.auth_attempts) == 1


def test_tls_mode_mismatch_is_explained_both_ways(admin_client_a, smtp_servers):
    tls_server = smtp_servers("tls")
    starttls_server = smtp_servers("starttls")
    html = admin_client_a.post(
        TEST, form_data(tls_server, tls_mode="starttls"), follow=True
    ).content.decode()
    assert 'data-testid="test-outcome">Failed' in html
    assert f"Port {tls_server.port} expects TLS from the first byte; choose TLS" in html
    html = admin_client_a.post(
        TEST, form_data(starttls_server, tls_mode="tls"), follow=True
    ).content.decode()
    assert 'data-testid="test-outcome">Failed' in html
    assert "speaks plain SMTP first; choose STARTTLS, not TLS" in html


def test_editing_without_a_password_keeps_the_stored_one(admin_client_a, smtp_server):
    save(admin_client_a, form_data(smtp_server))
    html = save(admin_client_a, form_data(smtp_server, password="", from_name="Acme Login"))
    assert "saved" in html.content.decode()
    config = SmtpConfig.objects.get()
    assert config.from_name == "Acme Login"
    assert config.version == 2
    # The stored password still works: a test with an empty password field authenticates.
    admin_client_a.post(TEST, form_data(smtp_server, password=""), follow=True)
    assert [a.password for a in smtp_server.auth_attempts] == [SMTP_PASSWORD]
    updated = AuditEvent.objects.get(action="admin.integration_email_smtp_updated")
    assert updated.metadata["changed_fields"] == ["from_name"]


def test_the_stored_password_never_reaches_a_changed_host(admin_client_a, smtp_servers):
    original = smtp_servers("starttls")
    elsewhere = smtp_servers("starttls")
    save(admin_client_a, form_data(original))

    # Same host name, other port: a different server. No password typed.
    changed = form_data(elsewhere, password="")
    test = admin_client_a.post(TEST, changed, follow=True)
    assert test.status_code == 400
    assert "enter the password again" in test.content.decode()
    saved = admin_client_a.post(PAGE, changed)
    assert saved.status_code == 400
    assert "You changed the port, so enter the password again" in saved.content.decode()
    assert elsewhere.auth_attempts == [] and elsewhere.connections == 0
    assert SmtpConfig.objects.get().port == original.port

    # A changed username is another account: the same rule.
    other_user = admin_client_a.post(
        TEST, form_data(original, password="", username="other"), follow=True
    )
    assert "enter the password again" in other_user.content.decode()
    assert original.auth_attempts == []


def test_a_mask_is_never_taken_for_a_password(admin_client_a, smtp_server):
    response = admin_client_a.post(PAGE, form_data(smtp_server, password="********"))
    assert response.status_code == 400
    assert "mask" in response.content.decode()
    assert not SmtpConfig.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("from_name", "Acme\r\nBcc: victim@example.com", "Line breaks and control characters"),
        ("from_name", "Acme\x07", "control characters"),
        ("from_address", "noreply@acme.test\r\nBcc: x@y.z", "valid email"),
        ("from_address", "not-an-address", "valid email"),
        ("reply_to", "support at acme", "valid email"),
        ("host", "smtp://smtp.acme.test", "without smtp://"),
        ("host", "smtp.acme.test:587", "Port field"),
        ("host", "bad_host!.acme", "not a valid host"),
        ("host", "a" * 300, "at most 253"),
        ("port", "2526", "not allowed"),
        ("port", "abc", "whole number"),
        ("tls_mode", "none", "not one of the available choices"),
        ("from_name", "x" * 101, "at most 100"),
    ],
)
def test_bad_input_gets_a_field_error_and_keeps_what_was_typed(
    admin_client_a, smtp_server, field, value, message
):
    data = form_data(smtp_server, **{field: value})
    response = admin_client_a.post(PAGE, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    # What was typed is still there, except the password.
    assert 'value="Acme Auth"' in html or field == "from_name"
    assert 'value="noreply@acme.test"' in html or field == "from_address"
    assert SMTP_PASSWORD not in html
    assert not SmtpConfig.objects.exists()


def test_plaintext_only_where_the_platform_allows_it(admin_client_a, smtp_servers, settings):
    server = smtp_servers("plain")
    refused = admin_client_a.post(PAGE, form_data(server, tls_mode="none"))
    assert refused.status_code == 400
    settings.SMTP_ALLOW_PLAINTEXT = True
    page = admin_client_a.get(PAGE).content.decode()
    assert 'value="none"' in page
    assert save(admin_client_a, form_data(server, tls_mode="none")).status_code == 200
    assert SmtpConfig.objects.get().tls_mode == "none"


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "10.0.0.5", "192.168.1.1", "[::1]", "localhost", "127.0.0.1"]
)
def test_private_and_metadata_hosts_are_refused_unless_allow_listed(admin_client_a, settings, host):
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = []
    data = form_data(type("S", (), {"port": 587, "mode": "starttls"})(), host=host)
    for url in (PAGE, TEST):
        response = admin_client_a.post(url, data)
        assert response.status_code == 400
        refusal = (
            "does not resolve to an address the platform may connect to"
            if host == "localhost"  # a name: never followed to its address (see below)
            else "the platform does not connect there"
        )
        assert refusal in response.content.decode()
    assert not SmtpConfig.objects.exists()
    assert not SmtpConnectionTest.objects.exists()

    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = [
        "169.254.0.0/16",
        "10.0.0.0/8",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "::1/128",
    ]
    assert admin_client_a.post(PAGE, data).status_code == 302
    assert SmtpConfig.objects.get().host == host.strip("[]")


def test_toggle_off_and_on(admin_client_a, smtp_server, tenant_a):
    save(admin_client_a, form_data(smtp_server))
    off = admin_client_a.post("/integrations/email-smtp/toggle/", {"enabled": "0"}, follow=True)
    assert "Custom SMTP configured, disabled" in off.content.decode()
    config = SmtpConfig.objects.get()
    assert not config.enabled and config.version == 2
    assert Tenant.objects.get(pk=tenant_a.pk).email_transport == "custom_disabled"

    on = admin_client_a.post("/integrations/email-smtp/toggle/", {"enabled": "1"}, follow=True)
    assert "Custom SMTP active" in on.content.decode()
    assert SmtpConfig.objects.get().version == 3
    actions = list(
        AuditEvent.objects.filter(action__startswith="admin.integration_email_smtp_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [
        "admin.integration_email_smtp_disabled",
        "admin.integration_email_smtp_enabled",
    ]


def test_remove_after_confirmation(admin_client_a, smtp_server, tenant_a):
    save(admin_client_a, form_data(smtp_server))
    confirm = admin_client_a.get("/integrations/email-smtp/delete/")
    assert b"Remove your SMTP settings?" in confirm.content
    assert SmtpConfig.objects.exists()
    done = admin_client_a.post("/integrations/email-smtp/delete/", follow=True)
    assert "Platform default" in done.content.decode()
    assert not SmtpConfig.objects.exists()
    assert AuditEvent.objects.filter(action="admin.integration_email_smtp_deleted").count() == 1
    assert Tenant.objects.get(pk=tenant_a.pk).email_transport == "platform_default"


def test_an_internal_name_reads_exactly_like_a_name_that_does_not_exist(admin_client_a, settings):
    """Else the page maps the platform's internal names (db, redis) for anyone who asks."""
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = []
    server = type("S", (), {"port": 587, "mode": "starttls"})()

    def refusal(url, host):
        html = admin_client_a.post(url, form_data(server, host=host)).content.decode()
        start = html.index(host + " does not resolve")
        return html[start : html.index("<", start)].replace(host, "HOST")

    for url in (PAGE, TEST):
        internal, missing = refusal(url, "localhost"), refusal(url, "nothing-here.invalid")
        assert internal == missing
        assert "127.0.0.1" not in internal and "loopback" not in internal


def test_saves_are_limited_per_admin(admin_client_a, smtp_server):
    from smtp_integration.views import SAVES_PER_WINDOW

    for _ in range(SAVES_PER_WINDOW):
        assert save(admin_client_a, form_data(smtp_server)).status_code == 200
    refused = admin_client_a.post(PAGE, form_data(smtp_server, from_name="Kept"))

    assert refused.status_code == 429
    html = refused.content.decode()
    assert f"You have saved {SAVES_PER_WINDOW} times in the last 10 minutes" in html
    assert 'value="Kept"' in html  # what was typed stays


def test_only_tenant_admins_may_use_the_page(member_client_a, smtp_server):
    for method, url in [
        ("get", PAGE),
        ("post", PAGE),
        ("post", TEST),
        ("post", "/integrations/email-smtp/toggle/"),
        ("get", "/integrations/email-smtp/delete/"),
        ("post", "/integrations/email-smtp/delete/"),
    ]:
        assert getattr(member_client_a, method)(url, form_data(smtp_server)).status_code == 403, url
    assert smtp_server.connections == 0
    member_client_a.logout()
    assert member_client_a.get(PAGE).status_code == 302


def test_every_post_needs_csrf(in_tenant_a, admin_a, smtp_server):
    from django.test import Client

    strict = Client(HTTP_HOST="production.localhost", enforce_csrf_checks=True)
    strict.force_login(admin_a)
    for url in (PAGE, TEST, "/integrations/email-smtp/toggle/", "/integrations/email-smtp/delete/"):
        assert strict.post(url, form_data(smtp_server)).status_code == 403
    assert smtp_server.connections == 0


def test_connection_tests_are_limited_per_admin(admin_client_a, admin_a, smtp_server):
    for _ in range(10):
        assert admin_client_a.post(TEST, form_data(smtp_server), follow=True).status_code == 200
    assert smtp_server.connections == 10
    response = admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    assert response.status_code == 429
    assert "Try again in about 10 minutes" in response.content.decode()
    assert smtp_server.connections == 10


def test_the_integrations_index_shows_the_active_smtp(admin_client_a, smtp_server):
    save(admin_client_a, form_data(smtp_server))
    index = admin_client_a.get("/integrations/").content.decode()
    assert "Custom SMTP active" in index
    assert "Acme Auth &lt;noreply@acme.test&gt;" in index


def test_tenant_b_gets_nothing_of_tenant_as(admin_client_a, client_b, tenant_b, smtp_server):
    from django_tenants.utils import schema_context

    save(admin_client_a, form_data(smtp_server))
    admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    session_a = admin_client_a.cookies["sessionid"].value

    with schema_context(tenant_b.schema_name):
        admin_b = get_user_model().objects.get(email="admin@staging.localhost")
        client_b.force_login(admin_b)
        assert not SmtpConfig.objects.exists()
        assert not SmtpConnectionTest.objects.exists()
    page_b = client_b.get(PAGE).content.decode()
    assert "Platform default" in page_b
    assert "localhost:" not in page_b and "Acme Auth" not in page_b and "Passed" not in page_b

    # Tenant B's session is worthless on tenant A's domain, and A's on B's.
    from django.test import Client

    b_on_a = Client(HTTP_HOST="production.localhost")
    b_on_a.cookies["sessionid"] = client_b.cookies["sessionid"].value
    for url in (PAGE, "/integrations/email-smtp/delete/"):
        assert b_on_a.get(url).status_code == 302
    assert b_on_a.post("/integrations/email-smtp/toggle/", {"enabled": "0"}).status_code in (
        302,
        403,
    )
    a_on_b = Client(HTTP_HOST="staging.localhost")
    a_on_b.cookies["sessionid"] = session_a
    assert a_on_b.get(PAGE).status_code == 302
    with schema_context("production-cymmetri"):
        assert SmtpConfig.objects.get().enabled  # still on in A


def test_operators_see_each_tenants_smtp_in_admin(admin_client_a, smtp_server):
    from django.test import Client

    from tests.support import OPERATOR_EMAIL, TEST_PASSWORD

    save(admin_client_a, form_data(smtp_server))
    connection.set_schema_to_public()
    operator = Client(HTTP_HOST="localhost")
    assert operator.login(username=OPERATOR_EMAIL, password=TEST_PASSWORD)
    listing = operator.get("/admin/tenants/tenant/?email_transport__exact=custom")
    tenants = [t.schema_name for t in listing.context["cl"].result_list]
    assert tenants == ["production-cymmetri"]
    assert "Custom SMTP" in listing.content.decode()


def test_sending_options_are_saved_and_audited(admin_client_a, smtp_server):
    save(admin_client_a, form_data(smtp_server))
    save(
        admin_client_a,
        form_data(smtp_server, password="", max_per_minute="120", fallback_to_platform="on"),
    )
    config = SmtpConfig.objects.get()
    assert (config.max_per_minute, config.fallback_to_platform) == (120, True)
    updated = AuditEvent.objects.get(action="admin.integration_email_smtp_updated")
    assert updated.metadata["changed_fields"] == ["max_per_minute", "fallback_to_platform"]
    form = admin_client_a.get(PAGE).context["form"]
    assert form["max_per_minute"].value() == 120
    assert form["fallback_to_platform"].value() is True
    refused = admin_client_a.post(PAGE, form_data(smtp_server, password="", max_per_minute="0"))
    assert refused.status_code == 400


def test_the_local_mail_catcher_is_a_preset_in_development_only(
    admin_client_a, smtp_servers, settings
):
    catcher = smtp_servers("plain", auth=None)
    settings.SMTP_ALLOWED_PORTS = frozenset({25, 465, 587, 2525})
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = []
    settings.SMTP_ALLOW_PLAINTEXT = False
    settings.DEV_MAIL_CATCHER = f"127.0.0.1:{catcher.port}"
    data = form_data(catcher, host="127.0.0.1", tls_mode="none", username="", password="")

    settings.DEBUG = True
    page = admin_client_a.get(PAGE).content.decode()
    assert "Local mail catcher (development only)" in page
    tested = admin_client_a.post(TEST, data, follow=True).content.decode()
    assert 'data-testid="test-outcome">Passed' in tested, tested
    assert len(catcher.messages) == 1

    settings.DEBUG = False  # production: the same setting does nothing
    assert "Local mail catcher" not in admin_client_a.get(PAGE).content.decode()
    assert admin_client_a.post(TEST, data, follow=True).status_code == 400
    assert len(catcher.messages) == 1


def test_every_field_description_the_page_points_to_exists(
    admin_client_a, smtp_server, postmark_server
):
    import re

    from tests.support import POSTMARK_HOST, POSTMARK_TOKEN

    def dangling(html: str) -> set[str]:
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        pointed = {
            name
            for value in re.findall(r'aria-describedby="([^"]+)"', html)
            for name in value.split()
        }
        return pointed - ids

    pages = [admin_client_a.get(PAGE).content.decode()]
    pages.append(admin_client_a.post(PAGE, form_data(smtp_server, port="x")).content.decode())
    postmark = form_data(
        postmark_server, host=POSTMARK_HOST, username=POSTMARK_TOKEN, password=POSTMARK_TOKEN
    )
    admin_client_a.post(PAGE, postmark)
    pages.append(admin_client_a.get(PAGE).content.decode())
    for html in pages:
        assert "aria-describedby" in html
        assert not dangling(html)


def test_connection_tests_greet_with_the_platforms_mail_domain(
    admin_client_a, smtp_server, settings
):
    admin_client_a.post(TEST, form_data(smtp_server), follow=True)

    assert set(smtp_server.ehlo_names) == {settings.PLATFORM_EMAIL_DOMAIN}
