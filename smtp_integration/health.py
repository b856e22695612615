"""The custom SMTP's health, learnt from real sends: the mailer reports, this service records.

ok → failing after FAILING_AFTER consecutive failures; → paused on an integration-wide failure
(a refused password, a bad certificate), which holds the tenant's custom-routed emails until a
Save or toggle; a success makes it ok again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smtp_integration.diagnostics import explain
from smtp_integration.models import SmtpConfig
from smtp_integration.signals import smtp_paused
from smtp_integration.transport import SmtpError
from tenants.models import EmailHealth
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set

# Consecutive failures after which the integration shows as failing.
FAILING_AFTER = 3
# A healthy integration's last_success_at is refreshed at most this often: not a write per email.
SUCCESS_REFRESH = timedelta(minutes=1)
REASON_LENGTH = 500


@dataclass
class HealthReport:
    """What one batch of sends through the tenant's custom SMTP learnt about it."""

    successes: int = 0
    failures: int = 0
    last_reason: str = ""
    pause_reason: str = ""

    def success(self) -> None:
        self.successes += 1
        self.failures = 0

    def failure(self, error: SmtpError) -> None:
        self.failures += 1
        self.last_reason = explain(error)[:REASON_LENGTH]

    def pause(self, error: SmtpError) -> None:
        self.pause_reason = explain(error)[:REASON_LENGTH]

    @property
    def empty(self) -> bool:
        return not (self.successes or self.failures)


def smtp_health_record(*, config: SmtpConfig | None, report: HealthReport) -> None:
    """Record a batch's lessons on the config it used, unless a Save replaced it meanwhile."""
    if config is None or report.empty:
        return
    now = timezone.now()
    if _nothing_new(config, report, now):
        return  # the common case: another healthy batch, no write and no lock
    with transaction.atomic():
        current = (
            SmtpConfig.objects.select_for_update()
            .filter(secret_id=config.secret_id, version=config.version)
            .first()
        )
        if current is None:
            return
        newly_paused = _update(current, report, now)
        if newly_paused is None:
            return
        current.save(
            update_fields=[
                "health",
                "last_success_at",
                "last_failure_at",
                "last_failure_reason",
                "consecutive_failures",
            ]
        )
        tenant_email_status_set(tenant=tenant_current(), health=current.health)
        if newly_paused:
            transaction.on_commit(
                lambda: smtp_paused.send_robust(sender=SmtpConfig, config=current)
            )


def _nothing_new(config: SmtpConfig, report: HealthReport, now) -> bool:
    fresh = config.last_success_at is not None and now - config.last_success_at <= SUCCESS_REFRESH
    return (
        not report.failures
        and config.health == EmailHealth.OK
        and not config.consecutive_failures
        and (fresh or not report.successes)
    )


def _update(config: SmtpConfig, report: HealthReport, now) -> bool | None:
    """Change the config in memory; None when nothing is worth a write."""
    was_paused = config.health == EmailHealth.PAUSED
    if report.failures:
        config.last_failure_at = now
        config.last_failure_reason = report.pause_reason or report.last_reason
        config.consecutive_failures += report.failures
        if report.pause_reason:
            config.health = EmailHealth.PAUSED
        elif config.consecutive_failures >= FAILING_AFTER and not was_paused:
            config.health = EmailHealth.FAILING
        return bool(report.pause_reason) and not was_paused
    if report.successes:
        stale = config.last_success_at is None or now - config.last_success_at > SUCCESS_REFRESH
        if config.health == EmailHealth.OK and not config.consecutive_failures and not stale:
            return None
        config.health = EmailHealth.OK
        config.consecutive_failures = 0
        config.last_success_at = now
        return False
    return None
