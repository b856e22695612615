"""DKIM: find the public keys at the selectors and judge each one."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from deliverability.engine.dns import LookupResult
from deliverability.engine.report import Check, CheckRow, RecordToPublish, Status
from smtp_integration.providers import Provider

PROVIDER, ADMIN, GUESS = "provider", "admin", "guess"
MIN_RSA_BITS, GOOD_RSA_BITS = 1024, 2048
ED25519_KEY_BYTES = 32
_LONG_KEY = re.compile(r"(p=\s*)([A-Za-z0-9+/=\s]{24,})")
_SELECTOR = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*")


@dataclass(frozen=True)
class SelectorPlan:
    """A selector to look up and why: the provider's, the admin's, or our guess."""

    selector: str
    origin: str


@dataclass(frozen=True)
class KeyVerdict:
    """What a DKIM key record is worth."""

    status: Status
    problem: str = ""
    algorithm: str = "rsa"
    bits: int | None = None
    fixed: str | None = None  # the corrected record, when only the record text is wrong


def normalize_selector(value: str) -> str:
    """``s1``, ``s1._domainkey`` or ``s1._domainkey.example.com`` → ``s1`` (ValueError if bad)."""
    selector = value.strip().rstrip(".").lower().split("._domainkey", 1)[0]
    if not _SELECTOR.fullmatch(selector):
        raise ValueError(f"{value!r} is not a DKIM selector")
    return selector


def plan_selectors(provider: Provider, admin_selectors: Iterable[str]) -> list[SelectorPlan]:
    """The admin's selectors, the provider's fixed ones, else our guesses."""
    plans: dict[str, SelectorPlan] = {}
    for selector in map(normalize_selector, admin_selectors):
        plans.setdefault(selector, SelectorPlan(selector, ADMIN))
    for selector in provider.dkim.selectors:
        plans.setdefault(selector, SelectorPlan(selector, PROVIDER))
    if not plans and provider.dkim.guessable:
        plans = {s: SelectorPlan(s, GUESS) for s in provider.dkim.guesses}
    return list(plans.values())


def selector_name(selector: str, domain: str) -> str:
    """Where a selector's key is published."""
    return f"{selector}._domainkey.{domain}"


def parse_tags(record: str) -> dict[str, str]:
    """A DKIM tag=value list (whitespace inside values removed)."""
    tags = {}
    for part in record.split(";"):
        tag, sep, value = part.partition("=")
        if sep:
            tags[tag.strip().lower()] = re.sub(r"\s+", "", value)
    return tags


def evaluate_key(record: str) -> KeyVerdict:
    """Judge one key record: present, not revoked, strong enough, not in testing mode."""
    tags = parse_tags(record)
    algorithm = tags.get("k", "rsa").lower()
    if tags.get("v", "DKIM1") != "DKIM1":
        return KeyVerdict(Status.FAIL, "The record's version is not v=DKIM1.", algorithm)
    if "p" not in tags:
        return KeyVerdict(Status.FAIL, "The record has no public key (p=).", algorithm)
    if not tags["p"]:
        return KeyVerdict(Status.FAIL, "The key is revoked (p= is empty).", algorithm)
    try:
        key = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        return KeyVerdict(Status.FAIL, "The public key (p=) is not valid base64.", algorithm)
    verdict = _judge_key(algorithm, key)
    if verdict.status != Status.FAIL and "y" in tags.get("t", "").lower().split(":"):
        problem = "It is in testing mode (t=y): receivers may ignore failures. Remove t=y."
        fixed = None if verdict.problem else _without_testing_flag(record)
        problem = " ".join(filter(None, [verdict.problem, problem]))
        return KeyVerdict(Status.WARNING, problem, algorithm, verdict.bits, fixed)
    return verdict


