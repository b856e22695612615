"""Writes for the tenant's Email SMTP integration: save, toggle, delete."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from audit.models import AuditAction
from audit.services import actor_user, audit_record
from cymmetri.crypto import DecryptionError
from smtp_integration.credentials import (
    binding_changes,
    secret_for_use,
    secret_kind,
    secret_label,
    secret_needed,
    settings_fingerprint,
    stored_values,
    username_is_secret,
)
from smtp_integration.models import (
    CONFIG_FIELDS,
    OAUTH_FIELDS,
    AuthMethod,
    SmtpConfig,
    SmtpConnectionTest,
    TestOutcome,
)
from smtp_integration.secrets import SEALED, secret_open, secret_seal, username_store
from smtp_integration.selectors import smtp_settings_test
from smtp_integration.signals import smtp_config_changed
from tenants.models import DeliverabilityStatus, EmailHealth, EmailTransport
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set

AUDIT_TARGET = "email_smtp"


@dataclass(frozen=True)
class SaveResult:
    config: SmtpConfig
    created: bool
    changed_fields: list[str]
    tested: bool  # these very settings passed Test connection
    last_test: SmtpConnectionTest | None  # the latest test of these very settings


def _status_sync(config: SmtpConfig | None) -> None:
    """After any change: copy the state to the operators' tenant list, tell listeners."""
    smtp_config_changed.send(sender=SmtpConfig, config=config)
    if config is None:
        transport, health = EmailTransport.PLATFORM_DEFAULT, EmailHealth.UNKNOWN
    else:
        transport = EmailTransport.CUSTOM if config.enabled else EmailTransport.CUSTOM_DISABLED
        health = config.health
    # The From domain is checked only while the tenant's own SMTP sends: otherwise the last
    # result says nothing any more (the daily check would clear it too, up to a day later).
    deliverability = None if transport == EmailTransport.CUSTOM else DeliverabilityStatus.UNKNOWN
    tenant_email_status_set(
        tenant=tenant_current(), transport=transport, health=health, deliverability=deliverability
    )


def smtp_config_save(*, actor, data: dict, request: HttpRequest | None = None) -> SaveResult:
    """Store the configuration and make it the tenant's active SMTP at once."""
    with transaction.atomic():
        config = SmtpConfig.objects.select_for_update().first()
        created = config is None
        config = config or SmtpConfig()
        before = stored_values(config)
        # Callers other than the form may leave out fields: those keep their stored values.
        data = _normalised(
            {name: data.get(name, before[name]) for name in CONFIG_FIELDS}
            | {name: data.get(name) or "" for name in SEALED}
        )
        kind = secret_kind(data)
        secret = secret_for_use(data, None if created else config)
        rebound = bool(binding_changes(data, None if created else config))
        if not secret and secret_needed(data):
            # The form asks for it; this guards every other caller.
            raise ValidationError(
                f"The {secret_label(data)} is required when the server or account changes.",
                code="secret_required",
            )
        if data[kind.name] and not rebound and _same_secret(config, kind.name, data[kind.name]):
            data[kind.name] = ""  # typed again as stored (a tool sending the whole config)
        before_sealed = {name: getattr(config, column) for name, column in SEALED.items()}
        for name in SEALED:
            # Only the secret of the chosen method is kept; the other is dropped.
            typed = data[name] if name == kind.name else ""
            if typed:
                secret_seal(config, name, typed)
            elif name != kind.name or rebound:
                secret_seal(config, name, "")
        if data[kind.name]:
            config.secret_changed_at = timezone.now()

        for name in CONFIG_FIELDS:
            setattr(config, name, data[name])
        username_store(config, data["username"], secret=username_is_secret(data))
        changed = [name for name in CONFIG_FIELDS if data[name] != before[name]]
        changed += [
            name
            for name, column in SEALED.items()
            if data[name] or getattr(config, column) != before_sealed[name]
        ]
        if not created and not changed:
            # The same settings again (a PUT repeated by a tool): nothing to store or audit.
            last_test = smtp_settings_test(config)
            return SaveResult(
                config=config,
                created=False,
                changed_fields=[],
                tested=last_test is not None and last_test.outcome == TestOutcome.PASSED,
                last_test=last_test,
            )
        if created:
            config.enabled = True
        else:
            config.version += 1
        if rebound or data[kind.name]:
            # New server or secret: what the old one did says nothing about it.
            _health_reset(config)
            config.last_success_at = config.last_failure_at = None
        config.settings_digest = settings_fingerprint(data, secret)
        config.updated_by = actor_user(actor)
        config.updated_by_email = actor.email
        config.save()

        last_test = smtp_settings_test(config)
        tested = last_test is not None and last_test.outcome == TestOutcome.PASSED
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
                "auth_method": config.auth_method,
                "tested": tested,
            },
        )
        _status_sync(config)
    return SaveResult(
        config=config, created=created, changed_fields=changed, tested=tested, last_test=last_test
    )


def _same_secret(config: SmtpConfig, name: str, typed: str) -> bool:
    """Whether ``typed`` is the secret already stored (compared in constant time)."""
    if not getattr(config, SEALED[name]):
        return False
    try:
        stored = secret_open(config, name)
    except DecryptionError:
        return False
    return constant_time_compare(stored, typed)


def _normalised(data: dict) -> dict:
    """A password configuration carries no OAuth settings."""
    if data["auth_method"] == AuthMethod.OAUTH2:
        return data
    return {**data, **dict.fromkeys(OAUTH_FIELDS, "")}


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
        config.updated_by = actor_user(actor)
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
