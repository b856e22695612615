"""SPF: checkdmarc's query and parse, plus the rules it lacks, as one tab row."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from checkdmarc.spf import (
    MultipleSPFRTXTRecords,
    SPFError,
    SPFRecordNotFound,
    parse_spf_record,
    query_spf_record,
)

from deliverability.engine import records
from deliverability.engine.dns import DnsSession, LookupFailure, find_unknown_reason
from deliverability.engine.report import Check, CheckRow, RecordToPublish, Status
from smtp_integration.providers import Provider

MAX_LOOKUPS, WARN_LOOKUPS = 10, 8
MAX_PREFETCH_DEPTH = 10
_TARGET = re.compile(r"[+\-~?]?(include|a|mx|redirect)(?:[:=]([^/\s%]*))?(?:/\S*)?", re.I)
# Addresses that can't be what the Internet sees as the sender.
_INTERNAL = [
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]
_IGNORED_FAILURES = ("SPF", "CNAME")  # checkdmarc's side probes; their failure changes nothing


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the record, in plain words."""

    status: Status
    text: str
    fixable: bool = True  # whether the suggested record fixes it


def check_spf(
    session: DnsSession, domain: str, provider: Provider | None, smtp_host: str | None
) -> CheckRow:
    """The SPF row for ``domain`` and the provider (None = own server at ``smtp_host``)."""
    session.submit(_prefetch_tree, session, domain, 0)
    own_host = smtp_host if provider is None else None
    if own_host:
        session.prefetch(own_host, "A", "AAAA")
    with session.recording_failures() as failures:
        try:
            record = query_spf_record(domain, **session.checkdmarc_kwargs())["record"]
        except MultipleSPFRTXTRecords:
            return _multiple(session, domain, provider)
        except SPFError as exc:
            return _unknown(exc, failures) or _missing(session, domain, provider, own_host)
        try:
            result = parse_spf_record(
                record, domain, ignore_too_many_lookups=True, **session.checkdmarc_kwargs()
            )
        except SPFError as exc:
            return _unknown(exc, failures) or _broken(domain, record, provider, exc)
        if unknown := _unknown(None, failures):
            return unknown
    return _evaluate(session, domain, record, result, provider, own_host)


def _evaluate(
    session: DnsSession,
    domain: str,
    record: str,
    result: dict,
    provider: Provider | None,
    own_host: str | None,
) -> CheckRow:
    lookups = result["dns_lookups"]
    details = {"dns_lookups": lookups, "notes": result["warnings"]}
    problems: list[Problem] = []
    include, add = None, ()
    if result.get("error"):
        problems.append(Problem(Status.FAIL, _too_many(lookups, result), fixable=False))
    elif lookups >= WARN_LOOKUPS:
        text = f"The SPF record needs {lookups} of the {MAX_LOOKUPS} DNS lookups allowed: one more "
        problems.append(Problem(Status.WARNING, text + "include and SPF fails.", fixable=False))
    problems += _all_problems(record)
    for written, meant in records.spf_typos(record):
        text = f"{written} is a typo for {meant}: receivers ignore it as written."
        problems.append(Problem(Status.FAIL, text))
    includes = {m["value"] for m in _walk(result["parsed"]) if m["mechanism"] == "include"}
    typo_fixed = {meant.split(":", 1)[1].lower() for _, meant in records.spf_typos(record)}
    if provider and provider.spf_includes:
        authorised = includes & set(provider.spf_includes)
        details["provider_include"] = provider.spf_include
        if not authorised and provider.spf_required:
            include = provider.spf_include
            if provider.spf_include not in typo_fixed:
                text = f"The SPF record does not authorise {provider.name}: "
                problems.append(Problem(Status.FAIL, text + f"include:{include} is missing."))
    elif own_host:
        problem, add = _own_server_problem(session, own_host, result["parsed"], details)
        problems += [problem] if problem else []
    return _row(domain, record, provider, problems, details, include, add)


