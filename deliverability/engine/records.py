"""Builders for the exact SPF and DMARC records an admin should publish."""

from __future__ import annotations

import ipaddress
import re

SPF_MECHANISMS = ("include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# A mechanism written with "=" (include=example.com) is parsed as an unknown
# modifier and silently ignored by receivers: the commonest SPF typo.
_TYPO = re.compile(rf"^([+\-~?]?)({'|'.join(SPF_MECHANISMS)})=(.+)$", re.IGNORECASE)
_ALL = re.compile(r"^[+\-~?]?all$", re.IGNORECASE)
DEFAULT_ALL = "~all"  # soft fail: safe while other senders are being found; DMARC decides


def spf_server_mechanism(host: str) -> str:
    """How SPF authorises a server: ``ip4:``/``ip6:`` for an address (``a:`` takes only a
    domain name), ``a:`` for a host name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"a:{host}"
    return f"ip{address.version}:{address}"


def nonexistent_domain_message(domain: str) -> str:
    """What a row says when the From domain is not in DNS at all."""
    return (
        f"{domain} does not exist in DNS (NXDOMAIN): check the From address for a typo, or "
        "register the domain. No receiver will accept mail from it until it exists."
    )


def spf_terms(record: str) -> list[str]:
    """The terms of an SPF record, without ``v=spf1``."""
    terms = record.split()
    return terms[1:] if terms and terms[0].lower() == "v=spf1" else terms


def spf_typos(record: str) -> list[tuple[str, str]]:
    """(written, meant) for each mechanism written with ``=`` instead of ``:``."""
    found = []
    for term in spf_terms(record):
        match = _TYPO.match(term)
        if match:
            found.append((term, f"{match[1]}{match[2].lower()}:{match[3]}"))
    return found


def spf_all_qualifier(record: str) -> str | None:
    """The qualifier of the record's first ``all`` ('+', '-', '~', '?'), or None without one."""
    for term in spf_terms(record):
        if _ALL.match(term):
            return term[0] if term[0] in "+-~?" else "+"
    return None


def has_redirect(record: str) -> bool:
    """Whether the record delegates to another domain with ``redirect=``."""
    return any(term.lower().startswith("redirect=") for term in spf_terms(record))


def suggested_spf(
    records: list[str],
    *,
    include: str | None = None,
    add: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
) -> str:
    """One SPF record merging ``records``: typos fixed, ``drop`` removed, ``add`` before all."""
    mechanisms: list[str] = []
    modifiers: list[str] = []
    qualifiers = set()
    for record in records:
        fixed = dict(spf_typos(record))
        for term in spf_terms(record):
            term = fixed.get(term, term)
            if term.lower() in drop:
                continue
            if _ALL.match(term):
                qualifiers.add(spf_all_qualifier(term))
            elif "=" in term.split(":", 1)[0]:
                _append_unique(modifiers, term)
            else:
                _append_unique(mechanisms, term)
    wanted = ([f"include:{include}"] if include else []) + list(add)
    lowered = {term.lower().lstrip("+") for term in mechanisms}
    mechanisms += [term for term in wanted if term.lower() not in lowered]
    redirect = [m for m in modifiers if m.lower().startswith("redirect=")]
    if redirect and not qualifiers:
        # The redirect target's policy applies; adding an all would disable it.
        return " ".join(["v=spf1", *mechanisms, *modifiers])
    modifiers = [m for m in modifiers if m not in redirect]
    final_all = "-all" if "-" in qualifiers else DEFAULT_ALL
    return " ".join(["v=spf1", *mechanisms, final_all, *modifiers])


def _append_unique(terms: list[str], term: str) -> None:
    if term.lower() not in {t.lower() for t in terms}:
        terms.append(term)


def dmarc_tags(record: str) -> list[tuple[str, str]]:
    """The tag=value pairs of a DMARC record, in order."""
    pairs = []
    for part in record.split(";"):
        tag, sep, value = part.partition("=")
        if sep and tag.strip():
            pairs.append((tag.strip().lower(), value.strip()))
    return pairs


def suggested_dmarc(
    record: str | None, *, report_to: str, policy: str = "quarantine", policy_tag: str = "p"
) -> str:
    """A DMARC record that enforces ``policy`` and asks for aggregate reports."""
    tags = dict(dmarc_tags(record or ""))
    tags["v"] = "DMARC1"
    if tags.get(policy_tag, "none").lower() == "none":
        tags[policy_tag] = policy
    tags.setdefault("p", policy)
    tags.setdefault("rua", f"mailto:{report_to}")
    # v must come first; p second keeps older receivers happy.
    ordered = ["v", "p", *[tag for tag in tags if tag not in ("v", "p")]]
    return "; ".join(f"{tag}={tags[tag]}" for tag in ordered)
