"""One full deliverability check of a From domain: every lookup in parallel, one deadline."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime

import checkdmarc.utils
import dns.name

from deliverability.engine.dkim import dkim_rows, plan_selectors, selector_name
from deliverability.engine.dmarc import check_dmarc
from deliverability.engine.dns import DnsResolver
from deliverability.engine.report import Check, CheckRow, DeliverabilityReport, Status
from deliverability.engine.return_path import lookup_return_path, return_path_row
from deliverability.engine.spf import check_spf
from smtp_integration.providers import OWN_SERVER, provider_for_host

logger = logging.getLogger(__name__)

MAX_WORKERS = 16


def normalize_domain(value: str) -> str:
    """The From domain (or the domain of a From address) as an ASCII DNS name."""
    domain = value.strip().rpartition("@")[2].rstrip(".").lower()
    if not domain:
        raise ValueError("no domain to check")
    return dns.name.from_unicode(domain).to_text(omit_final_dot=True)


def clear_caches() -> None:
    """Forget checkdmarc's process-wide DNS cache (30 min, not keyed by resolver)."""
    checkdmarc.utils.DNS_CACHE.clear()


def run_deliverability_check(
    *,
    from_domain: str,
    smtp_host: str | None,
    dkim_selectors: Iterable[str] = (),
    resolver: DnsResolver,
    deadline: float = 5.0,
    fresh: bool = False,
    parallel: bool = True,
) -> DeliverabilityReport:
    """Check SPF, DKIM, DMARC and the return-path of ``from_domain`` for the SMTP host.

    Everything not answered within ``deadline`` seconds is "unknown". ``fresh``
    bypasses every cache (the admin's "Re-check now"). ``parallel=False`` does
    one lookup at a time (the benchmark's baseline).
    """
    domain = normalize_domain(from_domain)
    provider = provider_for_host(smtp_host)
    hints = provider or OWN_SERVER
    params = provider.match(smtp_host) if provider else {}
    plans = plan_selectors(hints, dkim_selectors)
    if fresh:
        clear_caches()
    session = resolver.session(deadline=deadline, prefetch=parallel)
    pool = ThreadPoolExecutor(MAX_WORKERS if parallel else 1, thread_name_prefix="deliverability")
    try:
        tasks: dict[object, Future] = {
            Check.SPF: pool.submit(check_spf, session, domain, provider, smtp_host),
            Check.DMARC: pool.submit(check_dmarc, session, domain),
            Check.RETURN_PATH: pool.submit(lookup_return_path, session, domain, hints, params),
        }
        for plan in plans:
            name = selector_name(plan.selector, domain)
            tasks[Check.DKIM, plan.selector] = pool.submit(session.txt, name)
        wait(tasks.values(), timeout=session.remaining())
        outcome = {key: _outcome(key, future) for key, future in tasks.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        session.close()
    dkim_results = {plan.selector: outcome[Check.DKIM, plan.selector] for plan in plans}
    rows = [
        outcome[Check.SPF] or _late(Check.SPF, "SPF"),
        *dkim_rows(domain, hints, plans, dkim_results),
        outcome[Check.DMARC] or _late(Check.DMARC, "DMARC"),
    ]
    if hints.return_path:
        return_path = outcome[Check.RETURN_PATH]
        rows.append(return_path_row(domain, hints, params, return_path, dkim_results))
    return DeliverabilityReport(
        domain=domain,
        provider={"key": provider.key, "name": provider.name} if provider else None,
        checked_at=datetime.now(UTC),
        rows=rows,
    )


def _outcome(key: object, future: Future) -> object | None:
    # None means "not answered in time"; each row builder turns it into "unknown".
    if not future.done() or future.cancelled():
        return None
    try:
        return future.result()
    except Exception:
        # A row must not take the whole tab down; the log keeps the evidence.
        logger.exception("deliverability check %s failed", key)
        return None


def _late(check: Check, title: str) -> CheckRow:
    return CheckRow(
        check=check,
        status=Status.UNKNOWN,
        title=title,
        message=f"DNS did not answer in time; {title} could not be checked. Re-check later.",
        details={"reason": "deadline"},
    )
