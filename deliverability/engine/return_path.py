"""The return-path (bounce) domain row, for providers that use one.

The host name is a convention, or random (SendGrid's em<number>), so this row
never fails: it passes when the record is found, and otherwise says what to
look for ("unverified").
"""

from __future__ import annotations

import re
from collections import defaultdict

from deliverability.engine.dns import DnsSession, LookupResult
from deliverability.engine.report import Check, CheckRow, RecordToPublish, Status
from smtp_integration.providers import Provider, ReturnPathHint

TITLE = "Return-path (bounces)"


def return_path_host(domain: str, provider: Provider, params: dict[str, str]) -> str | None:
    """The conventional bounce host for this provider, if it can be known."""
    hint = provider.return_path
    return _fill(hint.host, domain, params) if hint and hint.host else None


def lookup_return_path(
    session: DnsSession, domain: str, provider: Provider, params: dict[str, str]
) -> LookupResult | None:
    """Look up the conventional bounce host (None when there is nothing to look up)."""
    host = return_path_host(domain, provider, params)
    return session.lookup(host, provider.return_path.rdtype) if host else None


def return_path_row(
    domain: str,
    provider: Provider,
    params: dict[str, str],
    result: LookupResult | None,
    dkim_results: dict[str, LookupResult | None],
) -> CheckRow | None:
    """The row, or None for providers without a separate return-path."""
    hint = provider.return_path
    if hint is None:
        return None
    if hint.host is None:
        return _derived(domain, provider, hint, dkim_results)
    host = return_path_host(domain, provider, params)
    target = _fill(hint.target_suffix, domain, params)
    expected = f"{hint.rdtype} at {host} pointing to {target}"
    if result is None or result.unknown:
        return _unknown(expected, result)
    points_to = [record.split()[-1] for record in result.records]
    if any(value.endswith(target) for value in points_to):
        return CheckRow(
            check=Check.RETURN_PATH,
            status=Status.PASS,
            title=TITLE,
            message=f"Bounces return to {provider.name} through {host}.",
            found=[f"{host} {hint.rdtype} {record}" for record in result.records],
            expected=expected,
        )
    publish = [
        RecordToPublish(host, rdtype, _fill(value, domain, params))
        for rdtype, value in hint.publish
    ]
    return CheckRow(
        check=Check.RETURN_PATH,
        status=Status.UNVERIFIED,
        title=TITLE,
        message=f"No {hint.rdtype} record at {host} points to {provider.name}. "
        + _fill(hint.instructions, domain, params),
        found=[f"{host} {hint.rdtype} {record}" for record in result.records],
        expected=expected,
        publish=publish,
    )


def _derived(
    domain: str,
    provider: Provider,
    hint: ReturnPathHint,
    dkim_results: dict[str, LookupResult | None],
) -> CheckRow:
    # The host name is random, but the provider's DKIM CNAME target names the account.
    targets = [
        match["target"]
        for result in dkim_results.values()
        if result and result.via_cname and hint.from_dkim_target
        for match in [re.fullmatch(hint.from_dkim_target, result.canonical_name)]
        if match
    ]
    target = targets[0] if targets else hint.target_suffix
    expected = f"a {hint.rdtype} {_fill(hint.host_hint, domain, {})} pointing to {target}"
    if dkim_results and all(r is None or r.unknown for r in dkim_results.values()):
        return _unknown(expected, None)
    return CheckRow(
        check=Check.RETURN_PATH,
        status=Status.UNVERIFIED,
        title=TITLE,
        message=f"{provider.name} names this host with a number we can't guess, so we can't "
        "look it up. " + _fill(hint.instructions, domain, {}),
        expected=expected,
    )


def _unknown(expected: str, result: LookupResult | None) -> CheckRow:
    reason = result.reason if result else "no answer before the deadline"
    return CheckRow(
        check=Check.RETURN_PATH,
        status=Status.UNKNOWN,
        title=TITLE,
        message=f"DNS did not answer ({reason}); the return-path could not be checked.",
        expected=expected,
        details={"reason": reason},
    )


def _fill(template: str, domain: str, params: dict[str, str]) -> str:
    values = defaultdict(lambda: "<region>", params, domain=domain)
    return template.format_map(values)
