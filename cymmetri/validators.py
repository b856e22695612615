"""Checks shared by every form and API that takes text which ends up in an email header."""

import re

from django.core.exceptions import ValidationError

# C0 controls, DEL, and the Unicode line and paragraph separators: none belongs in a name,
# an address or a subject, and CR/LF would let a value start a header of its own.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def reject_control_characters(value: str) -> None:
    """A field error for line breaks and other control characters."""
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Line breaks and control characters are not allowed here.", code="control_chars"
        )
