"""SPF rows as the admin sees them: status, what's wrong, the exact record to publish."""

from __future__ import annotations

from tests.deliverability.zones import DOMAIN, row


def test_green_domain_passes(green, check):
    spf = row(check(), "spf")

    assert spf.status == "pass"
    assert spf.found == ["v=spf1 include:sendgrid.net ~all"]
    assert spf.publish == []


def test_missing_record_fails_with_the_record_to_publish(green, check):
    green.set(DOMAIN, "TXT", "google-site-verification=x")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "no SPF record" in spf.message
    assert [(p.name, p.type, p.value) for p in spf.publish] == [
        (DOMAIN, "TXT", "v=spf1 include:sendgrid.net ~all")
    ]


def test_two_records_fail_and_are_merged_into_one(green, check):
    green.add(DOMAIN, "TXT", "v=spf1 include:_spf.google.com ~all")
    green.add("_spf.google.com", "TXT", "v=spf1 ip4:35.190.247.0/24 ~all")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "2 SPF records" in spf.message
    assert sorted(spf.found) == [
        "v=spf1 include:_spf.google.com ~all",
        "v=spf1 include:sendgrid.net ~all",
    ]
    merged = spf.publish[0].value
    assert merged.startswith("v=spf1 ") and merged.endswith(" ~all")
    assert "include:_spf.google.com" in merged and "include:sendgrid.net" in merged


def test_plus_all_fails(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include:sendgrid.net +all")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "+all" in spf.message and "anyone" in spf.message
    assert spf.publish[0].value == "v=spf1 include:sendgrid.net ~all"


def test_question_all_and_missing_all_are_warnings(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include:sendgrid.net ?all")
    neutral = row(check(), "spf")
    green.set(DOMAIN, "TXT", "v=spf1 include:sendgrid.net")
    no_all = row(check(), "spf")

    assert (neutral.status, no_all.status) == ("warning", "warning")
    assert "?all" in neutral.message
    assert "no all" in no_all.message
    fixed = "v=spf1 include:sendgrid.net ~all"
    assert neutral.publish[0].value == no_all.publish[0].value == fixed


def _publish_includes(dns, count: int) -> str:
    includes = [f"include:_spf{i}.example.net" for i in range(count - 1)]
    for i in range(count - 1):
        dns.set(f"_spf{i}.example.net", "TXT", f"v=spf1 ip4:192.0.2.{i}/32 ~all")
    return " ".join(["v=spf1", *includes, "include:sendgrid.net", "~all"])


def test_eleven_lookups_fail(green, check):
    green.set(DOMAIN, "TXT", _publish_includes(green, 11))

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "11 DNS lookups" in spf.message and "stop at 10" in spf.message
    assert spf.details["dns_lookups"] == 11


def test_nine_lookups_warn(green, check):
    green.set(DOMAIN, "TXT", _publish_includes(green, 9))

    spf = row(check(), "spf")

    assert spf.status == "warning"
    assert "9 of the 10 DNS lookups" in spf.message
    assert spf.publish == []  # nothing to publish can fix it for them


def test_missing_provider_include_fails_with_record_keeping_other_mechanisms(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 ip4:198.51.100.7 mx include:_spf.google.com -all")
    green.add("_spf.google.com", "TXT", "v=spf1 ip4:35.190.247.0/24 ~all")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "does not authorise SendGrid" in spf.message
    assert spf.publish[0].name == DOMAIN
    assert spf.publish[0].value == (
        "v=spf1 ip4:198.51.100.7 mx include:_spf.google.com include:sendgrid.net -all"
    )


def test_provider_include_nested_in_another_include_passes(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include:_spf.example.net -all")
    green.set("_spf.example.net", "TXT", "v=spf1 include:sendgrid.net ~all")

    assert row(check(), "spf").status == "pass"


def test_include_with_equals_is_a_typo_with_the_fix(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include=sendgrid.net ~all")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "include=sendgrid.net is a typo for include:sendgrid.net" in spf.message
    assert spf.publish[0].value == "v=spf1 include:sendgrid.net ~all"


def test_include_without_spf_record_fails_and_is_dropped(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 include:gone.example.net include:sendgrid.net ~all")

    spf = row(check(), "spf")

    assert spf.status == "fail"
    assert "include:gone.example.net has no SPF record" in spf.message
    assert spf.publish[0].value == "v=spf1 include:sendgrid.net ~all"


def test_postmark_does_not_require_its_include(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 mx ~all")

    spf = row(check(host="smtp.postmarkapp.com"), "spf")

    assert spf.status == "pass"


def test_own_server_not_listed_is_a_warning_with_a_record(green, check):
    green.set("mail.example.com", "A", "203.0.113.10")
    green.set(DOMAIN, "TXT", "v=spf1 mx ~all")

    spf = row(check(host="mail.example.com"), "spf")

    assert spf.status == "warning"
    assert "mail.example.com (203.0.113.10)" in spf.message
    assert spf.publish[0].value == "v=spf1 mx a:mail.example.com ~all"


def test_own_server_listed_by_ip_passes(green, check):
    green.set("mail.example.com", "A", "203.0.113.10")
    green.set(DOMAIN, "TXT", "v=spf1 ip4:203.0.113.0/24 ~all")

    report = check(host="mail.example.com")

    assert report.provider is None
    assert row(report, "spf").status == "pass"


def test_an_smtp_host_given_as_an_address_is_authorised_with_ip4(green, check):
    green.set(DOMAIN, "TXT", "v=spf1 mx ~all")

    spf = row(check(host="203.0.113.10"), "spf")

    assert spf.status == "warning"
    assert "add ip4:203.0.113.10" in spf.message and "a:" not in spf.message
    assert spf.publish[0].value == "v=spf1 mx ip4:203.0.113.10 ~all"


def test_a_missing_record_for_an_ipv6_host_suggests_ip6(green, check):
    green.set(DOMAIN, "TXT", "google-site-verification=x")

    spf = row(check(host="2001:db8::25"), "spf")

    assert [p.value for p in spf.publish] == ["v=spf1 ip6:2001:db8::25 ~all"]


def test_a_domain_that_does_not_exist_is_said_so(green, check):
    report = check(domain="no-such-domain.example.com")

    for check_name in ("spf", "dmarc"):
        found = row(report, check_name)
        assert found.status == "fail"
        assert "does not exist in DNS (NXDOMAIN)" in found.message
        assert "has no SPF record" not in found.message
