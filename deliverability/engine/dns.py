"""The one DNS resolver wrapper: our nameservers, a per-query timeout, a deadline.

``DnsResolver`` is the configuration (from settings or tests). A check works
through a ``DnsSession``: a dnspython ``Resolver`` (so checkdmarc can use it
too) that answers each name and type once per check, can prefetch in parallel,
never waits past the check's deadline, and remembers which lookups could not
be answered so that a timeout is reported as "unknown", never as "missing".
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

FOUND, NONE, UNKNOWN = "found", "none", "unknown"
NO_SUCH_NAME = "the name does not exist"  # NXDOMAIN: no record of any type at the name
PREFETCH_WORKERS = 16


@dataclass(frozen=True)
class LookupResult:
    """One name and type: records found, definitively none, or unknown (with why)."""

    name: str
    rdtype: str
    outcome: str  # FOUND | NONE | UNKNOWN
    records: tuple[str, ...] = ()
    canonical_name: str = ""  # the name the records were found at, after CNAMEs
    reason: str = ""  # why there are no records, or why we don't know

    @property
    def found(self) -> bool:
        return self.outcome == FOUND

    @property
    def missing(self) -> bool:
        return self.outcome == NONE

    @property
    def unknown(self) -> bool:
        return self.outcome == UNKNOWN

    @property
    def via_cname(self) -> bool:
        return bool(self.canonical_name) and self.canonical_name != self.name


@dataclass(frozen=True)
class LookupFailure:
    """A lookup that got no definitive answer (timeout, SERVFAIL, ...)."""

    name: str
    rdtype: str
    reason: str


def parse_nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    """``ip[:port]`` (IPv6 as ``[::1]:5353``) as a dnspython nameserver."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    ipaddress.ip_address(host)  # raises ValueError for a host name
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: invalid port")
    return dns.nameserver.Do53Nameserver(host, int(port))


def unknown_reason(exc: BaseException) -> str | None:
    """Why a lookup failed without a definitive answer; None for NXDOMAIN / no answer."""
    if isinstance(exc, dns.resolver.NXDOMAIN | dns.resolver.NoAnswer):
        return None
    if isinstance(exc, dns.exception.Timeout):
        return "timed out"
    if isinstance(exc, dns.resolver.NoResolverConfiguration):
        return "no nameservers configured"
    if isinstance(exc, dns.resolver.NoNameservers):
        rcodes = {
            dns.rcode.to_text(error[4].rcode())
            for error in exc.kwargs.get("errors") or []
            if error[4] is not None
        }
        return " / ".join(sorted(rcodes)) or "no nameserver answered"
    return str(exc) or type(exc).__name__


