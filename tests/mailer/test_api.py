"""send_email(): what it checks, what it writes, and what the seven kinds look like."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from mailer import send_email
from mailer.content import email_content
from mailer.exceptions import InvalidContext, InvalidRecipient, UnknownKind
from mailer.kinds import KINDS
from mailer.models import EmailStatus, OutboundEmail
from tests.mailer.helpers import SAMPLE_CONTEXT


def test_every_kind_has_a_sample():
    assert set(SAMPLE_CONTEXT) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_send_email_writes_a_queued_row_with_the_kinds_expiry(in_tenant_a, kind):
    before = timezone.now()
    email = send_email(kind, to="user@example.com", context=SAMPLE_CONTEXT[kind])
    assert email.status == EmailStatus.QUEUED
    assert email.kind == kind
    lifetime = email.expires_at - email.created_at
    assert abs(lifetime - KINDS[kind].lifetime) < timedelta(seconds=1)
    assert email.next_attempt_at >= before
    assert email.message_id.startswith("<") and email.message_id.endswith("@mail.cymmetri.test>")
    content = email_content(email)
    assert "Cymmetri Production" in content.text + content.subject
    for value in SAMPLE_CONTEXT[kind].values():
        assert value.split("\n")[0] in content.text
        assert value.split("\n")[0] in content.html


@pytest.mark.parametrize(
    ("kind", "to", "context", "error", "message"),
    [
        ("sms", "a@example.com", {}, UnknownKind, "Unknown email kind 'sms'; use one of"),
        ("otp", "not-an-address", {"code": "1"}, InvalidRecipient, "not a valid email"),
        (
            "otp",
            "a@example.com\r\nBcc: b@example.com",
            {"code": "1"},
            InvalidRecipient,
            "is not an email address",
        ),
        ("otp", "a@example.com", {}, InvalidContext, "needs code in its context; missing: code"),
        ("notification", "a@example.com", {"title": "x"}, InvalidContext, "missing: message"),
        (
            "recovery",
            "a@example.com",
            {"reset_url": "javascript:alert(1)"},
            InvalidContext,
            "must be an http(s) URL",
        ),
        ("otp", "a@example.com", {"code": "1\r\n2"}, InvalidContext, "control characters"),
        (
            "email_change",
            "a@example.com",
            {"confirm_url": "https://x.test/c", "new_email": "nope"},
            InvalidRecipient,
            "nope",
        ),
    ],
)
def test_bad_requests_are_refused_with_a_clear_error(
    in_tenant_a, kind, to, context, error, message
):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        send_email(kind, to=to, context=context)
    assert not OutboundEmail.objects.exists()


def test_html_is_escaped_and_plain_text_is_not(in_tenant_a):
    email = send_email(
        "notification",
        to="user@example.com",
        context={"title": "Tom & Jerry <script>", "message": "1 < 2 & 3 > 2"},
    )
    content = email_content(email)
    assert "Tom &amp; Jerry &lt;script&gt;" in content.html
    assert "<script>" not in content.html
    assert "Tom & Jerry <script>" in content.text
    assert content.subject == "[Cymmetri Production] Tom & Jerry <script>"
    # The layout around it is rendered once per language and brand; the subject is escaped.
    assert "<title>[Cymmetri Production] Tom &amp; Jerry &lt;script&gt;</title>" in content.html


def test_the_row_belongs_to_the_callers_transaction(in_tenant_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_email("otp", to="user@example.com", context={"code": "111111"})
        raise RuntimeError("the caller's work failed")
    assert not OutboundEmail.objects.exists()


def test_an_explicit_tenant_works_from_the_public_schema(db, tenant_b):
    connection.set_schema_to_public()
    email = send_email("otp", to="user@example.com", context={"code": "222222"}, tenant=tenant_b)
    assert connection.schema_name == "public"
    from django_tenants.utils import schema_context

    with schema_context(tenant_b.schema_name):
        stored = OutboundEmail.objects.get(pk=email.pk)
    assert "Cymmetri Staging" in email_content(stored).subject


def test_outside_a_tenant_without_tenant_is_an_error(db):
    from mailer.services import NoTenant

    connection.set_schema_to_public()
    with pytest.raises(NoTenant, match="needs a tenant"):
        send_email("otp", to="user@example.com", context={"code": "333333"})
