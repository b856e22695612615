"""Writes for the tenant's Email SMTP integration: save, toggle, delete."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from smtp_integration.models import (
    CONFIG_FIELDS,
    CREDENTIAL_FIELDS,
    SmtpConfig,
    SmtpConnectionTest,
    TestOutcome,
)
from smtp_integration.secrets import password_open, password_seal, settings_fingerprint
from smtp_integration.signals import smtp_config_changed
from tenants.models import EmailHealth, EmailTransport
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set

AUDIT_TARGET = "email_smtp"


@dataclass(frozen=True)
class SaveResult:
    config: SmtpConfig
    created: bool
    changed_fields: list[str]
    tested: bool


def _status_sync(config: SmtpConfig | None) -> None:
    """After any change: copy the state to the operators' tenant list, tell listeners."""
    smtp_config_changed.send(sender=SmtpConfig, config=config)
    if config is None:
        transport, health = EmailTransport.PLATFORM_DEFAULT, EmailHealth.UNKNOWN
    else:
        transport = EmailTransport.CUSTOM if config.enabled else EmailTransport.CUSTOM_DISABLED
        health = config.health
    tenant_email_status_set(tenant=tenant_current(), transport=transport, health=health)


def smtp_config_save(*, actor, data: dict, request: HttpRequest | None = None) -> SaveResult:
    """Store the configuration and make it the tenant's active SMTP at once."""
    with transaction.atomic():
        config = SmtpConfig.objects.select_for_update().first()
        created = config is None
        config = config or SmtpConfig()
        before = {name: getattr(config, name) for name in CONFIG_FIELDS}
        credentials_changed = created or any(
            data[name] != before[name] for name in CREDENTIAL_FIELDS
        )
        password = data.get("password") or ""
        if password:
            password_seal(config, password)
            config.password_changed_at = timezone.now()
        elif credentials_changed and data.get("username"):
            # The form asks for it; this guards every other caller.
            raise ValidationError("The password is required when the server or account changes.")
        elif credentials_changed:
            config.password_encrypted = ""
        else:
            password = password_open(config)

        for name in CONFIG_FIELDS:
            # Callers other than the form may leave out the optional fields.
            setattr(config, name, data.get(name, before[name]))
        changed = [name for name in CONFIG_FIELDS if getattr(config, name) != before[name]]
        if data.get("password"):
            changed.append("password")
        if created:
            config.enabled = True
        else:
            config.version += 1
        if credentials_changed or data.get("password"):
            _health_reset(config)  # new server or secret: the old failures say nothing now
        config.updated_by = actor
        config.updated_by_email = actor.email
        config.save()

        tested = SmtpConnectionTest.objects.filter(
            outcome=TestOutcome.PASSED,
            fingerprint=settings_fingerprint(
                host=config.host,
                port=config.port,
                tls_mode=config.tls_mode,
                username=config.username,
                password=password,
                from_address=config.from_address,
            ),
        ).exists()
        audit_record(
            AuditAction.SMTP_CREATED if created else AuditAction.SMTP_UPDATED,
            request=request,
            actor=actor,
            target=AUDIT_TARGET,
            metadata={
                "changed_fields": changed,
                "version": config.version,
                "host": config.host,
                "port": config.port,
                "tls_mode": config.tls_mode,
                "tested": tested,
            },
        )
        _status_sync(config)
    return SaveResult(config=config, created=created, changed_fields=changed, tested=tested)


def _health_reset(config: SmtpConfig) -> None:
    config.health = EmailHealth.UNKNOWN
    config.consecutive_failures = 0
    config.last_failure_reason = ""


def smtp_config_toggle(*, actor, enabled: bool, request: HttpRequest | None = None) -> SmtpConfig:
    """Switch between the tenant's own SMTP and the platform default, from this moment."""
    with transaction.atomic():
        config = SmtpConfig.objects.select_for_update().get()
        if config.enabled == enabled:
            return config
        config.enabled = enabled
        config.version += 1
        if enabled:
            _health_reset(config)  # switched back on: give the server a fresh chance
        config.updated_by = actor
        config.updated_by_email = actor.email
        config.save()
        audit_record(
            AuditAction.SMTP_ENABLED if enabled else AuditAction.SMTP_DISABLED,
            request=request,
            actor=actor,
            target=AUDIT_TARGET,
            metadata={"version": config.version, "host": config.host},
        )
        _status_sync(config)
    return config


def smtp_config_delete(*, actor, request: HttpRequest | None = None) -> bool:
    """Remove the configuration and its secret; email falls back to the platform default."""
    with transaction.atomic():
        config = SmtpConfig.objects.select_for_update().first()
        if config is None:
            return False
        host = config.host
        config.delete()
        audit_record(
            AuditAction.SMTP_DELETED,
            request=request,
            actor=actor,
            target=AUDIT_TARGET,
            metadata={"host": host},
        )
        _status_sync(None)
    return True
