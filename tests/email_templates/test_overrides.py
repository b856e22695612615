"""A tenant's own texts reach its users' emails, field by field, in the users' languages, and
fall back (its default language, then the built-in text) wherever it has none."""

import uuid

import pytest

from email_templates.models import EmailTemplate
from email_templates.services import (
    TemplateInvalid,
    email_brand_save,
    email_template_reset,
    email_template_revert,
    email_template_save,
)
from mailer import send_email
from mailer.content import email_content
from mailer.exceptions import InvalidLocale

BRAND = {"default_locale": "en", "brand_colour": "#3346d3", "logo_url": ""}


@pytest.fixture
def save(admin_a, in_tenant_a):
    def save(kind="otp", locale="en", **fields):
        return email_template_save(
            actor=admin_a, tenant=in_tenant_a, kind=kind, locale=locale, fields=fields
        )

    return save


def otp(tenant, locale=None):
    """What the user receives: subject, text and html."""
    email = send_email("otp", to="user@example.com", context={"code": "731904"}, tenant=tenant,
                       locale=locale)  # fmt: skip
    return email_content(email)


def test_a_subject_override_is_used_and_the_bodies_keep_the_built_in_text(save, in_tenant_a):
    save(locale="de", subject="Ihr Code für Acme: {{ code }}")

    email = otp(in_tenant_a, "de")

    assert email.subject == "Ihr Code für Acme: 731904"
    assert "Geben Sie diesen Code ein" in email.text
    assert email.locale == "de"


def test_the_chain_recipient_language_then_tenant_default_then_built_in(save, admin_a, in_tenant_a):
    email_brand_save(actor=admin_a, tenant=in_tenant_a, data={**BRAND, "default_locale": "fr"})
    save(locale="fr", subject="FR {{ code }}", body_text="Code FR : {{ code }}")
    save(locale="de", subject="DE {{ code }}")

    german, spanish, default = otp(in_tenant_a, "de"), otp(in_tenant_a, "es"), otp(in_tenant_a)

    # German: its own subject; no German text body, so the default language's.
    assert german.subject == "DE 731904"
    assert german.text == "Code FR : 731904\n"
    # HTML: nobody wrote one, so the built-in text in the recipient's language.
    assert "Geben Sie diesen Code ein" in german.html
    assert spanish.subject == "FR 731904"
    assert "Introduce este código" in spanish.html
    assert default.subject == "FR 731904"
    assert default.locale == "fr"


def test_without_a_language_the_tenants_default_is_used_then_english(admin_a, in_tenant_a):
    assert otp(in_tenant_a).locale == "en"
    email_brand_save(actor=admin_a, tenant=in_tenant_a, data={**BRAND, "default_locale": "es"})

    email = otp(in_tenant_a, "pt-BR")

    assert email.locale == "es"
    assert email.subject == "731904 es tu código para iniciar sesión en Cymmetri Production"


def test_a_malformed_language_is_a_clear_error(in_tenant_a):
    with pytest.raises(InvalidLocale, match="not a language tag"):
        otp(in_tenant_a, "de<script>")


def test_html_override_sits_inside_the_layout_with_brand_and_logo(save, admin_a, in_tenant_a):
    logo = "https://acme.test/logo.png"
    email_brand_save(
        actor=admin_a,
        tenant=in_tenant_a,
        data={**BRAND, "brand_colour": "#0a6640", "logo_url": logo},
    )
    save(body_html='<h1>Hi</h1><p>Code: <b>{{ code }}</b></p><p style="color:#333">Bye</p>')

    html = otp(in_tenant_a).html

    assert "<p>Code: <b>731904</b></p>" in html
    assert f'<img src="{logo}"' in html
    assert "border-top:4px solid #0a6640" in html
    assert "prefers-color-scheme: dark" in html
    assert "This email was sent by Cymmetri Production" in html


def test_a_saved_template_that_loses_its_code_at_send_time_falls_back(in_tenant_a):
    # Written around validation (as an old row might be): the code only when a role is set.
    EmailTemplate.objects.create(
        kind="otp", locale="en", body_text="{% if code == '1' %}{{ code }}{% endif %}Hello"
    )
    in_tenant_a.email_templates_revision = uuid.uuid4()

    email = otp(in_tenant_a)

    assert "731904" in email.text
    assert "Enter this code" in email.text


def test_a_change_is_used_by_the_very_next_email(save, in_tenant_a):
    save(subject="First {{ code }}")
    assert otp(in_tenant_a).subject == "First 731904"

    save(subject="Second {{ code }}")

    assert otp(in_tenant_a).subject == "Second 731904"


def test_each_save_is_a_version_that_can_be_reverted_and_reset(save, admin_a, in_tenant_a):
    from audit.models import AuditEvent

    first = save(subject="First {{ code }}")
    second = save(subject="Second {{ code }}", body_text="Second {{ code }}")
    assert save(subject="Second {{ code }}", body_text="Second {{ code }}") is None

    reverted = email_template_revert(
        actor=admin_a, tenant=in_tenant_a, kind="otp", locale="en", number=first.number
    )
    assert otp(in_tenant_a).subject == "First 731904"
    reset = email_template_reset(actor=admin_a, tenant=in_tenant_a, kind="otp", locale="en")

    assert otp(in_tenant_a).subject == "731904 is your Cymmetri Production sign-in code"
    assert [first.number, second.number, reverted.number, reset.number] == [1, 2, 3, 4]
    assert second.changed == ["subject", "body_text"]
    assert reverted.reverted_to == 1
    events = AuditEvent.objects.filter(action="admin.email_template_updated").order_by("id")
    assert [e.metadata["action"] for e in events] == ["saved", "saved", "reverted", "reset"]
    assert events[0].actor_email == admin_a.email
    assert events[1].metadata["changed"] == ["subject", "body_text"]


def test_a_field_left_as_the_built_in_text_keeps_following_it(save):
    from email_templates.selectors import builtin_fields

    builtin = builtin_fields(kind="otp", locale="de")
    version = save(locale="de", subject="Code {{ code }}", body_text=builtin["body_text"])

    assert version.changed == ["subject"]
    assert version.body_text == ""


def test_an_invalid_save_keeps_nothing(save, in_tenant_a):
    with pytest.raises(TemplateInvalid) as refused:
        save(body_text="Welcome")

    assert "must show {{ code }}" in refused.value.errors["body_text"][0]
    assert not EmailTemplate.objects.exists()
    assert in_tenant_a.email_templates_revision is None