def _without_testing_flag(record: str) -> str:
    parts = []
    for part in record.split(";"):
        tag, _, value = part.partition("=")
        if tag.strip().lower() == "t":
            flags = [f for f in value.strip().split(":") if f.strip().lower() != "y"]
            if not flags:
                continue
            part = f" t={':'.join(flags)}"
        parts.append(part)
    return ";".join(parts).strip()


def _judge_key(algorithm: str, key: bytes) -> KeyVerdict:
    if algorithm == "ed25519":
        if len(key) != ED25519_KEY_BYTES:
            return KeyVerdict(Status.FAIL, "The Ed25519 key is not 32 bytes.", algorithm)
        return KeyVerdict(Status.PASS, algorithm=algorithm, bits=256)
    if algorithm != "rsa":
        return KeyVerdict(Status.FAIL, f"k={algorithm} is not a DKIM key type.", algorithm)
    try:
        public_key = load_der_public_key(key)
    except ValueError:
        return KeyVerdict(Status.FAIL, "The public key (p=) can't be read.", algorithm)
    if not isinstance(public_key, rsa.RSAPublicKey):
        return KeyVerdict(Status.FAIL, "The key is not an RSA key, though k=rsa.", algorithm)
    bits = public_key.key_size
    if bits < MIN_RSA_BITS:
        problem = f"The key has {bits} bits; receivers reject keys under {MIN_RSA_BITS}."
        return KeyVerdict(Status.FAIL, f"{problem} Use a 2048-bit key.", algorithm, bits)
    if bits < GOOD_RSA_BITS:
        problem = f"The key has only {bits} bits; rotate to a 2048-bit key."
        return KeyVerdict(Status.WARNING, problem, algorithm, bits)
    return KeyVerdict(Status.PASS, algorithm=algorithm, bits=bits)


def dkim_rows(
    domain: str,
    provider: Provider,
    plans: list[SelectorPlan],
    results: dict[str, LookupResult | None],
) -> list[CheckRow]:
    """One row per selector we rely on; one row summing up guesses or asking for selectors."""
    if not plans:
        return [_ask_for_selectors(domain, provider)]
    rows = [
        _selector_row(domain, provider, plan, results.get(plan.selector), results) for plan in plans
    ]
    if plans[0].origin != GUESS:
        return rows
    usable = [row for row in rows if row.status in (Status.PASS, Status.WARNING)]
    if usable:
        return usable
    if any(row.status == Status.UNKNOWN for row in rows):
        return [_unknown("DKIM", {"selectors": [p.selector for p in plans]})]
    return [_unverified(domain, provider, plans)]


def _selector_row(
    domain: str,
    provider: Provider,
    plan: SelectorPlan,
    result: LookupResult | None,
    results: dict[str, LookupResult | None],
) -> CheckRow:
    name = selector_name(plan.selector, domain)
    title = f"DKIM ({plan.selector})"
    details = {"selector": plan.selector, "origin": plan.origin}
    if result is None or result.unknown:
        return _unknown(title, {**details, "reason": result.reason if result else "deadline"})
    found = [f"{name} CNAME {result.canonical_name}"] if result.via_cname else []
    keys = [r for r in result.records if "p=" in r.replace(" ", "") or r.startswith("v=DKIM1")]
    if keys:
        verdict = evaluate_key(keys[0])
        found += [_abbreviate(key) for key in keys]
        details.update(algorithm=verdict.algorithm, bits=verdict.bits)
    else:
        where = f"{result.canonical_name}, the CNAME target" if result.via_cname else name
        problem = f"There is no DKIM key at {where}, so mail signed with {plan.selector} fails."
        verdict = KeyVerdict(Status.FAIL, problem)
    problems = [verdict.problem] if verdict.problem else []
    status = verdict.status
    if len(keys) > 1:
        problems.append("There are several keys at one selector; receivers may pick either.")
        status = max(status, Status.WARNING, key=_severity)
    suffixes = provider.dkim.cname_suffixes
    hosted = result.via_cname and bool(suffixes) and result.canonical_name.endswith(suffixes)
    if result.via_cname and suffixes and not hosted:
        problems.append(f"It points to {result.canonical_name}, not to {provider.name}.")
        status = max(status, Status.WARNING, key=_severity)
    publish: list[RecordToPublish] = []
    if status != Status.PASS and hosted and keys:
        # The CNAME is right; the key behind it is the provider's to fix.
        problems.append(f"{provider.name} hosts this key, so fix it there: {provider.docs_hint}")
    elif status != Status.PASS and verdict.fixed and not result.via_cname:
        publish = [RecordToPublish(name, "TXT", verdict.fixed, note="Replaces the record.")]
    elif status != Status.PASS:
        publish = [_template(domain, provider, plan.selector, results)]
    return CheckRow(
        check=Check.DKIM,
        status=status,
        title=title,
        message=" ".join(problems) or f"A valid DKIM key is published at {name}.",
        found=found,
        expected=_expected(name, provider),
        publish=publish,
        details=details,
    )


