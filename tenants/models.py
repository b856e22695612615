from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

# Hyphens are allowed (production-cymmetri); hand-written SQL must quote schema names.
schema_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_-]{1,61}[a-z0-9]$",
    "Use 3-63 lower-case letters, digits, '-' or '_', starting with a letter.",
)


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# A tenant's email state, named once: the apps that own it (smtp_integration, deliverability,
# mailer) use these, and the tenant's public row keeps a copy for the operators' list.


class EmailTransport(models.TextChoices):
    """Which SMTP a tenant's email (or one email) goes through."""

    PLATFORM_DEFAULT = "platform_default", "Platform default"
    CUSTOM = "custom", "Custom SMTP"
    CUSTOM_DISABLED = "custom_disabled", "Custom SMTP, disabled"


class EmailHealth(models.TextChoices):
    """The custom SMTP's health, learnt from real sends."""

    UNKNOWN = "unknown", "Not used yet"
    OK = "ok", "Healthy"
    FAILING = "failing", "Failing"
    PAUSED = "paused", "Paused"  # the reason is the config's last_failure_reason


class DeliverabilityStatus(models.TextChoices):
    """The overall colour of a deliverability check of the From domain."""

    PASS = "pass", "Ready"
    WARNING = "warning", "Ready, with warnings"
    FAIL = "fail", "Action needed"
    UNKNOWN = "unknown", "Could not check"


class Tenant(TenantMixin):
    """One isolated environment of an organisation, with its own schema and users."""

    # Null only for the public tenant, which belongs to the platform itself.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="tenants"
    )
    display_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # A copy of the tenant's email state for operators, so the tenant list needs no
    # query per schema. The tenant's own schema stays the source of truth.
    email_transport = models.CharField(
        max_length=20, choices=EmailTransport.choices, default=EmailTransport.PLATFORM_DEFAULT
    )
    email_health = models.CharField(
        max_length=10, choices=EmailHealth.choices, default=EmailHealth.UNKNOWN
    )
    email_deliverability = models.CharField(
        max_length=10, choices=DeliverabilityStatus.choices, default=DeliverabilityStatus.UNKNOWN
    )
    # A new value on every change of the tenant's email templates or brand: compiled templates
    # are cached per process under it, so nothing is read or parsed per email until it changes
    # (and a rolled-back change never comes back under a number already used). None: never
    # customised.
    email_templates_revision = models.UUIDField(null=True, blank=True, editable=False)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return self.display_name or self.schema_name

    @property
    def primary_domain(self) -> str:
        domain = self.domains.filter(is_primary=True).values_list("domain", flat=True).first()
        return domain or ""


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
