"""The Email templates tab: save with errors in place, preview a draft, send to me, history,
brand, the former previews' addresses, and who may use it."""

import pytest

from audit.models import AuditEvent
from mailer.models import OutboundEmail

BASE = "/integrations/email-smtp/templates"


def test_the_overview_lists_every_email_in_every_language(admin_client_a):
    page = admin_client_a.get(f"{BASE}/")

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("Built-in") == 7 * 4
    assert f'href="{BASE}/otp/de/"' in body


def test_the_editor_starts_from_the_built_in_text_in_its_language(admin_client_a):
    page = admin_client_a.get(f"{BASE}/otp/fr/")

    form = page.context["form"]
    assert form.initial["subject"] == "{{ code }} est votre code de connexion {{ tenant_name }}"
    assert (
        page.context["rendered"].subject == "493027 est votre code de connexion Cymmetri Production"
    )
    assert "From" in page.content.decode()
    assert page.context["sender"]["from"].startswith("Cymmetri Production <")


def test_a_refused_save_shows_each_error_beside_its_field_and_keeps_the_text(admin_client_a):
    typed = {"subject": "Code", "body_text": "Hello {{ nme }}", "body_html": "<p>Hi</p>"}

    page = admin_client_a.post(f"{BASE}/otp/en/", typed)

    assert page.status_code == 400
    body = page.content.decode()
    assert "Line 1, column 10: {{ nme }} is not a variable of this email." in body
    assert "The HTML version must show {{ code }}" in body
    assert "Hello {{ nme }}" in body
    assert not AuditEvent.objects.filter(action="admin.email_template_updated").exists()


def test_save_then_history_then_revert_and_reset(admin_client_a, in_tenant_a):
    admin_client_a.post(f"{BASE}/otp/en/", {"subject": "One {{ code }}"})
    admin_client_a.post(f"{BASE}/otp/en/", {"subject": "Two {{ code }}"})

    page = admin_client_a.get(f"{BASE}/otp/en/")
    assert page.context["rendered"].subject == "Two 493027"
    assert [v.number for v in page.context["versions"]] == [2, 1]
    assert "Revert to this version" in page.content.decode()

    admin_client_a.post(f"{BASE}/otp/en/revert/1/")
    assert admin_client_a.get(f"{BASE}/otp/en/").context["rendered"].subject == "One 493027"
    admin_client_a.post(f"{BASE}/otp/en/reset/")
    page = admin_client_a.get(f"{BASE}/otp/en/")

    assert page.context["rendered"].subject == "493027 is your Cymmetri Production sign-in code"
    assert [v.action for v in page.context["versions"]] == ["reset", "reverted", "saved", "saved"]


def test_preview_changes_shows_the_draft_without_saving_it(admin_client_a):
    page = admin_client_a.post(
        f"{BASE}/recovery/es/",
        {"action": "preview", "subject": "Cambia tu clave", "body_html": "<p>{{ reset_url }}</p>"},
    )

    assert page.status_code == 200
    assert page.context["draft"] is True
    assert page.context["rendered"].subject == "Cambia tu clave"
    frame = admin_client_a.get(f"{BASE}/recovery/es/html/?draft=1")
    assert "/accounts/reset/sample/token/" in frame.content.decode()
    assert frame.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    saved = admin_client_a.get(f"{BASE}/recovery/es/")
    assert saved.context["rendered"].subject == "Restablece tu contraseña de Cymmetri Production"


def test_send_to_me_queues_a_test_email_to_the_admin_only_and_is_limited(admin_client_a, admin_a):
    for _ in range(5):
        response = admin_client_a.post(f"{BASE}/otp/de/send/", {"to": "someone@else.test"})
        assert response.status_code == 302
    refused = admin_client_a.post(f"{BASE}/otp/de/send/", follow=True)

    emails = OutboundEmail.objects.filter(is_test=True)
    assert emails.count() == 5
    assert {e.to_address for e in emails} == {admin_a.email}
    assert {e.locale for e in emails} == {"de"}
    assert "sent yourself 5 test emails" in refused.content.decode()
    events = AuditEvent.objects.filter(action="admin.email_template_test_sent")
    assert events.count() == 5
    assert events[0].metadata == {"kind": "otp", "locale": "de"}


def test_activity_marks_a_test_email(admin_client_a):
    admin_client_a.post(f"{BASE}/otp/de/send/")

    page = admin_client_a.get("/integrations/email-smtp/activity/")

    assert ">Test</span>" in page.content.decode()


def test_brand_and_language_are_saved_and_bad_values_explained(admin_client_a):
    refused = admin_client_a.post(
        f"{BASE}/",
        {"default_locale": "de", "brand_colour": "#ffee00", "logo_url": "http://acme.test/l.png"},
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "White button text on #ffee00 is hard to read" in body
    assert "The logo must be an https:// address" in body

    admin_client_a.post(
        f"{BASE}/",
        {"default_locale": "de", "brand_colour": "#0A6640", "logo_url": "https://acme.test/l.png"},
    )

    event = AuditEvent.objects.get(action="admin.email_brand_updated")
    assert event.metadata["changed"] == ["default_locale", "brand_colour", "logo_url"]
    frame = admin_client_a.get(f"{BASE}/otp/de/html/").content.decode()
    assert "#0a6640" in frame
    assert 'src="https://acme.test/l.png"' in frame


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/integrations/email-smtp/previews/", f"{BASE}/"),
        ("/integrations/email-smtp/previews/recovery/", f"{BASE}/recovery/en/"),
        ("/integrations/email-smtp/previews/recovery/html/", f"{BASE}/recovery/en/html/"),
    ],
)
def test_the_former_previews_addresses_lead_here(admin_client_a, old, new):
    response = admin_client_a.get(old)

    assert response.status_code == 301
    assert response.headers["Location"] == new


def test_unknown_email_or_language_and_non_admins(admin_client_a, member_client_a):
    assert admin_client_a.get(f"{BASE}/sms/en/").status_code == 404
    assert admin_client_a.get(f"{BASE}/otp/it/").status_code == 404
    assert member_client_a.get(f"{BASE}/").status_code == 403
    assert member_client_a.get(f"{BASE}/otp/en/").status_code == 403
    assert member_client_a.post(f"{BASE}/otp/en/send/").status_code == 403
    assert member_client_a.post(f"{BASE}/otp/en/", {"subject": "x"}).status_code == 403
