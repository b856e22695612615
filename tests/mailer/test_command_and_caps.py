"""The send_email command, and the per-minute cap a tenant sets for its own SMTP."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from mailer import send_email
from mailer.models import OutboundEmail
from smtp_integration.models import SmtpConfig
from tests.mailer.helpers import email_text
from tests.support import wait_for


def test_the_command_queues_an_email(in_tenant_a, capsys):
    call_command(
        "send_email",
        tenant="production-cymmetri",
        kind="otp",
        to="a@example.com",
        context='{"code": "123456"}',
    )
    out = capsys.readouterr().out
    email = OutboundEmail.objects.get()
    assert f"Queued otp email {email.pk} to a@example.com" in out
    assert (email.kind, email.status) == ("otp", "queued")
    assert "123456" in email_text(email)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tenant": "nobody"}, "No tenant with schema 'nobody'"),
        ({"tenant": "public"}, "No tenant with schema 'public'"),
        ({"context": "{not json"}, "not valid JSON"),
        ({"context": "{}"}, "missing: code"),
        ({"to": "nope"}, "not a valid email address"),
    ],
)
def test_the_command_says_what_is_wrong(in_tenant_a, options, message):
    arguments = {
        "tenant": "production-cymmetri",
        "kind": "otp",
        "to": "a@example.com",
        "context": '{"code": "1"}',
        **options,
    }
    with pytest.raises(CommandError, match=message):
        call_command("send_email", **arguments)


def test_a_per_minute_cap_on_the_tenants_smtp(
    mailer_tenant, configure_smtp, tenant_smtp, use_celery_worker
):
    server = tenant_smtp[0]
    config = configure_smtp(server)
    SmtpConfig.objects.filter(pk=config.pk).update(max_per_minute=3)
    emails = []
    for n in range(5):
        with transaction.atomic():
            emails.append(
                send_email(
                    "verification",
                    to=f"user{n}@example.com",
                    context={"verify_url": f"https://production.localhost/verify/{n}"},
                )
            )
    rows = OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])

    def settled():
        states = sorted(rows.values_list("status", "waiting_for"))
        return states if states == [("queued", "rate_limited")] * 2 + [("sent", "")] * 3 else None

    wait_for(
        settled,
        message="the cap did not hold",
        describe=lambda: list(rows.values_list("status", "waiting_for")),
    )
    assert len(server.messages) == 3
