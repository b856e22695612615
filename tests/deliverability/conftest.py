"""Fixtures: a loopback DNS server with test zones, keys, a check helper, a tenant on SendGrid."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
)

from deliverability import services
from deliverability.engine import DnsResolver, run_deliverability_check
from tests.deliverability.tabpage import fresh_start, smtp_config_create
from tests.deliverability.zones import (
    DOMAIN,
    SENDGRID_HOST,
    SENDGRID_SPF,
    publish_sendgrid_dkim,
)
from tests.dnsserver import DnsTestServer


@dataclass(frozen=True)
class Keys:
    """Base64 ``p=`` values."""

    rsa2048: str
    rsa1024: str
    rsa512: str
    ed25519: str


def _rsa(bits: int) -> str:
    if bits < 1024:
        # cryptography refuses to generate keys this weak; a public key is just (n, e).
        modulus = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    else:
        public = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    return base64.b64encode(
        public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()


@pytest.fixture(scope="session")
def keys() -> Keys:
    # RSA generation is slow-ish: once per session.
    raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    return Keys(_rsa(2048), _rsa(1024), _rsa(512), base64.b64encode(raw).decode())


@pytest.fixture(scope="session")
def dns_server():
    with DnsTestServer() as server:
        yield server


@pytest.fixture
def dns(dns_server: DnsTestServer):
    """The loopback server, emptied for this test."""
    dns_server.reset()
    dns_server.latency = 0.0
    yield dns_server
    dns_server.reset()
    dns_server.latency = 0.0


@pytest.fixture
def resolver(dns: DnsTestServer) -> DnsResolver:
    return DnsResolver([dns.address], timeout=0.3, lifetime=1.0)


@pytest.fixture
def check(resolver: DnsResolver):
    """Run a full check the way the Re-check button does (fresh)."""

    def run(domain: str = DOMAIN, host: str | None = SENDGRID_HOST, **kwargs):
        kwargs = {"deadline": 3.0, "fresh": True, **kwargs}
        return run_deliverability_check(
            from_domain=domain, smtp_host=host, resolver=resolver, **kwargs
        )

    return run


@pytest.fixture
def green(dns: DnsTestServer, keys: Keys) -> DnsTestServer:
    """An all-green SendGrid domain; tests break one thing at a time."""
    dns.add(DOMAIN, "TXT", "v=spf1 include:sendgrid.net ~all", "google-site-verification=x")
    dns.add(DOMAIN, "MX", "10 mx.example.com")
    dns.add("mx.example.com", "A", "198.51.100.25")
    dns.add("sendgrid.net", "TXT", SENDGRID_SPF)
    publish_sendgrid_dkim(dns, keys.rsa2048)
    dns.add(f"_dmarc.{DOMAIN}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")
    return dns


@pytest.fixture
def sendgrid(in_tenant_a, green, settings, monkeypatch):
    """Tenant A sends through SendGrid from example.com; DNS on loopback, all green."""
    settings.DELIVERABILITY_NAMESERVERS = [green.address]
    monkeypatch.setattr(services, "CHECK_DEADLINE_SECONDS", 1.5)
    fresh_start()
    smtp_config_create()
    return green