def _ask_for_selectors(domain: str, provider: Provider) -> CheckRow:
    return CheckRow(
        check=Check.DKIM,
        status=Status.UNVERIFIED,
        title="DKIM",
        message=f"{provider.name} picks a unique DKIM selector for each domain, so we can't "
        f"guess it. {provider.dkim.instructions}",
        expected=_expected(selector_name("<selector>", domain), provider),
    )


def _unverified(domain: str, provider: Provider, plans: list[SelectorPlan]) -> CheckRow:
    tried = ", ".join(p.selector for p in plans)
    return CheckRow(
        check=Check.DKIM,
        status=Status.UNVERIFIED,
        title="DKIM",
        message=f"No DKIM key at the usual selectors ({tried}); yours may use another one. "
        f"{provider.dkim.instructions}",
        expected=_expected(selector_name("<selector>", domain), provider),
        publish=[
            _template(domain, provider, p.selector, {})
            for p in plans
            if any(t[0] == p.selector for t in provider.dkim.templates)
        ],
        details={"selectors": [p.selector for p in plans]},
    )


def _unknown(title: str, details: dict) -> CheckRow:
    return CheckRow(
        check=Check.DKIM,
        status=Status.UNKNOWN,
        title=title,
        message="DNS did not answer; DKIM could not be checked. Re-check later.",
        details=details,
    )


def _template(
    domain: str, provider: Provider, selector: str, results: dict[str, LookupResult | None]
) -> RecordToPublish:
    name = selector_name(selector, domain)
    suffixes = provider.dkim.cname_suffixes
    for sibling, result in results.items():
        # s2's CNAME target tells s1's: the provider names them alike.
        target = result.canonical_name if result and result.via_cname else ""
        if sibling != selector and sibling in target and suffixes and target.endswith(suffixes):
            return RecordToPublish(name, "CNAME", target.replace(sibling, selector, 1))
    rdtype, value = next(
        ((t, v) for s, t, v in provider.dkim.templates if s in (selector, "*")),
        ("TXT", "v=DKIM1; k=rsa; p=<public key>"),
    )
    value = value.format(selector=selector, domain=domain, domain_dashed=domain.replace(".", "-"))
    return RecordToPublish(name, rdtype, value, note=provider.dkim.instructions)


def _expected(name: str, provider: Provider) -> str:
    suffixes = provider.dkim.cname_suffixes
    via = f", usually a CNAME to {provider.name} (…{suffixes[0]})" if suffixes else ""
    return f"A DKIM key (RSA of 2048 bits, or Ed25519) at {name}{via}, without t=y."


def _abbreviate(record: str) -> str:
    # Keys are ~400 characters; the row shows the start and end, like a fingerprint.
    return _LONG_KEY.sub(lambda m: f"{m[1]}{m[2][:12]}…{m[2][-6:]}", record)


def _severity(status: Status) -> int:
    return [Status.PASS, Status.WARNING, Status.FAIL].index(status)