def find_unknown_reason(exc: BaseException) -> str | None:
    """The first DNS failure in an exception chain (checkdmarc wraps them several ways)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, dns.exception.DNSException):
            return unknown_reason(current)
        todo += [getattr(current, "error", None), current.__cause__, current.__context__]
        todo += list(current.args)
    return None


class _RecordLookups:
    """The lookups the checks need, on top of ``lookup(name, rdtype)``."""

    def lookup(self, name: str, rdtype: str) -> LookupResult:
        raise NotImplementedError

    def nonexistent(self, domain: str) -> bool:
        """Whether DNS says ``domain`` does not exist at all (NXDOMAIN), not merely that it has
        no record of some type."""
        result = self.txt(domain)
        return result.missing and result.reason == NO_SUCH_NAME

    def txt(self, name: str) -> LookupResult:
        """TXT records, each with its character-strings joined."""
        return self.lookup(name, "TXT")

    def cname(self, name: str) -> LookupResult:
        """The CNAME target of a name."""
        return self.lookup(name, "CNAME")

    def mx(self, name: str) -> LookupResult:
        """MX records as ``preference host``."""
        return self.lookup(name, "MX")

    def a(self, name: str) -> LookupResult:
        """IPv4 addresses."""
        return self.lookup(name, "A")

    def aaaa(self, name: str) -> LookupResult:
        """IPv6 addresses."""
        return self.lookup(name, "AAAA")


class DnsResolver(_RecordLookups):
    """Nameservers (``ip[:port]`` strings, None = the system's) and timeouts for checks."""

    def __init__(
        self,
        nameservers: list[str] | None = None,
        *,
        timeout: float = 2.0,
        lifetime: float = 4.0,
    ):
        self.nameservers = [parse_nameserver(ns) for ns in nameservers] if nameservers else None
        self.timeout = timeout
        self.lifetime = lifetime

    def session(self, *, deadline: float | None = None, prefetch: bool = True) -> DnsSession:
        """A per-check session whose lookups all end within ``deadline`` seconds."""
        deadline_at = time.monotonic() + (self.lifetime if deadline is None else deadline)
        return DnsSession(self, deadline_at=deadline_at, prefetch=prefetch)

    def lookup(self, name: str, rdtype: str) -> LookupResult:
        """One fresh lookup (no memo shared with other calls)."""
        with self.session(prefetch=False) as session:
            return session.lookup(name, rdtype)


class DnsSession(_RecordLookups, dns.resolver.Resolver):
    """A dnspython Resolver for one check: memoised, deadline-bound, failure-recording."""

    def __init__(self, config: DnsResolver, *, deadline_at: float, prefetch: bool):
        super().__init__(configure=False)
        self.nameservers = config.nameservers or _system_nameservers()
        self.timeout = config.timeout
        self.lifetime = config.lifetime
        self.deadline_at = deadline_at
        self.prefetching = prefetch
        self._memo: dict[tuple[str, str], Future] = {}
        self._memo_lock = threading.Lock()
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def checkdmarc_nameservers(self) -> list | None:
        """For the few checkdmarc paths that build their own resolver (SPF ``exp=``)."""
        return list(self.nameservers) or None

    def checkdmarc_kwargs(self) -> dict:
        """How checkdmarc's query/parse functions must be called: our resolver, no retries."""
        return {
            "resolver": self,
            "nameservers": self.checkdmarc_nameservers,
            "timeout": max(self.remaining(), 0.1),
            "retries": 0,  # a retry after a timeout would hide it from recording_failures()
        }

    def remaining(self) -> float:
        """Seconds left before the check's deadline."""
        return max(0.0, self.deadline_at - time.monotonic())

    def resolve(
        self,
        qname,
        rdtype="A",
        rdclass="IN",
        tcp=False,
        source=None,
        raise_on_no_answer=True,
        source_port=0,
        lifetime=None,
        search=None,
    ) -> dns.resolver.Answer:
        """dnspython's resolve(), answered once per name and type for this session."""
        key = _key(qname, rdtype)
        future, owner = self._claim(key)
        if owner:
            try:
                budget = min(self.lifetime if lifetime is None else lifetime, self.remaining())
                if budget <= 0:
                    raise dns.resolver.LifetimeTimeout(timeout=0.0, errors=[])
                answer = super().resolve(
                    qname, rdtype, rdclass, tcp, source, False, source_port, budget, search
                )
                future.set_result(answer)
            except Exception as exc:  # handed to every waiter below
                future.set_exception(exc)
        try:
            answer = future.result()
        except dns.exception.DNSException as exc:
            self._record(key, exc)
            raise
        if raise_on_no_answer and answer.rrset is None:
            raise dns.resolver.NoAnswer(response=answer.response)
        return answer

    def lookup(self, name: str, rdtype: str) -> LookupResult:
        """One name and type as a LookupResult."""
        name = name.rstrip(".").lower()
        try:
            answer = self.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.exception.DNSException as exc:
            reason = unknown_reason(exc)
            if reason is not None:
                return LookupResult(name, rdtype, UNKNOWN, reason=reason)
            canonical = _nxdomain_name(exc) or name
            return LookupResult(name, rdtype, NONE, canonical_name=canonical, reason=NO_SUCH_NAME)
        canonical = answer.canonical_name.to_text(omit_final_dot=True).lower()
        if answer.rrset is None:
            return LookupResult(name, rdtype, NONE, canonical_name=canonical, reason="no records")
        return LookupResult(name, rdtype, FOUND, _texts(answer.rrset), canonical_name=canonical)

    def prefetch(self, name: str, *rdtypes: str) -> None:
        """Start lookups in the background so later callers find them answered."""
        for rdtype in rdtypes:
            self.submit(self.lookup, name, rdtype)

    def submit(self, fn: Callable, *args: object) -> None:
        """Run background work (prefetching) on this session's pool, if prefetching."""
        if not self.prefetching or self.remaining() <= 0:
            return
        with self._memo_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PREFETCH_WORKERS, thread_name_prefix="dns-prefetch")
        try:
            self._pool.submit(fn, *args)
        except RuntimeError:  # the session was closed meanwhile
            return

    @contextmanager
    def recording_failures(self) -> Iterator[list[LookupFailure]]:
        """Collect the unanswered lookups made by this thread inside the block."""
        failures: list[LookupFailure] = []
        previous = getattr(self._local, "failures", None)
        self._local.failures = failures
        try:
            yield failures
        finally:
            self._local.failures = previous

    def close(self) -> None:
        """Stop background work; in-flight lookups end by the deadline anyway."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> DnsSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _claim(self, key: tuple[str, str]) -> tuple[Future, bool]:
        # The first caller resolves; later callers (other threads) wait for it.
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key], False
            future: Future = Future()
            self._memo[key] = future
            return future, True

    def _record(self, key: tuple[str, str], exc: dns.exception.DNSException) -> None:
        reason = unknown_reason(exc)
        failures = getattr(self._local, "failures", None)
        if reason is not None and failures is not None:
            failures.append(LookupFailure(key[0].rstrip("."), key[1], reason))


def _key(qname: object, rdtype: object) -> tuple[str, str]:
    name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(str(qname))
    if isinstance(rdtype, str):
        rdtype = dns.rdatatype.from_text(rdtype)
    return name.canonicalize().to_text(), dns.rdatatype.to_text(rdtype)


def _nxdomain_name(exc: dns.exception.DNSException) -> str | None:
    # A CNAME to a name that does not exist: report the dangling target.
    try:
        return exc.canonical_name.to_text(omit_final_dot=True).lower()
    except (AttributeError, KeyError, TypeError, dns.exception.DNSException):
        return None


def _texts(rrset) -> tuple[str, ...]:
    if rrset.rdtype == dns.rdatatype.TXT:
        # A TXT record's character-strings are one value, joined without spaces.
        return tuple(b"".join(rdata.strings).decode("utf-8", "replace") for rdata in rrset)
    return tuple(rdata.to_text().rstrip(".").lower() for rdata in rrset)


def _system_nameservers() -> list:
    try:
        return list(dns.resolver.Resolver().nameservers)
    except dns.resolver.NoResolverConfiguration:
        return []  # every lookup then reports "no nameservers configured"
