"""Reads about the tenant's email delivery: every read of the SMTP config goes through here."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cymmetri.db import server_cursor
from smtp_integration.models import (
    CHANGE_PERMISSION,
    SmtpConfig,
    SmtpConnectionTest,
    TestOutcome,
)
from smtp_integration.transport import SmtpPolicy
from tenants.models import EmailHealth

_PERIODS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


@dataclass(frozen=True)
class EmailDeliveryStatus:
    label: str
    tone: str  # green, amber, red or grey: the same meaning on every page
    from_address: str
    detail: str
    url: str = ""


def smtp_config_get() -> SmtpConfig | None:
    """The tenant's SMTP config, if it has one."""
    return SmtpConfig.objects.first()


def smtp_config_for_sending() -> SmtpConfig | None:
    """The tenant's SMTP config, share-locked until the caller's transaction ends.

    A Save or toggle takes this row FOR UPDATE, so it waits for emails being sent now and
    every email started after it commits sees the new version: the cutover is exact.
    """
    with server_cursor() as cursor:  # run for every step: prepared once per connection
        cursor.execute("SELECT * FROM smtp_integration_smtpconfig FOR SHARE")
        row = cursor.fetchone()
        if row is None:
            return None
        position = {column.name: n for n, column in enumerate(cursor.description)}
    fields = [field.attname for field in SmtpConfig._meta.concrete_fields]
    return SmtpConfig.from_db(None, fields, [row[position[name]] for name in fields])


def smtp_policy() -> SmtpPolicy:
    """Where tenants' SMTP connections may go: SMTP_ALLOWED_PORTS and friends, and in
    development the local mail catcher (DEV_MAIL_CATCHER)."""
    ports = {int(port) for port in settings.SMTP_ALLOWED_PORTS}
    networks = [
        ipaddress.ip_network(c, strict=False) for c in settings.SMTP_ALLOWED_PRIVATE_NETWORKS
    ]
    plaintext = settings.SMTP_ALLOW_PLAINTEXT
    catcher = dev_mail_catcher()
    if catcher is not None:
        address, port = catcher
        ports.add(port)
        networks.append(ipaddress.ip_network(address))
        plaintext = True
    return SmtpPolicy(
        allowed_ports=frozenset(ports),
        allowed_https_ports=frozenset(int(port) for port in settings.OAUTH_ALLOWED_PORTS),
        allowed_networks=tuple(networks),
        allow_plaintext=plaintext,
        ca_file=settings.SMTP_CA_FILE or None,
    )


def dev_mail_catcher() -> tuple[str, int] | None:
    """The local mail catcher's address and port, in development only (never with DEBUG off)."""
    value = settings.DEV_MAIL_CATCHER
    if not value or not settings.DEBUG:
        return None
    host, _, port = value.rpartition(":")
    return str(ipaddress.ip_address(host.strip("[]"))), int(port)


def platform_from_address() -> str:
    return f"noreply@{settings.PLATFORM_EMAIL_DOMAIN}"


def platform_rate_limit_text() -> str:
    count, seconds = settings.PLATFORM_SMTP_RATE_LIMIT
    return f"{count} emails per {_PERIODS.get(seconds, f'{seconds} seconds')}"


def _formatted_from(config: SmtpConfig) -> str:
    return (
        f"{config.from_name} <{config.from_address}>" if config.from_name else config.from_address
    )


def email_delivery_status(config: SmtpConfig | None) -> EmailDeliveryStatus:
    """Which SMTP the tenant's email goes through now, as the status card says it."""
    url = reverse("integrations:email_smtp")
    if config is None:
        return EmailDeliveryStatus(
            label="Platform default",
            tone="grey",
            from_address=platform_from_address(),
            detail=f"Shared platform SMTP, limited to {platform_rate_limit_text()}.",
            url=url,
        )
    if not config.enabled:
        return EmailDeliveryStatus(
            label="Custom SMTP configured, disabled",
            tone="amber",
            from_address=platform_from_address(),
            detail=f"{config.host} is switched off: email goes through the platform default.",
            url=url,
        )
    if config.health == EmailHealth.PAUSED:
        reason = config.last_failure_reason or f"{config.host} refused this configuration"
        return EmailDeliveryStatus(
            label="Custom SMTP paused",
            tone="red",
            from_address=_formatted_from(config),
            detail=f"{reason.rstrip('.')}. Emails wait until you fix the settings and save.",
            url=url,
        )
    if config.health == EmailHealth.FAILING:
        return EmailDeliveryStatus(
            label="Custom SMTP active, failing",
            tone="red",
            from_address=_formatted_from(config),
            detail=config.last_failure_reason or f"Sending through {config.host} is failing.",
            url=url,
        )
    return EmailDeliveryStatus(
        label="Custom SMTP active",
        tone="green",
        from_address=_formatted_from(config),
        detail=f"Email goes through {config.host}:{config.port} ({config.get_tls_mode_display()}).",
        url=url,
    )


def smtp_settings_test(config: SmtpConfig | None) -> SmtpConnectionTest | None:
    """The latest connection test of exactly the saved settings (secret included)."""
    if config is None or not config.settings_digest:
        return None
    finished = SmtpConnectionTest.objects.filter(
        fingerprint=config.settings_digest, outcome__in=[TestOutcome.PASSED, TestOutcome.FAILED]
    )
    return finished.first()


