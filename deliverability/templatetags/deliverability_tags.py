from django import template

from deliverability import selectors
from tenants.models import DeliverabilityStatus

register = template.Library()


@register.filter
def status_tone(status) -> str:
    """The colour class of a check's status: green, amber, red, grey or unverified."""
    return selectors.status_look(str(status))[1]


@register.filter
def status_label(status) -> str:
    """The word on a row's badge."""
    return selectors.status_look(str(status))[0]


@register.filter
def overall_label(status) -> str:
    """The word on the overall badge ("Ready", "Action needed"...)."""
    return DeliverabilityStatus(str(status)).label


@register.simple_tag
def deliverability_summary() -> selectors.DeliverabilitySummary | None:
    """The Email SMTP status card's line: ``{% deliverability_summary as deliverability %}``."""
    return selectors.deliverability_summary()
