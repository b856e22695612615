"""DKIM rows: keys at the provider's, the admin's and guessed selectors."""

from __future__ import annotations

import pytest

from deliverability.engine import normalize_selector
from tests.deliverability.zones import DOMAIN, dkim_record, publish_sendgrid_dkim, row

S1 = f"s1._domainkey.{DOMAIN}"


def test_green_domain_has_a_passing_row_per_sendgrid_selector(green, check):
    report = check()

    s1, s2 = row(report, "dkim", "DKIM (s1)"), row(report, "dkim", "DKIM (s2)")
    assert (s1.status, s2.status) == ("pass", "pass")
    assert s1.found[0] == f"{S1} CNAME s1.domainkey.u1234567.wl123.sendgrid.net"
    assert s1.details["bits"] == 2048


def test_missing_at_provider_selector_fails_with_the_cname_to_publish(green, check):
    green.remove(S1)

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "fail"
    assert f"no DKIM key at {S1}" in s1.message
    # s2's target names the SendGrid account, so s1's exact value is known.
    assert [(p.name, p.type, p.value) for p in s1.publish] == [
        (S1, "CNAME", "s1.domainkey.u1234567.wl123.sendgrid.net")
    ]


def test_dangling_cname_fails(green, check):
    green.remove("s1.domainkey.u1234567.wl123.sendgrid.net")

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "fail"
    assert "s1.domainkey.u1234567.wl123.sendgrid.net, the CNAME target" in s1.message


def test_revoked_key_fails(green, check):
    publish_sendgrid_dkim(green, "")

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "fail"
    assert "revoked" in s1.message


def test_1024_bit_key_is_a_warning_to_fix_at_the_provider(green, check, keys):
    publish_sendgrid_dkim(green, keys.rsa1024)

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "warning"
    assert "only 1024 bits" in s1.message and "2048" in s1.message
    # The CNAME is right; SendGrid hosts the key, so there is nothing to publish.
    assert "SendGrid hosts this key" in s1.message
    assert s1.publish == []


def test_1024_bit_key_published_directly_says_where_the_new_key_goes(green, check, keys):
    green.remove(S1)
    green.set(S1, "TXT", dkim_record(keys.rsa1024))

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "warning"
    assert s1.publish[0].name == S1


def test_key_under_1024_bits_fails(green, check, keys):
    publish_sendgrid_dkim(green, keys.rsa512)

    assert row(check(), "dkim", "DKIM (s1)").status == "fail"


def test_testing_mode_is_a_warning_with_the_record_without_it(green, check, keys):
    green.remove(S1)
    green.set(S1, "TXT", dkim_record(keys.rsa2048, "t=y; "))

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "warning"
    assert "testing mode (t=y)" in s1.message
    assert [(p.name, p.type, p.value) for p in s1.publish] == [
        (S1, "TXT", f"v=DKIM1; k=rsa; p={keys.rsa2048}")
    ]


def test_ed25519_key_is_accepted(green, check, keys):
    green.set(S1, "TXT", f"v=DKIM1; k=ed25519; p={keys.ed25519}")

    assert row(check(), "dkim", "DKIM (s1)").status == "pass"


def test_cname_to_another_provider_is_a_warning(green, check, keys):
    green.set(S1, "CNAME", "s1.dkim.other.example")
    green.set("s1.dkim.other.example", "TXT", dkim_record(keys.rsa2048))

    s1 = row(check(), "dkim", "DKIM (s1)")

    assert s1.status == "warning"
    assert "not to SendGrid" in s1.message


def test_guessed_selectors_not_found_are_unverified_not_missing(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include:mailgun.org ~all")
    green.set("mailgun.org", "TXT", "v=spf1 ip4:198.61.254.0/23 ~all")

    report = check(host="smtp.mailgun.org")

    dkim = row(report, "dkim")
    assert dkim.status == "unverified"
    assert "usual selectors" in dkim.message and "Mailgun" in dkim.message
    assert report.overall == "warning"


def test_guessed_selector_found_passes(green, check, keys):
    green.set(f"krs._domainkey.{DOMAIN}", "TXT", dkim_record(keys.rsa2048))

    dkim = row(check(host="smtp.eu.mailgun.org"), "dkim")

    assert (dkim.title, dkim.status) == ("DKIM (krs)", "pass")


def test_admin_selector_missing_fails(green, check):
    report = check(host="smtp.postmarkapp.com", dkim_selectors=["20240101120000pm._domainkey"])

    dkim = row(report, "dkim")
    assert (dkim.title, dkim.status) == ("DKIM (20240101120000pm)", "fail")
    assert dkim.publish[0].name == f"20240101120000pm._domainkey.{DOMAIN}"


def test_admin_selector_found_passes(green, check, keys):
    green.set(f"20240101120000pm._domainkey.{DOMAIN}", "TXT", dkim_record(keys.rsa2048))

    dkim = row(check(host="smtp.postmarkapp.com", dkim_selectors=["20240101120000pm"]), "dkim")

    assert dkim.status == "pass"


def test_unguessable_provider_asks_for_the_selector(green, check):
    dkim = row(check(host="email-smtp.eu-west-1.amazonaws.com"), "dkim")

    assert dkim.status == "unverified"
    assert "can't guess" in dkim.message
    assert "SES → Identities" in dkim.message


def test_selectors_entered_in_any_usual_form_are_accepted():
    assert normalize_selector(" S1._domainkey.example.com. ") == "s1"
    assert normalize_selector("20240101120000pm._domainkey") == "20240101120000pm"
    with pytest.raises(ValueError):
        normalize_selector("not a selector!")
