"""The custom SMTP's health, learnt from real sends; a pause tells the tenant's admins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.roles import TENANT_ADMINS_GROUP
from smtp_integration.diagnostics import explain
from smtp_integration.models import SmtpConfig
from tenants.models import EmailHealth
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set

# Consecutive failures after which the integration shows as failing.
FAILING_AFTER = 3
# A healthy integration's last_success_at is refreshed at most this often: not a write per email.
SUCCESS_REFRESH = timedelta(minutes=1)


@dataclass
class HealthReport:
    """What one batch learnt about the tenant's custom SMTP."""

    successes: int = 0
    failures: int = 0
    last_reason: str = ""
    pause_reason: str = ""
    config_key: tuple | None = field(default=None)

    def success(self, route) -> None:
        if route.transport == "custom":
            self.successes += 1
            self.failures = 0
            self.config_key = route.pool_key

    def failure(self, route, error) -> None:
        if route.transport == "custom":
            self.failures += 1
            self.last_reason = explain(error)[:500]
            self.config_key = route.pool_key

    def pause(self, route, error) -> None:
        self.pause_reason = explain(error)[:500]


def health_apply(config: SmtpConfig | None, report: HealthReport) -> None:
    """Record the batch's lessons on the config it used, unless a Save replaced it meanwhile."""
    if config is None or report.config_key is None:
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
            transaction.on_commit(lambda: admins_notify_paused(current))


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


def admins_notify_paused(config: SmtpConfig) -> None:
    """Tell every tenant admin, through the platform default, that sending is paused."""
    from mailer.api import send_email

    admins = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=TENANT_ADMINS_GROUP)
        .values_list("email", flat=True)
    )
    message = (
        f"Emails from {tenant_current().display_name} are on hold: your SMTP server "
        f"{config.host} refused them.\n\n{config.last_failure_reason}\n\n"
        "Fix the settings under Integrations → Email SMTP and save: the waiting emails are "
        "sent at once. Or switch custom SMTP off to send through the platform default."
    )
    for address in admins:
        send_email(
            "notification",
            to=address,
            context={"title": "Your SMTP server is refusing emails", "message": message},
            force_platform_default=True,
        )
