"""Test connection: a synthetic email to the signed-in admin, through the real transport."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from cymmetri.metrics import SMTP_TEST
from cymmetri.throttle import Throttle
from smtp_integration.credentials import secret_for_use, settings_fingerprint, username_is_secret
from smtp_integration.diagnostics import explain, step_detail
from smtp_integration.models import (
    CONFIG_FIELDS,
    AuthMethod,
    SmtpConfig,
    SmtpConnectionTest,
    TestOutcome,
)
from smtp_integration.oauth import OAuthTokenSource
from smtp_integration.selectors import smtp_config_get, smtp_policy
from smtp_integration.transport import (
    ProbeResult,
    SmtpServerConfig,
    Step,
    StepResult,
    build_message,
    probe,
)
from tenants.selectors import tenant_current

TEST_DEADLINE_SECONDS = 20.0
TESTS_PER_WINDOW = 10
# Per admin, taken before the probe starts: concurrent tests cannot slip past it.
TEST_THROTTLE = Throttle(
    "throttle:smtp-test",
    TESTS_PER_WINDOW,
    timedelta(minutes=10),
    f"You have run {TESTS_PER_WINDOW} connection tests in the last 10 minutes. "
    "Try again in {wait}.",
)


@dataclass(frozen=True)
class ShownStep:
    """One step of a test as the page shows it."""

    name: str
    label: str
    ok: bool | None
    code: int | None
    reply: str
    detail: str
    duration_ms: float

    @classmethod
    def of(cls, step: StepResult) -> ShownStep:
        return cls(
            name=step.name,
            label=Step(step.name).label,
            ok=step.ok,
            code=step.code,
            reply=step.reply,
            detail=step_detail(step),
            duration_ms=step.duration_ms,
        )


@dataclass(frozen=True)
class ConnectionTestResult:
    """How a test ended: each step, and what it means for the admin."""

    ok: bool
    steps: list[ShownStep]
    message: str
    reason: str
    duration_ms: float

    @property
    def failed_step(self) -> ShownStep | None:
        return next((step for step in self.steps if step.ok is False), None)


def _result(probed: ProbeResult, *, server: SmtpServerConfig, to: str) -> ConnectionTestResult:
    if probed.ok:
        sent = probed.sent
        where = f"{server.host}:{server.port}"
        message = f"Test email to {to} accepted by {where} ({sent.code} {sent.reply})"
    else:
        message = explain(probed.error)
    return ConnectionTestResult(
        ok=probed.ok,
        steps=[ShownStep.of(step) for step in probed.steps],
        message=message,
        reason=probed.error.reason if probed.error is not None else "",
        duration_ms=probed.duration_ms,
    )


def _server(data: dict, secret: str) -> SmtpServerConfig:
    """The server as typed. An OAuth token is asked for afresh: a test proves the secret."""
    oauth = data.get("auth_method") == AuthMethod.OAUTH2
    unsaved = SmtpConfig(**{name: data[name] for name in CONFIG_FIELDS if name in data})
    return SmtpServerConfig(
        host=data["host"],
        port=data["port"],
        tls_mode=data["tls_mode"],
        username=data.get("username", ""),
        username_is_secret=username_is_secret(data),
        password="" if oauth else secret,
        token_source=OAuthTokenSource(unsaved, secret) if oauth else None,
        local_hostname=settings.PLATFORM_EMAIL_DOMAIN,
    )


def _test_message(*, data: dict, to: str, tenant_name: str):
    sent_at = timezone.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    text = (
        f"This is a test email from {tenant_name}.\n\n"
        f"An administrator pressed “Test connection” on the Email SMTP page at {sent_at}.\n"
        f"It was sent through {data['host']}:{data['port']} ({data['tls_mode']}) "
        f"as {data['from_address']}.\n\n"
        "If it reached your inbox (not the spam folder), this server can deliver your "
        "tenant's email. Nothing else needs to be done with this message.\n"
    )
    return build_message(
        from_address=data["from_address"],
        from_name=data.get("from_name", ""),
        reply_to=data.get("reply_to", ""),
        to=to,
        subject=f"Test email from {tenant_name}",
        text=text,
        headers={"Auto-Submitted": "auto-generated"},
    )


def smtp_connection_test(
    *, actor, data: dict, request: HttpRequest | None = None
) -> ConnectionTestResult:
    """Send a test email with the settings as typed; record and audit the outcome."""
    TEST_THROTTLE.take(str(actor.pk))
    secret = secret_for_use(data, smtp_config_get())
    server = _server(data, secret)
    message = _test_message(data=data, to=actor.email, tenant_name=tenant_current().display_name)
    probed = probe(
        server,
        smtp_policy(),
        from_addr=data["from_address"],
        to_addr=actor.email,
        message=message,
        deadline_s=TEST_DEADLINE_SECONDS,
    )
    result = _result(probed, server=server, to=actor.email)
    outcome = TestOutcome.PASSED if result.ok else TestOutcome.FAILED
    reason = result.reason
    SmtpConnectionTest.objects.create(
        actor=actor,
        actor_email=actor.email,
        host=server.host,
        port=server.port,
        tls_mode=server.tls_mode,
        outcome=outcome,
        reason=reason,
        message=result.message,
        steps=[asdict(step) for step in result.steps],
        fingerprint=settings_fingerprint(data, secret),
    )
    SMTP_TEST.labels(outcome).inc()
    failed = result.failed_step
    audit_record(
        AuditAction.SMTP_TESTED,
        request=request,
        actor=actor,
        target="email_smtp",
        recipient=actor.email,
        metadata={
            "outcome": outcome,
            "reason": reason,
            "host": server.host,
            "port": server.port,
            "tls_mode": server.tls_mode,
            "failed_step": failed.name if failed else "",
            "code": failed.code if failed else None,
            "duration_ms": round(result.duration_ms),
        },
    )
    return result
