"""Provider data: the SMTP host names the provider, presets fill the form."""

from __future__ import annotations

import pytest

from smtp_integration.providers import PRESETS, PROVIDERS, provider_for_host


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("smtp.sendgrid.net", "sendgrid"),
        ("SMTP.SendGrid.net.", "sendgrid"),
        ("smtp.postmarkapp.com", "postmark"),
        ("smtp.mailgun.org", "mailgun"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("email-smtp.eu-central-1.amazonaws.com", "amazon_ses"),
        ("smtp.gmail.com", "google_workspace"),
        ("smtp-relay.gmail.com", "google_workspace"),
        ("smtp.office365.com", "microsoft_365"),
        ("smtp-relay.brevo.com", "brevo"),
    ],
)
def test_known_hosts_name_their_provider(host, key):
    assert provider_for_host(host).key == key


@pytest.mark.parametrize("host", ["mail.example.com", "smtp.sendgrid.net.evil.example", "", None])
def test_other_hosts_are_an_own_server(host):
    assert provider_for_host(host) is None


def test_ses_host_gives_its_region():
    provider = provider_for_host("email-smtp.ap-southeast-2.amazonaws.com")

    assert provider.match("email-smtp.ap-southeast-2.amazonaws.com") == {"region": "ap-southeast-2"}


def test_presets_cover_every_provider_in_order_with_the_expected_hints():
    assert PRESETS[0].provider.key == "sendgrid"
    assert PRESETS[-1].provider.key == "other"
    assert {p.provider.key for p in PRESETS} == {p.key for p in PROVIDERS}
    sendgrid = PRESETS[0]
    assert (sendgrid.endpoint.host, sendgrid.endpoint.port, sendgrid.endpoint.tls_mode) == (
        "smtp.sendgrid.net",
        587,
        "starttls",
    )
    assert "apikey" in sendgrid.provider.username_hint
    assert all(p.checked.isoformat() == "2026-11-23" for p in PROVIDERS)
    assert len({p.key for p in PRESETS}) == len(PRESETS)
