from django.db import models
from django.db.models import Q

from mailer.kinds import EmailKind, Priority
from tenants.models import EmailTransport, Tenant


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class WaitReason(models.TextChoices):
    """Why a queued email waits, besides a transient SMTP error (whose Reason is stored)."""

    RATE_LIMITED = "rate_limited", "Waiting for a sending slot"
    SMTP_PAUSED = "smtp_paused", "Held: the tenant's SMTP server is paused"
    RATE_LIMITER_UNAVAILABLE = "rate_limiter_unavailable", "Waiting for the rate limiter"
    BATCH_TIME = "batch_time", "Handed back at the end of a batch"
    LEASE_EXPIRED = "lease_expired", "Recovered from a stopped worker"
    BROKER_UNAVAILABLE = "broker_unavailable", "Waiting for the task queue"


class FailureReason(models.TextChoices):
    """Why an email failed, besides a permanent SMTP error (whose Reason is stored)."""

    EXPIRED = "expired", "Expired before it could be sent"
    INTERNAL_ERROR = "internal_error", "Internal error"


class OutboundEmail(models.Model):
    """One transactional email: the outbox row, written in the caller's transaction.

    One table for every tenant, in the public schema: one claim serves urgent email of any
    tenant first and tenants in turn, and idle tenants cost nothing. Every read for a tenant
    filters by ``tenant`` (mailer.selectors).

    queued → sending (leased by one claim's token) → sent | failed; a retry puts it back to
    queued with next_attempt_at. Its variables (codes, links) are dropped once it is finished.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    to_address = models.EmailField(max_length=254)
    # What the email says is rendered by the worker that sends it, from the caller's variables
    # and the tenant's templates as of the call (their revision). Rendering is off the
    # caller's path, and the row stays small through its three writes (queue, claim, finish).
    context = models.JSONField(default=dict, blank=True)
    templates_revision = models.UUIDField(null=True, blank=True)
    # Bodies rendered when queued: only emails queued by a version that rendered on the
    # caller's side. Kept until no such email can still be queued, then dropped.
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Stable across retries, so a receiver can drop a duplicate of an at-least-once send.
    message_id = models.CharField(max_length=255)
    # The admins' "your SMTP is failing" notice must not depend on the SMTP that fails.
    force_platform_default = models.BooleanField(default=False)
    # The language it was written in, and whether an admin sent it to themselves as a test.
    locale = models.CharField(max_length=8, blank=True)
    is_test = models.BooleanField(default=False)

    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # How often a worker took it: a waiting email is claimed again only when it can go.
    claims = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The claim that holds the email now: only its holder may finish it.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Why a queued email is waiting (rate_limited, smtp_paused, a transient error's reason).
    waiting_for = models.CharField(max_length=40, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # The route that carried the email: a tenant's transport minus "custom, disabled".
    transport = models.CharField(
        max_length=20,
        choices=[
            (t.value, t.label) for t in (EmailTransport.CUSTOM, EmailTransport.PLATFORM_DEFAULT)
        ],
        blank=True,
    )
    fallback = models.BooleanField(default=False)
    smtp_host = models.CharField(max_length=253, blank=True)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reply_text = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The claim: per priority, tenant by tenant, oldest due first.
            models.Index(
                fields=["priority", "tenant", "next_attempt_at"],
                name="mailer_claim",
                condition=Q(status="queued"),
            ),
            # Is anything due at all (the beat tick), and how late is the oldest.
            models.Index(
                fields=["next_attempt_at"], name="mailer_due", condition=Q(status="queued")
            ),
            models.Index(
                fields=["lease_expires_at"], name="mailer_leased", condition=Q(status="sending")
            ),
            # Retention deletes finished emails oldest first, in batches.
            models.Index(
                fields=["finished_at"],
                name="mailer_finished",
                condition=Q(status__in=["sent", "failed"]),
            ),
            # The Activity tab reads a tenant's newest first; its filters scan the same index.
            models.Index(fields=["tenant", "-created_at"], name="mailer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"

    @property
    def status_label(self) -> str:
        """The status as people read it: a queued email held by a paused SMTP is "Paused"."""
        if self.status == EmailStatus.QUEUED and self.waiting_for == WaitReason.SMTP_PAUSED:
            return "Paused"
        return self.get_status_display()