def _row(
    domain: str,
    record: str,
    provider: Provider | None,
    problems: list[Problem],
    details: dict,
    include: str | None,
    add: tuple[str, ...],
) -> CheckRow:
    status = _worst(problems)
    problems = sorted(problems, key=lambda problem: problem.status != Status.FAIL)
    publish = []
    if any(problem.fixable for problem in problems):
        value = records.suggested_spf([record], include=include, add=add)
        publish = [RecordToPublish(domain, "TXT", value, note="Replaces the current SPF record.")]
    message = " ".join(problem.text for problem in problems) or "SPF is valid."
    return CheckRow(
        check=Check.SPF,
        status=status,
        title="SPF",
        message=message,
        found=[record],
        expected=_expected(domain, provider),
        publish=publish,
        details=details,
    )


def _all_problems(record: str) -> list[Problem]:
    qualifier = records.spf_all_qualifier(record)
    if qualifier == "+":
        return [
            Problem(
                Status.FAIL, "The SPF record ends in +all, which lets anyone send as your domain."
            )
        ]
    if qualifier == "?":
        return [
            Problem(Status.WARNING, "The SPF record ends in ?all, which tells receivers nothing.")
        ]
    if qualifier is None and not records.has_redirect(record):
        text = "The SPF record has no all at the end, so other senders are not refused."
        return [Problem(Status.WARNING, text)]
    return []


def _too_many(lookups: int, result: dict) -> str:
    if result.get("void_dns_lookups", 0) > 2:
        return f"The SPF record points at names that don't exist too often: {result['error']}"
    costs = [
        f"{m['value']} ({m['dns_lookups']})"
        for m in result["parsed"]["mechanisms"]
        if m["mechanism"] == "include"
    ]
    return (
        f"The SPF record needs {lookups} DNS lookups; receivers stop at {MAX_LOOKUPS} and SPF "
        "fails for all your "
        f"mail. Remove includes of services you no longer use (lookups per include: "
        f"{', '.join(costs) or 'none'})."
    )


def _own_server_problem(
    session: DnsSession, host: str, parsed: dict, details: dict
) -> tuple[Problem | None, tuple[str, ...]]:
    addresses = _host_addresses(session, host)
    details["smtp_host_addresses"] = addresses
    public = [a for a in addresses if _can_send(a)]
    if not public or _authorises(parsed, host, public):
        return None, ()
    mechanism = records.spf_server_mechanism(host)
    where = host if mechanism.startswith("a:") else mechanism.partition(":")[2]
    listed = f"{host} ({', '.join(public)})" if where == host else host
    text = (
        f"The SPF record does not list your SMTP server {listed}. If it sends your mail "
        f"itself, add {mechanism}; if it relays through another service, add that service's "
        "include instead."
    )
    return Problem(Status.WARNING, text), (mechanism,)


