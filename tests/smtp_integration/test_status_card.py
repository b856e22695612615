"""The status card and Save's message agree with each other and with what happened: the test
shown is the test of the saved settings, a pause names its real reason, and nothing of an old
configuration stays on the card or in the operators' tenant list."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mailer.models import OutboundEmail
from smtp_integration.models import SmtpConfig
from tenants.models import DeliverabilityStatus, EmailHealth, Tenant
from tests.support import smtp_form_data as form_data

pytestmark = pytest.mark.usefixtures("probes_inline")

PAGE = "/integrations/email-smtp/"
TEST = "/integrations/email-smtp/test/"


def card(client) -> str:
    html = client.get(PAGE).content.decode()
    return html[html.index('class="card status-card') : html.index("</section>")]


def test_saving_after_a_failed_test_says_so_in_red(admin_client_a, smtp_server):
    data = form_data(smtp_server, password="wrong-password")
    admin_client_a.post(TEST, data, follow=True)

    saved = admin_client_a.post(PAGE, data, follow=True).content.decode()

    assert "but the last test of these settings failed" in saved
    assert "have not passed Test connection yet" not in saved
    assert 'data-testid="settings-test-badge">Last test failed' in saved
    shown = card(admin_client_a)
    assert "Authentication failed" in shown
    assert "Failed" in shown


def test_a_password_only_save_is_not_called_tested(admin_client_a, smtp_server):
    admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    admin_client_a.post(PAGE, form_data(smtp_server))
    assert "Passed" in card(admin_client_a)

    saved = admin_client_a.post(PAGE, form_data(smtp_server, password="another"), follow=True)
    html = saved.content.decode()

    assert "have not passed Test connection yet" in html
    shown = card(admin_client_a)
    assert "Passed" not in shown
    assert "Not run since the last change" in shown


def test_a_test_of_the_saved_settings_with_the_stored_password_counts(admin_client_a, smtp_server):
    admin_client_a.post(PAGE, form_data(smtp_server))
    assert "Not tested" in card(admin_client_a)

    admin_client_a.post(TEST, form_data(smtp_server, password=""), follow=True)

    shown = card(admin_client_a)
    assert "Passed" in shown and "Not tested" not in shown


def test_a_pause_names_its_real_reason(admin_client_a, smtp_server):
    admin_client_a.post(PAGE, form_data(smtp_server))
    reason = "The certificate is not valid for smtp.acme.test"
    SmtpConfig.objects.update(health=EmailHealth.PAUSED, last_failure_reason=reason)

    shown = card(admin_client_a)

    assert "Custom SMTP paused" in shown
    assert f"{reason}. Emails wait until you fix the settings and save." in shown
    assert "authentication failed" not in shown.lower()


def test_switching_off_and_on_after_deliveries_is_not_called_unused(admin_client_a, smtp_server):
    admin_client_a.post(PAGE, form_data(smtp_server))
    SmtpConfig.objects.update(health=EmailHealth.OK, last_success_at=timezone.now())

    admin_client_a.post(f"{PAGE}toggle/", {"enabled": "0"})
    admin_client_a.post(f"{PAGE}toggle/", {"enabled": "1"})

    shown = card(admin_client_a)
    assert "Not used yet" not in shown
    assert "Waiting for the next email" in shown


def test_a_new_server_starts_without_the_old_ones_deliveries(admin_client_a, smtp_servers):
    first, second = smtp_servers("starttls"), smtp_servers("starttls")
    admin_client_a.post(PAGE, form_data(first))
    SmtpConfig.objects.update(health=EmailHealth.OK, last_success_at=timezone.now())

    admin_client_a.post(PAGE, form_data(second))

    shown = card(admin_client_a)
    assert "last delivered" not in shown
    assert SmtpConfig.objects.get().last_success_at is None


def test_the_platform_default_card_shows_no_test_of_removed_settings(admin_client_a, smtp_server):
    admin_client_a.post(TEST, form_data(smtp_server), follow=True)
    admin_client_a.post(PAGE, form_data(smtp_server))

    admin_client_a.post(f"{PAGE}delete/")

    shown = card(admin_client_a)
    assert "Platform default" in shown
    assert "Passed" not in shown and str(smtp_server.port) not in shown


def test_the_operators_list_forgets_deliverability_once_back_on_the_default(
    admin_client_a, smtp_server, tenant_a
):
    admin_client_a.post(PAGE, form_data(smtp_server))
    Tenant.objects.filter(pk=tenant_a.pk).update(email_deliverability=DeliverabilityStatus.FAIL)

    admin_client_a.post(f"{PAGE}toggle/", {"enabled": "0"})

    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert tenant.email_deliverability == DeliverabilityStatus.UNKNOWN


def test_an_email_held_by_a_pause_is_labelled_paused():
    email = OutboundEmail(status="queued", waiting_for="smtp_paused")
    assert email.status_label == "Paused"
    assert OutboundEmail(status="queued", waiting_for="rate_limited").status_label == "Queued"
