"""Provider data: the SMTP host names the provider, presets fill the form."""

from __future__ import annotations

import pytest

from smtp_integration.presets import presets_for_page
from smtp_integration.providers import PROVIDERS, provider_for_host


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
    presets = presets_for_page()
    assert [p["key"] for p in presets] == [p.key for p in PROVIDERS]
    assert presets[0]["key"] == "sendgrid"
    assert presets[-1]["key"] == "other"
    [first, *_] = presets[0]["endpoints"]
    assert first == {
        "host": "smtp.sendgrid.net",
        "port": 587,
        "tls_mode": "starttls",
        "label": "smtp.sendgrid.net:587 · STARTTLS",
    }
    assert "apikey" in presets[0]["username_hint"]
    assert all(p.checked.isoformat() == "2026-11-23" for p in PROVIDERS)
