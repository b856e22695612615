"""Deliverability engine: SPF, DKIM, DMARC and return-path of a From domain, checked in DNS.

Django-free: the tab, the command and the beat task call
``run_deliverability_check`` and store ``report.to_dict()``.
"""

from deliverability.engine.checks import (
    clear_caches,
    normalize_domain,
    run_deliverability_check,
)
from deliverability.engine.dkim import normalize_selector
from deliverability.engine.dns import DnsResolver, LookupResult
from deliverability.engine.report import (
    Check,
    CheckRow,
    DeliverabilityReport,
    RecordToPublish,
    Status,
)

__all__ = [
    "Check",
    "CheckRow",
    "DeliverabilityReport",
    "DnsResolver",
    "LookupResult",
    "RecordToPublish",
    "Status",
    "clear_caches",
    "normalize_domain",
    "normalize_selector",
    "run_deliverability_check",
]
