"""DMARC rows: policy, reports, and where the record must be."""

from __future__ import annotations

from tests.deliverability.zones import DOMAIN, row

DMARC = f"_dmarc.{DOMAIN}"


def test_green_domain_passes(green, check):
    dmarc = row(check(), "dmarc")

    assert dmarc.status == "pass"
    assert "p=reject" in dmarc.message


def test_missing_record_fails_with_the_record_to_publish(green, check):
    green.remove(DMARC)

    dmarc = row(check(), "dmarc")

    assert dmarc.status == "fail"
    assert "no DMARC record" in dmarc.message
    assert [(p.name, p.type, p.value) for p in dmarc.publish] == [
        (DMARC, "TXT", f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{DOMAIN}")
    ]


def test_policy_none_is_a_warning_recommending_quarantine(green, check):
    green.set(DMARC, "TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}; adkim=s")

    dmarc = row(check(), "dmarc")

    assert dmarc.status == "warning"
    assert "policy is none" in dmarc.message and "quarantine" in dmarc.message
    assert dmarc.publish[0].value == f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{DOMAIN}; adkim=s"


def test_missing_rua_is_a_warning(green, check):
    green.set(DMARC, "TXT", "v=DMARC1; p=reject")

    dmarc = row(check(), "dmarc")

    assert dmarc.status == "warning"
    assert "no rua" in dmarc.message
    assert dmarc.publish[0].value == f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{DOMAIN}"


def test_two_records_fail(green, check):
    green.add(DMARC, "TXT", "v=DMARC1; p=none")

    dmarc = row(check(), "dmarc")

    assert dmarc.status == "fail"
    assert "2 DMARC records" in dmarc.message
    assert len(dmarc.found) == 2


def test_syntax_error_fails(green, check):
    green.set(DMARC, "TXT", "v=DMARC1; p=maybe")

    dmarc = row(check(), "dmarc")

    assert dmarc.status == "fail"
    assert "invalid" in dmarc.message
    assert dmarc.publish[0].name == DMARC


def test_subdomain_inherits_the_organisational_record(green, check, keys):
    sub = f"mail.{DOMAIN}"
    green.set(sub, "TXT", "v=spf1 include:sendgrid.net ~all")
    green.set(f"s1._domainkey.{sub}", "TXT", f"v=DKIM1; p={keys.rsa2048}")
    green.set(f"s2._domainkey.{sub}", "TXT", f"v=DKIM1; p={keys.rsa2048}")

    report = check(domain=sub)

    dmarc = row(report, "dmarc")
    assert dmarc.status == "pass"
    assert f"inherited from {DOMAIN}" in dmarc.message
    assert report.overall == "pass"
