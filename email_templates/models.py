from django.conf import settings
from django.db import models

from email_templates.locales import DEFAULT_LOCALE, LOCALES
from email_templates.sandbox import DEFAULT_BRAND_COLOUR
from mailer.kinds import EmailKind

LOCALE_CHOICES = list(LOCALES.items())
FIELDS = ("subject", "body_text", "body_html")


class TemplateFields(models.Model):
    """A kind's texts in one language; an empty field means "the built-in text"."""

    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    locale = models.CharField(max_length=8, choices=LOCALE_CHOICES)
    subject = models.CharField(max_length=200, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    class Meta:
        abstract = True

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


class EmailTemplate(TemplateFields):
    """The tenant's current texts for a kind and language (the latest version)."""

    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "locale"], name="email_template_kind_locale")
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.locale})"

    @property
    def is_customised(self) -> bool:
        return any(self.fields().values())


class VersionAction(models.TextChoices):
    SAVED = "saved", "Saved"
    REVERTED = "reverted", "Reverted"
    RESET = "reset", "Reset to the built-in text"


class EmailTemplateVersion(TemplateFields):
    """One save: what the texts became, who did it, and which fields changed."""

    number = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=VersionAction.choices)
    reverted_to = models.PositiveIntegerField(null=True, blank=True)
    changed = models.JSONField(default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as it was when they saved: the history still says who after the account is gone.
    actor_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "locale", "number"], name="email_template_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.locale}) version {self.number}"


class EmailBrand(models.Model):
    """One row per tenant: what every email of the tenant uses."""

    default_locale = models.CharField(max_length=8, choices=LOCALE_CHOICES, default=DEFAULT_LOCALE)
    brand_colour = models.CharField(max_length=7, default=DEFAULT_BRAND_COLOUR)
    logo_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Email brand"
