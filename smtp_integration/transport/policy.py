"""SSRF guard: which hosts, addresses and ports the platform may open SMTP connections to.

A tenant types any host name into the form, so the name is resolved here and every address is
checked against an explicit table. Python's ``ipaddress`` flags are not a policy: they call
multicast and NAT64 addresses "global" and miss IPv4 hidden inside IPv6.
"""

import functools
import ipaddress
import re
import socket
import ssl
import threading
from dataclasses import dataclass

from smtp_integration.transport.errors import (
    DnsUnavailable,
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PortNotAllowed,
)
from smtp_integration.transport.types import BlockedCategory as Blocked

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_ALLOWED_PORTS = frozenset({25, 465, 587, 2525})

_net = ipaddress.ip_network

# First match wins, so narrow ranges come before the ranges that contain them.
_BLOCKED = (
    (_net("169.254.169.254/32"), Blocked.METADATA),
    (_net("0.0.0.0/8"), Blocked.THIS_NETWORK),
    (_net("10.0.0.0/8"), Blocked.PRIVATE),
    (_net("100.64.0.0/10"), Blocked.CARRIER_NAT),
    (_net("127.0.0.0/8"), Blocked.LOOPBACK),
    (_net("169.254.0.0/16"), Blocked.LINK_LOCAL),
    (_net("172.16.0.0/12"), Blocked.PRIVATE),
    (_net("192.0.0.0/24"), Blocked.RESERVED),
    (_net("192.0.2.0/24"), Blocked.DOCUMENTATION),
    (_net("192.88.99.0/24"), Blocked.RESERVED),
    (_net("192.168.0.0/16"), Blocked.PRIVATE),
    (_net("198.18.0.0/15"), Blocked.RESERVED),
    (_net("198.51.100.0/24"), Blocked.DOCUMENTATION),
    (_net("203.0.113.0/24"), Blocked.DOCUMENTATION),
    (_net("224.0.0.0/4"), Blocked.MULTICAST),
    (_net("255.255.255.255/32"), Blocked.BROADCAST),
    (_net("240.0.0.0/4"), Blocked.RESERVED),
    (_net("::/128"), Blocked.UNSPECIFIED),
    (_net("::1/128"), Blocked.LOOPBACK),
    (_net("fc00::/7"), Blocked.UNIQUE_LOCAL),
    (_net("fe80::/10"), Blocked.LINK_LOCAL),
    (_net("fec0::/10"), Blocked.SITE_LOCAL),
    (_net("ff00::/8"), Blocked.MULTICAST),
    (_net("2001:db8::/32"), Blocked.DOCUMENTATION),
    (_net("3fff::/20"), Blocked.DOCUMENTATION),
    (_net("2001::/23"), Blocked.RESERVED),
)
# Outside 2000::/3 no IPv6 address is global unicast (the wrappers below are unwrapped first).
_GLOBAL_UNICAST_V6 = _net("2000::/3")
_NAT64 = _net("64:ff9b::/96")

_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z", re.IGNORECASE)
_PERMANENT_DNS_ERRORS = {
    socket.EAI_NONAME,
    getattr(socket, "EAI_NODATA", socket.EAI_NONAME),
    getattr(socket, "EAI_ADDRFAMILY", socket.EAI_NONAME),
}


@dataclass(frozen=True)
class SmtpPolicy:
    """Where tenants' SMTP connections may go, and how they must be secured."""

    allowed_ports: frozenset[int] = DEFAULT_ALLOWED_PORTS
    # Ports of OAuth 2.0 token endpoints (HTTPS), under the same address rules.
    allowed_https_ports: frozenset[int] = frozenset({443})
    allowed_networks: tuple[IPNetwork, ...] = ()
    allow_plaintext: bool = False
    ca_file: str | None = None
    connect_timeout: float = 10.0
    command_timeout: float = 30.0


def resolve_and_check(
    host: str, port: int, policy: SmtpPolicy, *, timeout: float, https: bool = False
) -> list[IPAddress]:
    """Every address of host, in resolver order, each checked against the policy (its SMTP
    ports, or with ``https`` its ports for token endpoints)."""
    ports = policy.allowed_https_ports if https else policy.allowed_ports
    if port not in ports:
        raise PortNotAllowed(port, ports)
    parsed = parse_host(host)
    addresses = _resolve(host, parsed, port, timeout) if isinstance(parsed, str) else [parsed]
    for address in addresses:
        category, embedded = _blocked(address, policy)
        if category:
            raise HostBlocked(
                host, address, category, embedded=embedded, literal=not isinstance(parsed, str)
            )
    return addresses


def parse_host(host: str) -> str | IPAddress:
    """An IP address for an IP literal (``[::1]`` accepted), else the ASCII DNS name."""
    if not isinstance(host, str) or not 0 < len(host) <= 255:
        raise InvalidHost(host)
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        return ipaddress.ip_address(host[1:-1] if bracketed else host)
    except ValueError:
        if bracketed:
            raise InvalidHost(host) from None
    try:
        name = host.removesuffix(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidHost(host) from None
    labels = name.split(".")
    # An all-numeric last label is an IPv4 shorthand (127.1, 2130706433), never a real name.
    if labels[-1].isdigit() or not all(_DNS_LABEL.match(label) for label in labels):
        raise InvalidHost(host)
    return name


def _blocked(address: IPAddress, policy: SmtpPolicy) -> tuple[Blocked | None, IPAddress | None]:
    """Why the address is refused (None: it may be used), and the IPv4 address it embeds if
    that decided."""
    for effective in _effective_addresses(address):
        category = _category(effective)
        if category and not any(effective in network for network in policy.allowed_networks):
            return category, (effective if effective != address else None)
    return None, None


def _effective_addresses(address: IPAddress) -> list[IPAddress]:
    """The IPv4 addresses that traffic to an IPv6 wrapper really reaches, or the address."""
    if address.version == 4:
        return [address]
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return list(address.teredo)
    return [address]


def _category(address: IPAddress) -> Blocked | None:
    for network, category in _BLOCKED:
        if address in network:
            return category
    if address.version == 6 and address not in _GLOBAL_UNICAST_V6:
        return Blocked.RESERVED
    return None


def _resolve(host: str, name: str, port: int, timeout: float) -> list[IPAddress]:
    """getaddrinfo with a deadline: it has no timeout of its own, so it runs in a thread."""
    outcome = {}
    done = threading.Event()

    def lookup():
        try:
            outcome["infos"] = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        finally:
            done.set()

    # A daemon thread, not a pool: a lookup stuck in the system resolver must not block others.
    threading.Thread(target=lookup, name="smtp-resolve", daemon=True).start()
    if not done.wait(max(timeout, 0)):
        raise DnsUnavailable(host, f"no answer within {timeout:.1f} s")
    error = outcome.get("error")
    if isinstance(error, socket.gaierror) and error.errno in _PERMANENT_DNS_ERRORS:
        raise HostUnresolvable(host)
    if error is not None:
        raise DnsUnavailable(host, error.strerror or str(error))
    addresses = []
    for *_, sockaddr in outcome["infos"]:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostUnresolvable(host)
    return addresses


def ssl_context_for(policy: SmtpPolicy) -> ssl.SSLContext:
    """The verifying TLS context for the policy; shared, so callers must not modify it."""
    return _ssl_context(policy.ca_file)


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    # Building a context costs ~19 ms; it is thread-safe to share.
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        # Adds to the system trust; create_default_context(cafile=...) would replace it.
        context.load_verify_locations(cafile=ca_file)
    return context
