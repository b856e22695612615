from django.db import models

from tenants.models import DeliverabilityStatus


class DeliverabilityState(models.Model):
    """The DKIM selectors the admin entered and the last deliverability check: one per schema."""

    slot = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    # Normalised selectors, checked on top of the provider's; kept across checks and domains.
    dkim_selectors = models.JSONField(default=list, blank=True)

    # What the stored report was checked for: another From domain or host makes it stale.
    domain = models.CharField(max_length=253, blank=True)
    smtp_host = models.CharField(max_length=253, blank=True)
    provider_key = models.CharField(max_length=40, blank=True)
    report_selectors = models.JSONField(default=list, blank=True)
    report = models.JSONField(null=True, blank=True)
    overall = models.CharField(
        max_length=10, choices=DeliverabilityStatus.choices, default=DeliverabilityStatus.UNKNOWN
    )
    # The last overall that was not "unknown": a DNS outage between two checks is no change.
    known_overall = models.CharField(
        max_length=10, choices=DeliverabilityStatus.choices, blank=True
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by_email = models.EmailField(blank=True)  # empty: the daily check or a command
    # Set when a check turns green into red; cleared when the domain is green again.
    degraded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "deliverability state"

    def __str__(self) -> str:
        return f"{self.domain or 'no domain'}: {self.overall}"
