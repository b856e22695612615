import uuid

from django.conf import settings
from django.db import models

from smtp_integration.transport import TlsMode
from tenants.models import EmailHealth

# The integration's pages (configuration, deliverability, activity, previews) need it.
CHANGE_PERMISSION = "smtp_integration.change_smtpconfig"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "Password or API key"
    OAUTH2 = "oauth2", "OAuth 2.0"


class OAuthProvider(models.TextChoices):
    MICROSOFT = "microsoft", "Microsoft 365"
    GOOGLE = "google", "Google Workspace"
    GENERIC = "generic", "Another provider (client credentials)"


# Changing any of these points the password at another account or server: ask for it again.
CREDENTIAL_FIELDS = ("host", "port", "tls_mode", "username")
# The OAuth secret (a client secret or a private key) is sent to the token endpoint these name,
# and the token it gets to the SMTP server: changing any of them asks for it again.
OAUTH_BINDING_FIELDS = (
    *CREDENTIAL_FIELDS,
    "oauth_provider",
    "oauth_tenant_id",
    "oauth_token_url",
    "oauth_client_id",
    "oauth_client_email",
    "oauth_key_id",
)
OAUTH_FIELDS = (*OAUTH_BINDING_FIELDS[len(CREDENTIAL_FIELDS) :], "oauth_scope")
# Every stored field an admin edits (the secrets are handled on their own).
CONFIG_FIELDS = (
    *CREDENTIAL_FIELDS,
    "auth_method",
    *OAUTH_FIELDS,
    "from_address",
    "from_name",
    "reply_to",
    "max_per_minute",
    "fallback_to_platform",
)


class SmtpConfig(models.Model):
    """The tenant's own SMTP server: at most one per tenant schema."""

    # One row per schema; the constant column carries the unique constraint.
    slot = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    # Bound into the password's ciphertext: a token copied to another row does not open.
    secret_id = models.UUIDField(default=uuid.uuid4, editable=False)

    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField()
    tls_mode = models.CharField(
        max_length=10, choices=TlsMode.choices, default=TlsMode.STARTTLS.value
    )
    # Where the provider's username is itself a credential (Postmark's API token), it is
    # sealed in username_encrypted and this holds only its mask ("••••a1b2").
    username = models.CharField(max_length=254, blank=True)
    username_encrypted = models.TextField(blank=True)
    auth_method = models.CharField(
        max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD.value
    )
    password_encrypted = models.TextField(blank=True)
    # OAuth 2.0: which kind of token endpoint, and what identifies the client there. The
    # secret (a client secret, or a service account's private key) is sealed like the password.
    oauth_provider = models.CharField(max_length=10, choices=OAuthProvider.choices, blank=True)
    oauth_tenant_id = models.CharField("directory (tenant) ID", max_length=100, blank=True)
    oauth_token_url = models.URLField("token URL", max_length=500, blank=True)
    oauth_client_id = models.CharField("client ID", max_length=255, blank=True)
    oauth_client_email = models.EmailField("service account", max_length=254, blank=True)
    oauth_key_id = models.CharField("key ID", max_length=100, blank=True)
    oauth_scope = models.CharField("scope", max_length=500, blank=True)
    oauth_secret_encrypted = models.TextField(blank=True)
    from_address = models.EmailField(max_length=254)
    from_name = models.CharField(max_length=100, blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    # Sends per minute this tenant's provider plan allows; empty for no cap.
    max_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Opt-in: if this SMTP fails, sign-in and recovery emails go through the platform default.
    fallback_to_platform = models.BooleanField(default=False)

    enabled = models.BooleanField(default=True)
    # Rises on every change; pooled connections are keyed by it, so a Save is a cutover.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by_email = models.EmailField(blank=True)
    # When the secret in use (password, client secret or key) was last entered.
    secret_changed_at = models.DateTimeField(null=True, blank=True)
    # The keyed digest of the saved settings, secret included (credentials.settings_fingerprint):
    # the connection tests with the same digest are tests of exactly these settings.
    settings_digest = models.CharField(max_length=64, blank=True)

    health = models.CharField(
        max_length=10, choices=EmailHealth.choices, default=EmailHealth.UNKNOWN
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_reason = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "SMTP configuration"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def health_text(self) -> str:
        """The health as the status card says it: "Not used yet" only if it never was."""
        if self.health == EmailHealth.UNKNOWN and self.last_success_at:
            return "Waiting for the next email"
        return self.get_health_display()

    @property
    def username_sealed(self) -> bool:
        return bool(self.username_encrypted)

    @property
    def has_oauth_secret(self) -> bool:
        return bool(self.oauth_secret_encrypted)

    @property
    def uses_oauth(self) -> bool:
        return self.auth_method == AuthMethod.OAUTH2


class TestOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class SmtpConnectionTest(models.Model):
    """One "Test connection" run: what was tried, by whom, and how it ended."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField()
    # Who the audit event names: a user's id, or the API token that asked for the test.
    actor_ref = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Where the test email goes (an admin of the tenant); empty on tests from before it was
    # chosen, which went to the actor.
    recipient = models.EmailField(blank=True)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField()
    tls_mode = models.CharField(max_length=10, choices=TlsMode.choices)
    outcome = models.CharField(max_length=10, choices=TestOutcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    # The settings to test, secret included, sealed for the worker that runs the test and
    # emptied as soon as it has read them: the secret is never in the broker or in clear.
    sealed_request = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    # A keyed digest of the settings tested, password included, to tell whether the saved
    # configuration is the one that passed. It reveals nothing about the password.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="smtp_test_actor_recent")]

    def __str__(self) -> str:
        return f"{self.host}:{self.port} {self.outcome}"
