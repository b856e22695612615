"""The API's request and response bodies (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

TlsModeName = Literal["starttls", "tls", "none"]
AuthMethodName = Literal["password", "oauth2"]
ProviderName = Literal["microsoft", "google", "generic", ""]
WRITE_ONLY = "Write-only: stored encrypted, never returned."


class ErrorDetail(Schema):
    code: str = Field(..., examples=["secret_required"])
    message: str
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages per field, as the page shows them."
    )


class ErrorOut(Schema):
    error: ErrorDetail


class _SmtpFields(Schema):
    model_config = ConfigDict(extra="forbid")

    tls_mode: TlsModeName | None = None
    username: str | None = None
    password: str | None = Field(None, description=WRITE_ONLY)
    auth_method: AuthMethodName | None = None
    oauth_provider: ProviderName | None = None
    oauth_tenant_id: str | None = Field(None, description="Microsoft: the directory ID.")
    oauth_client_id: str | None = None
    oauth_token_url: str | None = Field(None, description="Generic provider: HTTPS only.")
    oauth_scope: str | None = None
    oauth_secret: str | None = Field(None, description=f"The client secret. {WRITE_ONLY}")
    oauth_key: str | dict[str, Any] | None = Field(
        None, description=f"Google: the service account's JSON key. {WRITE_ONLY}"
    )
    from_name: str | None = None
    reply_to: str | None = None
    max_per_minute: int | None = Field(None, ge=1, le=100_000)
    fallback_to_platform: bool | None = None


class SmtpConfigPut(_SmtpFields):
    """The whole configuration. A secret left out keeps the stored one, unless the server,
    port, TLS mode, username (or OAuth endpoint or client) changes: then it is required."""

    host: str
    port: int = Field(..., ge=1, le=65535)
    from_address: str


class SmtpConfigPatch(_SmtpFields):
    """The fields to change; the others keep their stored values."""

    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    from_address: str | None = None


class SmtpTestIn(SmtpConfigPatch):
    """Empty: test the saved configuration. Otherwise a full unsaved configuration (the same
    rules as PUT), tested without saving it."""

    to: str | None = Field(
        None, description="An administrator of the tenant; the token's creator by default."
    )


class HealthOut(Schema):
    status: str = Field(..., description="unknown, healthy, failing or paused")
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure_reason: str


class StatusOut(Schema):
    label: str
    tone: str = Field(..., description="green, amber, red or grey")
    from_address: str
    detail: str


class TestStepOut(Schema):
    name: str
    label: str
    ok: bool | None = Field(..., description="null: skipped after an earlier failure")
    code: int | None
    reply: str
    detail: str
    duration_ms: float


class TestOut(Schema):
    id: int
    status: Literal["running", "passed", "failed"]
    message: str
    reason: str
    host: str
    port: int
    tls_mode: str
    to: str
    created_at: datetime
    finished_at: datetime | None
    duration_ms: float | None
    steps: list[TestStepOut]


class TestStartedOut(Schema):
    id: int
    status: Literal["running"]
    url: str


class DeliverabilitySummaryOut(Schema):
    overall: str
    domain: str
    checked_at: datetime


class SmtpConfigOut(Schema):
    configured: bool
    route: Literal["custom", "custom_disabled", "platform_default"]
    enabled: bool
    status: StatusOut
    host: str | None = None
    port: int | None = None
    tls_mode: str | None = None
    username: str | None = None
    auth_method: str | None = None
    oauth_provider: str | None = None
    oauth_tenant_id: str | None = None
    oauth_client_id: str | None = None
    oauth_token_url: str | None = None
    oauth_client_email: str | None = None
    oauth_key_id: str | None = None
    oauth_scope: str | None = None
    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    max_per_minute: int | None = None
    fallback_to_platform: bool | None = None
    has_password: bool = False
    has_oauth_secret: bool = False
    version: int | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    health: HealthOut | None = None
    last_test: TestOut | None = None
    deliverability: DeliverabilitySummaryOut | None = None


class DeliverabilityOut(Schema):
    route: Literal["custom", "platform_default"]
    domain: str | None = None
    smtp_host: str | None = None
    overall: str | None = None
    checked_at: datetime | None = None
    records: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per record: its status, what was found, what is expected and the "
        "records to publish.",
    )
    report: dict[str, Any] | None = None


class EmailIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(..., examples=["otp"])
    to: str = Field(..., examples=["user@example.com"])
    context: dict[str, Any] = Field(default_factory=dict, examples=[{"code": "493027"}])
    locale: str | None = Field(
        None,
        examples=["de"],
        description="The recipient's language (en, de, fr, es; a tag like de-AT works). "
        "Without it, or in a language with no translation: the tenant's default language.",
    )


class EmailOut(Schema):
    id: int
    status: str
    kind: str
    to: str
    route: str = Field(..., description="custom or platform_default once sent; empty before")
    smtp_host: str
    attempts: int
    reply_code: int | None
    reply_text: str
    reason: str
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None


class EmailPageOut(Schema):
    emails: list[EmailOut]
    next_cursor: str | None = Field(..., description="Pass as ?cursor= for older emails.")
