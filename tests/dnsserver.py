"""A small authoritative DNS server on loopback for tests and benchmarks.

It answers over UDP and TCP from in-memory records that a test can change
between checks, like a recursive resolver would for the names it knows:
CNAMEs are chased, names it does not know are NXDOMAIN. Each query is handled
in its own thread, so an artificial latency delays queries in parallel (as a
real resolver would), not one after the other.
"""

from __future__ import annotations

import socketserver
import struct
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

TXT_CHUNK = 255  # one TXT character-string holds at most 255 bytes
MAX_CNAME_HOPS = 8


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.rstrip(".") + ".")


def _rdata(rdtype: str, value: str | tuple[str, ...]) -> dns.rdata.Rdata:
    if rdtype == "TXT":
        strings = (value,) if isinstance(value, str) else value
        chunks = [
            part.encode()[i : i + TXT_CHUNK]
            for part in strings
            for i in range(0, max(len(part.encode()), 1), TXT_CHUNK)
        ]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)
    return dns.rdata.from_text(
        dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False
    )


@dataclass
class _Zones:
    """Records by name and type, plus names that misbehave."""

    records: dict[dns.name.Name, dict[str, list[dns.rdata.Rdata]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    dropped: set[dns.name.Name] = field(default_factory=set)
    servfail: set[dns.name.Name] = field(default_factory=set)

    def covered(self, qname: dns.name.Name, suffixes: set[dns.name.Name]) -> bool:
        return any(qname.is_subdomain(suffix) for suffix in suffixes)

    def exists(self, qname: dns.name.Name) -> bool:
        # An empty non-terminal (a parent of a name with records) exists too.
        return any(name.is_subdomain(qname) for name in self.records)


class DnsTestServer:
    """In-memory authoritative DNS on 127.0.0.1, UDP and TCP on one random port."""

    def __init__(self, *, host: str = "127.0.0.1", latency: float = 0.0, ttl: int = 60):
        self.host = host
        self.latency = latency
        self.ttl = ttl
        self.queries: list[tuple[str, str]] = []
        self._zones = _Zones()
        self._lock = threading.Lock()
        self._servers: list[socketserver.BaseServer] = []

    # -- lifecycle --------------------------------------------------------

    def start(self) -> DnsTestServer:
        """Bind UDP and TCP on the same free port and serve in background threads."""
        for _ in range(20):
            udp = _UdpServer((self.host, 0), _UdpHandler, self)
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), _TcpHandler, self)
            except OSError:
                udp.server_close()
                continue
            self._servers = [udp, tcp]
            break
        else:
            raise RuntimeError("no free port for both UDP and TCP")
        for server in self._servers:
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._servers[0].server_address[1]

    @property
    def address(self) -> str:
        """The ``ip:port`` string a DnsResolver takes."""
        return f"{self.host}:{self.port}"

    # -- test data --------------------------------------------------------

    def add(self, name: str, rdtype: str, *values: str | tuple[str, ...]) -> None:
        """Add records; a TXT value longer than 255 bytes is split into strings."""
        with self._lock:
            rdatas = self._zones.records[_name(name)].setdefault(rdtype.upper(), [])
            rdatas.extend(_rdata(rdtype.upper(), value) for value in values)

    def set(self, name: str, rdtype: str, *values: str | tuple[str, ...]) -> None:
        """Replace the records of one name and type."""
        self.remove(name, rdtype)
        self.add(name, rdtype, *values)

    def remove(self, name: str, rdtype: str | None = None) -> None:
        """Remove the records of one type at a name, or all of them."""
        with self._lock:
            by_type = self._zones.records.get(_name(name), {})
            if rdtype is None:
                by_type.clear()
            else:
                by_type.pop(rdtype.upper(), None)
            if not by_type:
                self._zones.records.pop(_name(name), None)

    def drop(self, suffix: str) -> None:
        """Never answer queries at or below this name."""
        with self._lock:
            self._zones.dropped.add(_name(suffix))

    def fail(self, suffix: str) -> None:
        """Answer SERVFAIL at or below this name."""
        with self._lock:
            self._zones.servfail.add(_name(suffix))

    def reset(self) -> None:
        """Forget every record, misbehaviour and logged query."""
        with self._lock:
            self._zones = _Zones()
            self.queries.clear()

    # -- answering --------------------------------------------------------

    def respond(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query, or None to drop it."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        question = query.question[0]
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((question.name.to_text(omit_final_dot=True), rdtype))
            if self._zones.covered(question.name, self._zones.dropped):
                return None
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA | dns.flags.RA
            if self._zones.covered(question.name, self._zones.servfail):
                response.set_rcode(dns.rcode.SERVFAIL)
            else:
                self._answer(response, question.name, rdtype)
        if self.latency:
            time.sleep(self.latency)
        return response

    def _answer(self, response: dns.message.Message, qname: dns.name.Name, rdtype: str) -> None:
        for _ in range(MAX_CNAME_HOPS):
            by_type = self._zones.records.get(qname, {})
            if rdtype in by_type:
                response.answer.append(self._rrset(qname, rdtype, by_type[rdtype]))
                return
            if "CNAME" not in by_type:
                break
            response.answer.append(self._rrset(qname, "CNAME", by_type["CNAME"]))
            qname = by_type["CNAME"][0].target
        if not self._zones.exists(qname):
            response.set_rcode(dns.rcode.NXDOMAIN)

    def _rrset(self, name: dns.name.Name, rdtype: str, rdatas: list) -> dns.rrset.RRset:
        return dns.rrset.from_rdata_list(name, self.ttl, rdatas)


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, address, handler, dns_server: DnsTestServer):
        self.dns_server = dns_server
        super().__init__(address, handler)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, dns_server: DnsTestServer):
        self.dns_server = dns_server
        super().__init__(address, handler)


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        wire, sock = self.request
        response = self.server.dns_server.respond(wire)
        if response is None:
            return
        max_size = max(response.payload, 512) if response.edns >= 0 else 512
        try:
            out = response.to_wire(max_size=max_size)
        except dns.exception.TooBig:
            # Too big for UDP: send it truncated so the client retries over TCP.
            response.answer.clear()
            response.flags |= dns.flags.TC
            out = response.to_wire()
        sock.sendto(out, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            header = self._read(2)
            wire = self._read(struct.unpack("!H", header)[0])
        except (OSError, ValueError):
            return
        response = self.server.dns_server.respond(wire)
        if response is not None:
            out = response.to_wire()
            self.request.sendall(struct.pack("!H", len(out)) + out)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ValueError("connection closed")
            data += chunk
        return data
