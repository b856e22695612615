"""Built-in texts in every language: complete catalogues, nothing left in English, dates and
durations as each language writes them, and how a requested language is chosen."""

from datetime import UTC, datetime

import polib
import pytest

from email_templates.locales import LOCALES, UnknownLocale, locale_match
from email_templates.rendering import email_render
from email_templates.sandbox import template_compile, template_render
from email_templates.variables import sample_context
from mailer.kinds import KINDS
from scripts import messages
from tenants.models import Tenant

TENANT = Tenant(schema_name="acme", display_name="Acme")
TRANSLATED = [code for code in LOCALES if code != "en"]
MOMENT = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)


def _english_sentences(kind: str) -> list[str]:
    """The English sentences of the catalogue, rendered as they would read in ``kind``."""
    po = polib.pofile(str(messages.po_path("de")))
    variables = {**sample_context(kind), "tenant_name": "Acme", "expires_in": "10 minutes"}
    sentences = []
    for entry in po:
        if entry.obsolete or entry.msgid_plural:
            continue
        text = template_render(template_compile(entry.msgid, html=False), variables)
        # Short words ("Open") could stand in another language's text by chance.
        if len(text.split()) >= 3:
            sentences.append(text)
    return sentences


def test_every_catalogue_is_complete_and_compiled():
    assert messages.main(check=True) == 0


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_english_sentence_is_left_in_a_translated_email(kind, locale):
    rendered = email_render(KINDS[kind], context=sample_context(kind), tenant=TENANT, locale=locale)
    english = email_render(KINDS[kind], context=sample_context(kind), tenant=TENANT, locale="en")

    whole = "\n".join([rendered.subject, rendered.text, rendered.html])
    left = [sentence for sentence in _english_sentences(kind) if sentence in whole]
    assert left == []
    assert rendered.locale == locale
    assert f'<html lang="{locale}">' in rendered.html
    if kind != "notification":  # its subject is the caller's title
        assert rendered.subject != english.subject
    assert rendered.text != english.text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "10 minutes"),
        ("de", "10 Minuten"),
        ("fr", "10 minutes"),
        ("es", "10 minutos"),
    ],
)
def test_a_sign_in_code_says_how_long_it_works_in_the_readers_language(locale, expected):
    rendered = email_render(KINDS["otp"], context={"code": "493027"}, tenant=TENANT, locale=locale)

    assert "493027" in rendered.subject
    assert expected in rendered.text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "12 March 2026, 14:05 UTC"),
        ("de", "12. März 2026, 14:05 UTC"),
        ("fr", "12 mars 2026 à 14:05 UTC"),
        ("es", "12 de marzo de 2026, 14:05 UTC"),
    ],
)
def test_an_invitations_expiry_date_is_written_as_the_language_writes_dates(locale, expected):
    rendered = email_render(
        KINDS["invitation"],
        context=sample_context("invitation"),
        tenant=TENANT,
        locale=locale,
        now=MOMENT,
    )

    assert expected in rendered.text
    assert expected in rendered.html


def test_a_language_tag_picks_its_language_and_an_unknown_language_none():
    assert locale_match("de-AT") == "de"
    assert locale_match("fr_CA") == "fr"
    assert locale_match("ES") == "es"
    assert locale_match("pt-BR") is None
    assert locale_match(None) is None
    with pytest.raises(UnknownLocale, match="not a language tag"):
        locale_match("de; DROP TABLE")


def test_an_untranslated_language_falls_back_to_english_for_a_tenant_that_never_chose():
    rendered = email_render(
        KINDS["recovery"], context=sample_context("recovery"), tenant=TENANT, locale="pt"
    )

    assert rendered.locale == "en"
    assert rendered.subject == "Reset your Acme password"
