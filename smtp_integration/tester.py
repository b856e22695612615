"""Test connection: a synthetic email to the signed-in admin, through the real transport."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import Actor, audit_record
from cymmetri.crypto import DecryptionError
from cymmetri.metrics import SMTP_TEST
from cymmetri.throttle import Throttle
from smtp_integration.credentials import (
    secret_for_use,
    secret_kind,
    secret_label,
    secret_needed,
    settings_fingerprint,
    stored_values,
    username_is_secret,
)
from smtp_integration.diagnostics import explain, step_detail
from smtp_integration.models import (
    CONFIG_FIELDS,
    AuthMethod,
    SmtpConfig,
    SmtpConnectionTest,
    TestOutcome,
)
from smtp_integration.oauth import OAuthTokenSource
from smtp_integration.secrets import test_request_open, test_request_seal
from smtp_integration.selectors import smtp_config_get, smtp_policy, smtp_test_recipients
from smtp_integration.tasks import connection_test_run_task
from smtp_integration.transport import (
    ProbeResult,
    SmtpServerConfig,
    Step,
    StepResult,
    build_message,
    probe,
)
from tenants.selectors import tenant_current

logger = logging.getLogger(__name__)

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


def smtp_connection_test_start(
    *, actor, data: dict | None = None, to: str = "", request: HttpRequest | None = None
) -> SmtpConnectionTest:
    """Queue a connection test of ``data`` (None: the saved configuration) to ``to`` (an
    admin of the tenant; the actor by default) on the probe queue; poll it with
    selectors.smtp_connection_test_get. A slot of the actor's limit is taken first,
    atomically in Redis, so that concurrent requests cannot run more tests than it allows."""
    with transaction.atomic():
        test = _test_create(actor=actor, data=data, to=to, request=request)
        transaction.on_commit(lambda: connection_test_run_task.delay(test.pk))
    return test


def _test_create(*, actor, data: dict | None, to: str, request: HttpRequest | None):
    user = getattr(actor, "user", actor)  # an API token acts for the admin who made it
    to = (to or user.email).strip().lower()
    if to not in smtp_test_recipients():
        raise ValidationError(
            {
                "to": ValidationError(
                    "Test emails go only to an administrator of this tenant.",
                    code="recipient_not_admin",
                )
            }
        )
    config = smtp_config_get()
    if data is None:
        if config is None:
            raise ValidationError(
                "There is no saved SMTP configuration to test; send one to test it unsaved.",
                code="not_configured",
            )
        data = stored_values(config)  # a username that is a token opened, not its mask
    secret = secret_for_use(data, config)  # DecryptionError: the stored secret is unreadable
    data = {name: data[name] for name in CONFIG_FIELDS if name in data}
    if not secret and secret_needed(data):
        # The form says so in its words; this guards every other caller.
        message = f"Enter the {secret_label(data)} for these settings."
        raise ValidationError(
            {secret_kind(data).name: ValidationError(message, code="secret_required")}
        )
    TEST_THROTTLE.take(str(user.pk))
    test = SmtpConnectionTest.objects.create(
        actor=user,
        actor_email=user.email,
        actor_ref=str(actor.pk),
        ip=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
        recipient=to,
        host=data["host"],
        port=data["port"],
        tls_mode=data["tls_mode"],
        outcome=TestOutcome.RUNNING,
        fingerprint=settings_fingerprint(data, secret),
    )
    test_request_seal(test, {"data": data, "secret": secret})
    test.save(update_fields=["sealed_request"])
    return test


def connection_test_run(*, test_id: int) -> SmtpConnectionTest | None:
    """Run a queued test, storing each step on its row as it ends; then the outcome and one
    audit event. A test already run (a redelivered task) is left as it is."""
    with transaction.atomic():
        test = (
            SmtpConnectionTest.objects.select_for_update()
            .filter(pk=test_id, outcome=TestOutcome.RUNNING)
            .first()
        )
        if test is None:
            return None
        sealed, test.sealed_request = test.sealed_request, ""
        test.save(update_fields=["sealed_request"])  # read once: a rerun finds nothing
    try:
        test.sealed_request = sealed
        request = test_request_open(test) if sealed else None
    except DecryptionError:
        request = None
    finally:
        test.sealed_request = ""
    if request is None:
        return _finish(test, None, "The test was interrupted before it ran; run it again.")
    data, secret = request["data"], request["secret"]
    server = _server(data, secret)
    message = _test_message(data=data, to=test.recipient, tenant_name=tenant_current().display_name)
    shown: list[dict] = []

    def on_step(step: StepResult) -> None:
        shown.append(asdict(ShownStep.of(step)))
        SmtpConnectionTest.objects.filter(pk=test.pk).update(steps=shown)

    try:
        probed = probe(
            server,
            smtp_policy(),
            from_addr=data["from_address"],
            to_addr=test.recipient,
            message=message,
            deadline_s=TEST_DEADLINE_SECONDS,
            on_step=on_step,
        )
    except Exception:
        logger.exception("Connection test %s failed with an internal error", test.pk)
        return _finish(test, None, "The test stopped on an internal error; run it again.")
    return _finish(test, _result(probed, server=server, to=test.recipient))


def _finish(
    test: SmtpConnectionTest, result: ConnectionTestResult | None, message: str = ""
) -> SmtpConnectionTest:
    test.outcome = TestOutcome.PASSED if result and result.ok else TestOutcome.FAILED
    test.reason = result.reason if result else "interrupted"
    test.message = result.message if result else message
    test.steps = [asdict(step) for step in result.steps] if result else test.steps
    test.duration_ms = result.duration_ms if result else None
    test.finished_at = timezone.now()
    test.save(update_fields=["outcome", "reason", "message", "steps", "duration_ms", "finished_at"])
    SMTP_TEST.labels(test.outcome).inc()
    failed = result.failed_step if result else None
    audit_record(
        AuditAction.SMTP_TESTED,
        actor=Actor(pk=test.actor_ref or str(test.actor_id or ""), email=test.actor_email),
        ip=test.ip,
        target="email_smtp",
        recipient=test.recipient,
        metadata={
            "test_id": test.pk,
            "outcome": test.outcome,
            "reason": test.reason,
            "host": test.host,
            "port": test.port,
            "tls_mode": test.tls_mode,
            "failed_step": failed.name if failed else "",
            "code": failed.code if failed else None,
            "duration_ms": round(test.duration_ms or 0),
        },
    )
    return test


def smtp_connection_test(
    *, actor, data: dict, request: HttpRequest | None = None
) -> ConnectionTestResult:
    """Test ``data`` now, in this process (the page's form post without scripts)."""
    test = _test_create(actor=actor, data=data, to="", request=request)
    test = connection_test_run(test_id=test.pk)
    return ConnectionTestResult(
        ok=test.outcome == TestOutcome.PASSED,
        steps=[ShownStep(**step) for step in test.steps],
        message=test.message,
        reason=test.reason,
        duration_ms=test.duration_ms or 0.0,
    )
