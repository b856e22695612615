"""Reads about the tenant's deliverability: what to check, and the stored result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from deliverability.engine import DeliverabilityReport, Status, normalize_domain
from deliverability.models import DeliverabilityState
from smtp_integration.providers import Provider, provider_for_host
from smtp_integration.selectors import smtp_sending_domain, smtp_switched_off_host
from tenants.models import DeliverabilityStatus

# How a check's status looks: the word on its badge and its colour, which means the same on
# every page (green, amber, red, grey). "Unverified" (we could only guess where to look) has
# a look of its own.
STATUS_LOOKS = {
    Status.PASS: ("Pass", "green"),
    Status.WARNING: ("Warning", "amber"),
    Status.FAIL: ("Fail", "red"),
    Status.UNKNOWN: ("Unknown", "grey"),
    Status.UNVERIFIED: ("Unverified", "unverified"),
}


def status_look(status: str) -> tuple[str, str]:
    """(label, tone) of a check's status; grey for anything unknown to this version."""
    return STATUS_LOOKS.get(status, (str(status).capitalize(), "grey"))


@dataclass(frozen=True)
class CheckTarget:
    """What a check covers: the From domain (as a DNS name) and the SMTP host that sends."""

    from_address: str
    domain: str
    smtp_host: str

    @property
    def provider(self) -> Provider | None:
        return provider_for_host(self.smtp_host)


@dataclass(frozen=True)
class DeliverabilityPage:
    """Everything the Deliverability tab shows."""

    target: CheckTarget | None  # None: the platform default sends, nothing to check
    switched_off_host: str  # the custom SMTP's host while it is switched off
    state: DeliverabilityState | None
    report: DeliverabilityReport | None  # only a report for the current target

    @property
    def selectors(self) -> list[str]:
        return list(self.state.dkim_selectors) if self.state else []

    @property
    def selectors_unchecked(self) -> list[str]:
        """Selectors entered since the stored report was made (a re-check will look at them)."""
        checked = set(self.state.report_selectors) if self.state and self.report else set()
        return [selector for selector in self.selectors if selector not in checked]

    @property
    def needs_selectors(self) -> bool:
        """The provider picks random selectors and the admin has not entered one yet."""
        provider = self.target.provider if self.target else None
        return bool(provider and not provider.dkim.guessable and not self.selectors)


@dataclass(frozen=True)
class DeliverabilitySummary:
    """One line for the Email SMTP status card."""

    overall: str
    label: str
    tone: str
    domain: str
    checked_at: datetime
    degraded_at: datetime | None
    url: str


def deliverability_target() -> CheckTarget | None:
    """The enabled custom SMTP's From domain and host; None while the platform default sends."""
    sending = smtp_sending_domain()
    if sending is None:
        return None
    return CheckTarget(
        from_address=sending.from_address,
        domain=normalize_domain(sending.domain),
        smtp_host=sending.smtp_host,
    )


def deliverability_state_get() -> DeliverabilityState | None:
    return DeliverabilityState.objects.first()


def deliverability_is_current(
    state: DeliverabilityState | None, target: CheckTarget | None
) -> bool:
    """Whether the stored report was made for this From domain and SMTP host."""
    return bool(
        state is not None
        and target is not None
        and state.report
        and (state.domain, state.smtp_host) == (target.domain, target.smtp_host)
    )


def deliverability_page_get() -> DeliverabilityPage:
    """The tab's data: the target, the stored state and, if it is for this target, the report."""
    target = deliverability_target()
    state = deliverability_state_get()
    current = deliverability_is_current(state, target)
    return DeliverabilityPage(
        target=target,
        switched_off_host="" if target else smtp_switched_off_host(),
        state=state,
        report=DeliverabilityReport.from_dict(state.report) if current else None,
    )


def deliverability_summary() -> DeliverabilitySummary | None:
    """The stored overall for the status card, when a report for the current domain exists."""
    target = deliverability_target()
    state = deliverability_state_get() if target else None
    if not deliverability_is_current(state, target):
        return None
    return DeliverabilitySummary(
        overall=state.overall,
        label=DeliverabilityStatus(state.overall).label,
        tone=status_look(state.overall)[1],
        domain=state.domain,
        checked_at=state.checked_at,
        degraded_at=state.degraded_at,
        url=reverse("integrations:email_smtp_deliverability"),
    )
