from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.addresses import email_ambiguity_check, email_canonical


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        # Forms refuse such addresses beside the field; this covers commands and services.
        email_ambiguity_check(email)
        user = self.model(email=email_canonical(email), **fields)
        user.set_password(password)  # None leaves an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        # Exact, on the one canonical form: never the database's case-insensitive match.
        return self.get(email=email_canonical(email))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a tenant's user in its schema, or an operator in public."""

    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Operators only: may sign in to the platform's admin site."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiScope(models.TextChoices):
    SMTP_READ = "smtp:read", "Read the Email SMTP settings, tests and deliverability"
    SMTP_WRITE = "smtp:write", "Change, test, switch and remove the Email SMTP settings"
    EMAIL_SEND = "email:send", "Send transactional emails"
    EMAIL_READ = "email:read", "Read sent emails' status (never their content)"
    TEMPLATES_READ = "templates:read", "Read and preview the email templates"
    TEMPLATES_WRITE = "templates:write", "Change and reset the email templates"


class ApiToken(models.Model):
    """A tenant's API token: only its SHA-256 is kept; the token is shown once."""

    name = models.CharField(max_length=100)
    # The token's first characters, shown to tell tokens apart and logged instead of it.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_email = models.EmailField(blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )
