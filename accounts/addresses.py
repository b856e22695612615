"""The one form of an email address that finds its account and counts its sign-ins.

Accounts are looked up by exact equality on this form, never by a case-insensitive match in
the database: PostgreSQL's ``upper()`` folds ``ı`` to ``I`` and ``ſ`` to ``S``, so ``admın@``
would find ``admin@``'s account while counting its failures under another key.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError


def email_canonical(value: str) -> str:
    """``value`` as accounts store it: trimmed and lowercased (Python's rules, one way only)."""
    return value.strip().lower()


def _stands_for_ascii(char: str) -> bool:
    """A non-ASCII character that some case mapping or compatibility form turns into ASCII."""
    if char.isascii():
        return False
    forms = (char.upper(), char.lower(), char.casefold(), unicodedata.normalize("NFKC", char))
    return any(any(c.isascii() for c in form) for form in forms)


def email_ambiguity_check(value: str) -> None:
    """A field error if ``value`` has a character that passes for an ASCII letter in another
    case or form (``ı``, ``ſ``, the Kelvin sign, full-width letters, ligatures)."""
    look_alikes = sorted({char for char in value if _stands_for_ascii(char)})
    if look_alikes:
        shown = ", ".join(f"“{char}” (U+{ord(char):04X})" for char in look_alikes)
        raise ValidationError(
            f"This address contains {shown}, which can stand for a plain letter in another case "
            "or form. Type the address with plain letters.",
            code="ambiguous_email",
        )
