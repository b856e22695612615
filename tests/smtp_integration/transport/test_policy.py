"""The SSRF guard: hosts, addresses and ports are checked before anything connects."""

import ipaddress
import socket
import ssl
import time

import pytest

from smtp_integration.diagnostics import host_blocked_text
from smtp_integration.transport import (
    DnsUnavailable,
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PortNotAllowed,
    SmtpPolicy,
    TransientSmtpError,
    parse_host,
    resolve_and_check,
    ssl_context_for,
)

DEFAULT = SmtpPolicy()


@pytest.fixture
def fake_dns(monkeypatch):
    """``fake_dns(name, [addresses] | exception | seconds)``: what getaddrinfo answers for name."""
    answers = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        answer = answers[host]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, float):
            time.sleep(answer)
            return []
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers.__setitem__


@pytest.mark.parametrize(
    ("host", "category"),
    [
        ("169.254.169.254", "the cloud metadata address"),
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("[::1]", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address (it embeds 127.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "the cloud metadata address (it embeds 169.254.169.254)"),
        ("2002:a00:5::1", "a private address (it embeds 10.0.0.5)"),
        ("0.0.0.0", "a 'this network' address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("224.0.0.1", "a multicast address"),
        ("255.255.255.255", "the broadcast address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.10", "a documentation address"),
        ("::", "an unspecified address"),
        ("fc00::1", "a private (unique local) address"),
        ("fd00:ec2::254", "a private (unique local) address"),
        ("fe80::1", "a link-local address"),
        ("fec0::1", "a site-local address"),
        ("ff02::1", "a multicast address"),
        ("2001:db8::1", "a documentation address"),
        ("64:ff9b:1::a00:5", "a reserved address"),
    ],
)
def test_blocked_addresses_are_refused(host, category):
    with pytest.raises(HostBlocked) as caught:
        resolve_and_check(host, 587, DEFAULT, timeout=1)
    assert host_blocked_text(caught.value) == f"{host} is {category}"
    assert caught.value.reason == "host_blocked"


def test_teredo_is_checked_by_its_embedded_addresses():
    # Teredo server 65.54.227.120, client 192.0.2.45 (a documentation address).
    with pytest.raises(HostBlocked) as caught:
        resolve_and_check("2001:0:4136:e378:8000:63bf:3fff:fdd2", 587, DEFAULT, timeout=1)
    assert "embeds 192.0.2.45" in host_blocked_text(caught.value)


def test_localhost_by_name_is_refused():
    with pytest.raises(HostBlocked) as caught:
        resolve_and_check("localhost", 587, DEFAULT, timeout=2)
    assert (str(caught.value.address), caught.value.category) == ("127.0.0.1", "loopback")
    # What people are told names no address (internal names must not be mapped).
    assert "127.0.0.1" not in host_blocked_text(caught.value)


@pytest.mark.parametrize(
    ("host", "network", "address"),
    [
        ("169.254.169.254", "169.254.0.0/16", "169.254.169.254"),
        ("10.0.0.5", "10.0.0.0/8", "10.0.0.5"),
        ("192.168.1.1", "192.168.1.0/24", "192.168.1.1"),
        ("[::1]", "::1/128", "::1"),
        ("::ffff:127.0.0.1", "127.0.0.0/8", "::ffff:127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254/32", "64:ff9b::a9fe:a9fe"),
        ("localhost", "127.0.0.0/8", "127.0.0.1"),
    ],
)
def test_listed_networks_are_allowed(host, network, address):
    policy = SmtpPolicy(allowed_networks=(ipaddress.ip_network(network),))
    assert resolve_and_check(host, 587, policy, timeout=2) == [ipaddress.ip_address(address)]


def test_listing_one_network_does_not_open_another():
    policy = SmtpPolicy(allowed_networks=(ipaddress.ip_network("10.1.0.0/16"),))
    with pytest.raises(HostBlocked):
        resolve_and_check("10.2.0.1", 587, policy, timeout=1)


@pytest.mark.parametrize(
    "host", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(host):
    assert resolve_and_check(host, 587, DEFAULT, timeout=1) == [ipaddress.ip_address(host)]


def test_every_resolved_address_is_checked(fake_dns):
    fake_dns("smtp.example.com", ["203.0.114.7", "2606:4700::1", "10.0.0.5"])
    with pytest.raises(HostBlocked) as caught:
        resolve_and_check("smtp.example.com", 587, DEFAULT, timeout=1)
    assert (str(caught.value.address), caught.value.category) == ("10.0.0.5", "private")


def test_addresses_come_back_in_resolver_order_without_duplicates(fake_dns):
    fake_dns("smtp.example.com", ["2606:4700::1", "203.0.114.7", "2606:4700::1"])
    addresses = resolve_and_check("smtp.example.com", 587, DEFAULT, timeout=1)
    assert [str(a) for a in addresses] == ["2606:4700::1", "203.0.114.7"]


def test_a_hung_resolver_is_abandoned_at_the_timeout(fake_dns):
    fake_dns("slow.example.com", 3.0)
    started = time.monotonic()
    with pytest.raises(DnsUnavailable) as caught:
        resolve_and_check("slow.example.com", 587, DEFAULT, timeout=0.2)
    assert time.monotonic() - started < 1
    assert isinstance(caught.value, TransientSmtpError)


def test_nxdomain_is_unresolvable(fake_dns):
    fake_dns("nope.example.com", socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(HostUnresolvable) as caught:
        resolve_and_check("nope.example.com", 587, DEFAULT, timeout=1)
    assert caught.value.permanent
    assert caught.value.reason == "unresolvable"


def test_a_temporary_dns_failure_is_transient(fake_dns):
    fake_dns("flaky.example.com", socket.gaierror(socket.EAI_AGAIN, "Temporary failure"))
    with pytest.raises(DnsUnavailable) as caught:
        resolve_and_check("flaky.example.com", 587, DEFAULT, timeout=1)
    assert not caught.value.permanent


def test_port_is_checked_before_any_lookup(fake_dns):
    fake_dns("smtp.example.com", AssertionError("must not resolve"))
    with pytest.raises(PortNotAllowed) as caught:
        resolve_and_check("smtp.example.com", 8025, DEFAULT, timeout=1)
    assert caught.value.allowed == (25, 465, 587, 2525)
    assert caught.value.reason == "port_not_allowed"
    assert caught.value.allowed == (25, 465, 587, 2525)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "exa mple.com",
        "smtp.example.com/path",
        "smtp.example.com:587",
        "smtp://smtp.example.com",
        "smtp.example.com\r\nRCPT TO:<x@y>",
        "a..b",
        "-bad.example.com",
        "x" * 64 + ".example.com",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "[smtp.example.com]",
        "user@smtp.example.com",
    ],
)
def test_malformed_hosts_are_invalid(host):
    with pytest.raises(InvalidHost):
        resolve_and_check(host, 587, DEFAULT, timeout=1)


@pytest.mark.parametrize(
    ("host", "parsed"),
    [
        ("smtp.example.com", "smtp.example.com"),
        ("smtp.example.com.", "smtp.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("[::1]", ipaddress.ip_address("::1")),
        ("[192.0.2.1]", ipaddress.ip_address("192.0.2.1")),
        ("203.0.113.7", ipaddress.ip_address("203.0.113.7")),
    ],
)
def test_parse_host(host, parsed):
    assert parse_host(host) == parsed


def test_policy_defaults():
    assert DEFAULT.allowed_ports == {25, 465, 587, 2525}
    assert DEFAULT.allowed_networks == ()
    assert DEFAULT.allow_plaintext is False
    assert DEFAULT.ca_file is None


def test_ssl_context_is_built_once_per_ca_file(smtp_certs):
    with_ca = SmtpPolicy(ca_file=str(smtp_certs.ca_file))
    assert ssl_context_for(with_ca) is ssl_context_for(SmtpPolicy(ca_file=str(smtp_certs.ca_file)))
    assert ssl_context_for(with_ca) is not ssl_context_for(DEFAULT)


def test_ssl_context_verifies_and_adds_the_ca_to_system_trust(smtp_certs):
    context = ssl_context_for(SmtpPolicy(ca_file=str(smtp_certs.ca_file)))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    system = ssl.create_default_context().cert_store_stats()["x509_ca"]
    assert context.cert_store_stats()["x509_ca"] == system + 1
    subjects = [dict(item[0] for item in ca["subject"]) for ca in context.get_ca_certs()]
    assert {"commonName": "Cymmetri Test CA"} in subjects
