"""The resolver wrapper: found, definitively none, or unknown with the reason."""

from __future__ import annotations

import pytest

from deliverability.engine import DnsResolver
from deliverability.services import dns_resolver


def test_txt_strings_of_one_record_are_joined(dns, resolver):
    dns.set("long.example.com", "TXT", ("v=DKIM1; k=rsa; ", "p=" + "A" * 300))

    result = resolver.txt("long.example.com")

    assert result.found
    assert result.records == ("v=DKIM1; k=rsa; p=" + "A" * 300,)


def test_cname_is_followed_and_reported(dns, resolver):
    dns.set("alias.example.com", "CNAME", "target.example.net")
    dns.set("target.example.net", "TXT", "hello")

    result = resolver.txt("alias.example.com")

    assert result.records == ("hello",)
    assert result.canonical_name == "target.example.net"
    assert resolver.cname("alias.example.com").records == ("target.example.net",)


def test_nxdomain_and_no_answer_are_definitive(dns, resolver):
    dns.set("example.com", "MX", "10 mx.example.com")

    assert resolver.txt("nope.example.com").missing
    assert resolver.txt("example.com").missing
    assert resolver.mx("example.com").records == ("10 mx.example.com",)


def test_timeout_and_servfail_are_unknown_with_the_reason(dns):
    dns.drop("dead.example")
    dns.fail("broken.example")
    resolver = DnsResolver([dns.address], timeout=0.1, lifetime=0.3)

    dead, broken = resolver.txt("x.dead.example"), resolver.txt("x.broken.example")

    assert (dead.unknown, dead.reason) == (True, "timed out")
    assert (broken.unknown, broken.reason) == (True, "SERVFAIL")


def test_nameserver_strings_take_ports_and_ipv6():
    resolver = DnsResolver(["127.0.0.1:5353", "[::1]:5300", "192.0.2.1"])

    assert [(ns.address, ns.port) for ns in resolver.nameservers] == [
        ("127.0.0.1", 5353),
        ("::1", 5300),
        ("192.0.2.1", 53),
    ]
    with pytest.raises(ValueError):
        DnsResolver(["dns.example.com"])


def test_the_checks_use_the_configured_nameservers_or_the_systems(settings):
    settings.DELIVERABILITY_NAMESERVERS = ["127.0.0.1:5353"]
    assert dns_resolver().nameservers[0].port == 5353
    settings.DELIVERABILITY_NAMESERVERS = []
    assert dns_resolver().nameservers is None  # the system resolver
