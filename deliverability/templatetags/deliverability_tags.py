from django import template

from deliverability import selectors
from tenants.models import DeliverabilityStatus

register = template.Library()

ROW_LABELS = {
    "pass": "Pass",
    "warning": "Warning",
    "fail": "Fail",
    "unknown": "Unknown",
    "unverified": "Unverified",
}


@register.filter
def status_tone(status) -> str:
    """The colour class of a check's status: green, amber, red, grey or unverified."""
    return selectors.STATUS_TONES.get(str(status), "grey")


@register.filter
def status_label(status) -> str:
    """The word on a row's badge."""
    return ROW_LABELS.get(str(status), str(status))


@register.filter
def overall_label(status) -> str:
    """The word on the overall badge ("Ready", "Action needed"...)."""
    return DeliverabilityStatus(str(status)).label


@register.simple_tag
def deliverability_summary() -> selectors.DeliverabilitySummary | None:
    """The Email SMTP status card's line: ``{% deliverability_summary as deliverability %}``."""
    return selectors.deliverability_summary()