def _host_addresses(session: DnsSession, host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return [addr for result in (session.a(host), session.aaaa(host)) for addr in result.records]


def _can_send(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return False
    return not any(ip.version == net.version and ip in net for net in _INTERNAL)


def _authorises(parsed: dict, host: str, addresses: list[str]) -> bool:
    networks = []
    for m in _walk(parsed):
        if m["action"] != "pass":
            continue
        if m["mechanism"] in ("ip4", "ip6"):
            networks.append(ipaddress.ip_network(m["value"], strict=False))
        elif m["mechanism"] == "a":
            if m["value"] == host:
                return True
            networks += [ipaddress.ip_network(a, strict=False) for a in m.get("addresses", [])]
        elif m["mechanism"] == "mx" and host in {h["hostname"] for h in m.get("hosts", [])}:
            return True
    ips = [ipaddress.ip_address(a) for a in addresses]
    return any(ip.version == net.version and ip in net for ip in ips for net in networks)


def _walk(parsed: dict | None) -> Iterator[dict]:
    """Every mechanism of a parsed record, through includes and redirects."""
    if not parsed:
        return
    for mechanism in parsed["mechanisms"]:
        yield mechanism
        if mechanism["mechanism"] == "include":
            yield from _walk(mechanism.get("parsed"))
    if parsed.get("redirect"):
        yield from _walk(parsed["redirect"].get("parsed"))


def _multiple(session: DnsSession, domain: str, provider: Provider | None) -> CheckRow:
    found = [r for r in session.txt(domain).records if r.lower().startswith("v=spf1")]
    include = provider.spf_include if provider and provider.spf_required else None
    merged = records.suggested_spf(found, include=include)
    return CheckRow(
        check=Check.SPF,
        status=Status.FAIL,
        title="SPF",
        message=f"{domain} has {len(found)} SPF records; receivers treat that as an error and "
        "SPF fails for all your mail. Replace them with this single record.",
        found=found,
        expected=_expected(domain, provider),
        publish=[RecordToPublish(domain, "TXT", merged, note="Delete the other SPF records.")],
    )


def _missing(
    session: DnsSession, domain: str, provider: Provider | None, own_host: str | None
) -> CheckRow:
    if provider and provider.spf_include:
        value, note = f"v=spf1 include:{provider.spf_include} ~all", ""
    elif own_host:
        value, note = f"v=spf1 {records.spf_server_mechanism(own_host)} ~all", ""
    else:
        value, note = "v=spf1 mx ~all", "Add ip4:/include: for every server that sends as you."
    if session.nonexistent(domain):
        message = records.nonexistent_domain_message(domain)
    else:
        message = f"{domain} has no SPF record, so receivers can't tell who may send as it."
    return CheckRow(
        check=Check.SPF,
        status=Status.FAIL,
        title="SPF",
        message=message,
        expected=_expected(domain, provider),
        publish=[RecordToPublish(domain, "TXT", value, note=note)],
    )


def _broken(domain: str, record: str, provider: Provider | None, exc: SPFError) -> CheckRow:
    publish = []
    if isinstance(exc, SPFRecordNotFound) and exc.domain != domain:
        # An include target without SPF makes the whole record fail: drop it.
        value = records.suggested_spf([record], drop=(f"include:{exc.domain}",))
        publish = [RecordToPublish(domain, "TXT", value, note="Replaces the current SPF record.")]
        message = f"include:{exc.domain} has no SPF record, so SPF fails for all your mail."
    else:
        message = f"The SPF record is invalid, so SPF fails for all your mail: {exc}"
    return CheckRow(
        check=Check.SPF,
        status=Status.FAIL,
        title="SPF",
        message=message,
        found=[record],
        expected=_expected(domain, provider),
        publish=publish,
    )


def _unknown(exc: BaseException | None, failures: list[LookupFailure]) -> CheckRow | None:
    reason = find_unknown_reason(exc) if exc else None
    relevant = [f for f in failures if f.rdtype not in _IGNORED_FAILURES]
    if reason is None and not relevant:
        return None
    reason = reason or relevant[0].reason
    where = f" ({relevant[0].rdtype} {relevant[0].name})" if relevant else ""
    return CheckRow(
        check=Check.SPF,
        status=Status.UNKNOWN,
        title="SPF",
        message=f"DNS did not answer ({reason}{where}); SPF could not be checked. Re-check later.",
        details={"reason": reason},
    )


def _expected(domain: str, provider: Provider | None) -> str:
    who = ""
    if provider and provider.spf_include and provider.spf_required:
        who = f" authorising {provider.name} (include:{provider.spf_include})"
    return f"One SPF record at {domain}{who}, at most 10 DNS lookups, ending in ~all or -all."


def _worst(problems: list[Problem]) -> Status:
    statuses = {problem.status for problem in problems}
    for status in (Status.FAIL, Status.WARNING):
        if status in statuses:
            return status
    return Status.PASS


def _prefetch_tree(session: DnsSession, name: str, depth: int) -> None:
    """Resolve the include tree level by level in parallel, ahead of checkdmarc's walk."""
    session.prefetch(name, "SPF", "CNAME")
    for record in session.txt(name).records:
        if depth >= MAX_PREFETCH_DEPTH or not record.lower().startswith("v=spf1"):
            continue
        for term in records.spf_terms(record):
            match = _TARGET.fullmatch(term)
            if not match:
                continue
            kind, target = match[1].lower(), (match[2] or name).lower()
            if kind in ("include", "redirect"):
                session.submit(_prefetch_tree, session, target, depth + 1)
            elif kind == "a":
                session.prefetch(target, "A", "AAAA")
            else:
                session.submit(_prefetch_mx, session, target)


def _prefetch_mx(session: DnsSession, name: str) -> None:
    for record in session.mx(name).records:
        session.prefetch(record.split()[-1], "A", "AAAA")
