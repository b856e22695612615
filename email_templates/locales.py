"""The languages emails are written in, and how a requested language tag is matched."""

from __future__ import annotations

import re

# Every built-in text is translated into each of these (locale/<code>/LC_MESSAGES/django.po).
LOCALES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
}
DEFAULT_LOCALE = "en"
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


class UnknownLocale(ValueError):
    """A language tag that is not well formed (``"de"``, ``"fr-CA"`` and ``"pt"`` are)."""


def locale_match(tag: str | None) -> str | None:
    """The supported locale for a language tag (``de-AT`` → ``de``); None when the language
    has no translation. Raises UnknownLocale for something that is not a language tag."""
    if tag is None or tag == "":
        return None
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise UnknownLocale(
            f"Locale {tag!r} is not a language tag; use one like "
            f"{', '.join(repr(code) for code in LOCALES)}."
        )
    language = re.split(r"[-_]", tag.lower(), maxsplit=1)[0]
    return language if language in LOCALES else None
