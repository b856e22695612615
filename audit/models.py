from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone


class AuditAction(models.TextChoices):
    """Known actions. The column is open: new actions need no migration."""

    EMAIL_SENT = "email.sent", "Email sent"
    EMAIL_SEND_FAILED = "email.send_failed", "Email send failed"
    SMTP_CREATED = "admin.integration_email_smtp_created", "Email SMTP created"
    SMTP_UPDATED = "admin.integration_email_smtp_updated", "Email SMTP updated"
    SMTP_DELETED = "admin.integration_email_smtp_deleted", "Email SMTP deleted"
    SMTP_ENABLED = "admin.integration_email_smtp_enabled", "Email SMTP enabled"
    SMTP_DISABLED = "admin.integration_email_smtp_disabled", "Email SMTP disabled"
    SMTP_TESTED = "admin.integration_email_smtp_tested", "Email SMTP tested"
    DELIVERABILITY_DEGRADED = "deliverability.degraded", "Deliverability turned red"
    TENANT_CREATED = "tenant.created", "Tenant created"
    ADMIN_INVITED = "admin.user_invited", "Administrator invited"
    ADMIN_INVITATION_RESENT = "admin.user_invitation_resent", "Administrator invitation resent"
    ADMIN_INVITATION_REVOKED = "admin.user_invitation_revoked", "Administrator invitation revoked"
    ADMIN_DEACTIVATED = "admin.user_deactivated", "Administrator deactivated"
    EMAIL_CHANGED = "account.email_changed", "Email address changed"
    AUDIT_ARCHIVED = "audit.archived", "Audit events archived and deleted"
    SIGN_IN_FAILED = "account.sign_in_failed", "Sign-in failed"
    SIGN_IN_THROTTLED = "account.sign_in_throttled", "Sign-in paused after repeated failures"
    EMAIL_TEMPLATE_UPDATED = "admin.email_template_updated", "Email template updated"
    EMAIL_BRAND_UPDATED = "admin.email_brand_updated", "Email brand and language updated"
    EMAIL_TEMPLATE_TEST_SENT = "admin.email_template_test_sent", "Test email sent to oneself"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    API_EMAIL_REQUESTED = "api.email_requested", "Email requested through the API"


def _search_index(field: str) -> GinIndex:
    # The admin's search is UPPER(col) LIKE UPPER('%term%'): a trigram index on that
    # expression serves it without scanning the table.
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"audit_{field[:12]}_trgm")


class AuditEvent(models.Model):
    """One thing that happened. Append-only: the database refuses UPDATE and DELETE."""

    created_at = models.DateTimeField(default=timezone.now)
    # Events outlive their tenant, so no database constraint ties them to the row.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # No choices on the column: a new action needs no migration. AuditAction labels it.
    action = models.CharField(max_length=80)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    target = models.CharField(max_length=255, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="audit_created"),
            models.Index(fields=["action", "-created_at"], name="audit_action_created"),
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created"),
            _search_index("recipient"),
            _search_index("actor_email"),
            # Targets are identifiers (email_smtp, outbound_email:42): searched exactly.
            models.Index(fields=["target"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target or self.recipient}".strip()

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


class AuditArchive(models.Model):
    """One archive of old audit events, written by ``manage.py audit_archive``.

    The database lets audit events be deleted only in the transaction that inserts this row
    (its ``txid``), and only those older than its ``cutoff`` up to ``last_event_id``: no
    other code can delete them. Append-only too.
    """

    created_at = models.DateTimeField(default=timezone.now)
    cutoff = models.DateTimeField()
    last_event_id = models.BigIntegerField()
    events = models.PositiveBigIntegerField()
    file_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    txid = models.BigIntegerField(
        unique=True,
        db_default=models.Func(function="txid_current", output_field=models.BigIntegerField()),
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.events} events before {self.cutoff:%Y-%m-%d} in {self.file_name}"