def smtp_last_test() -> SmtpConnectionTest | None:
    """The last finished connection test."""
    return SmtpConnectionTest.objects.exclude(outcome=TestOutcome.RUNNING).first()


# A test waits for a probe worker, then runs for at most TEST_DEADLINE_SECONDS: one still
# "running" after this long was lost (its worker died and the broker dropped it).
TEST_LOST_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class ConnectionTestView:
    """A connection test as the page and the API show it; ``steps`` grow while it runs."""

    id: int
    status: str  # running, passed or failed
    steps: list[dict]  # each: name, label, ok, code, reply, detail, duration_ms
    message: str
    reason: str
    host: str
    port: int
    tls_mode: str
    recipient: str
    created_at: datetime
    finished_at: datetime | None
    duration_ms: float | None

    @property
    def ok(self) -> bool:
        return self.status == TestOutcome.PASSED

    @property
    def running(self) -> bool:
        return self.status == TestOutcome.RUNNING


def smtp_connection_test_get(test_id: int) -> ConnectionTestView | None:
    """One connection test of this tenant, with the steps stored so far."""
    test = SmtpConnectionTest.objects.filter(pk=test_id).first()
    if test is None:
        return None
    status, message, reason = test.outcome, test.message, test.reason
    if status == TestOutcome.RUNNING and test.created_at < timezone.now() - TEST_LOST_AFTER:
        status, reason = TestOutcome.FAILED, "interrupted"
        message = "The test did not finish; run it again."
    return ConnectionTestView(
        id=test.pk,
        status=status,
        steps=list(test.steps),
        message=message,
        reason=reason,
        host=test.host,
        port=test.port,
        tls_mode=test.tls_mode,
        recipient=test.recipient or test.actor_email,
        created_at=test.created_at,
        finished_at=test.finished_at,
        duration_ms=test.duration_ms,
    )


def smtp_admin_sql(user: str) -> tuple[str, dict]:
    """smtp_admins() as an SQL condition on the user table aliased ``user``, with its named
    parameters: for statements prepared once (the same rule, not ORM joins planned anew on
    every request)."""
    app_label, codename = CHANGE_PERMISSION.split(".")
    user_model = get_user_model()
    groups = user_model.groups.through._meta
    group_permissions = user_model.groups.field.related_model.permissions.through._meta
    user_permissions = user_model.user_permissions.through._meta
    permissions = user_model.user_permissions.field.related_model._meta
    content_types = permissions.get_field("content_type").related_model._meta
    # Table names come from the models, never from input.
    permission = (
        f"(SELECT p.id FROM {permissions.db_table} p JOIN {content_types.db_table} c "  # noqa: S608
        "ON c.id = p.content_type_id "
        "WHERE p.codename = %(admin_codename)s AND c.app_label = %(admin_app_label)s)"
    )
    condition = (
        f"({user}.is_active AND ({user}.is_superuser"  # noqa: S608
        f" OR EXISTS (SELECT 1 FROM {groups.db_table} ug"
        f" JOIN {group_permissions.db_table} gp ON gp.group_id = ug.group_id"
        f" WHERE ug.user_id = {user}.id AND gp.permission_id = {permission})"
        f" OR EXISTS (SELECT 1 FROM {user_permissions.db_table} up"
        f" WHERE up.user_id = {user}.id AND up.permission_id = {permission})))"
    )
    return condition, {"admin_codename": codename, "admin_app_label": app_label}


def smtp_admins():
    """The tenant's active administrators: the users who may change the integration."""
    app_label, codename = CHANGE_PERMISSION.split(".")
    holds = (
        Q(groups__permissions__codename=codename)
        & Q(groups__permissions__content_type__app_label=app_label)
    ) | (
        Q(user_permissions__codename=codename)
        & Q(user_permissions__content_type__app_label=app_label)
    )
    return get_user_model().objects.filter(Q(is_superuser=True) | holds, is_active=True)


def smtp_test_recipients() -> set[str]:
    """The addresses a test email may go to: the tenant's administrators, in lower case."""
    emails = smtp_admins().values_list("email", flat=True).distinct()
    return {email.lower() for email in emails if email}


@dataclass(frozen=True)
class SendingDomain:
    """The domain the tenant's own SMTP sends from, and its host: what receivers check."""

    from_address: str
    domain: str  # lower case, as configured (a Unicode domain stays Unicode)
    smtp_host: str  # lower case, no trailing dot


def smtp_sending_domain() -> SendingDomain | None:
    """The enabled custom SMTP's From domain and host; None while the platform default sends."""
    config = SmtpConfig.objects.first()
    if config is None or not config.enabled:
        return None
    return SendingDomain(
        from_address=config.from_address,
        domain=config.from_address.rpartition("@")[2].strip().rstrip(".").lower(),
        smtp_host=config.host.strip().rstrip(".").lower(),
    )


def smtp_switched_off_host() -> str:
    """The custom SMTP's host while it is configured but switched off; empty otherwise."""
    config = SmtpConfig.objects.first()
    return config.host if config is not None and not config.enabled else ""
