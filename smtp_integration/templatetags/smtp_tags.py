from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def step_state(ok) -> str:
    """ok, fail or skip: the class and word for a step's outcome."""
    return "skip" if ok is None else ("ok" if ok else "fail")


@register.filter
def ago(moment) -> str:
    """ "just now" under a minute, else "5 minutes ago"."""
    if not moment:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
