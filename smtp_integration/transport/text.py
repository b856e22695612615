"""Text from servers made safe to store and show: what a server says can hold anything."""

import re

# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, limit: int | None) -> str:
    """One line: whitespace runs become one space, other control characters "\ufffd",
    and at most ``limit`` characters (the last one "…" when cut)."""
    text = _CONTROL.sub("\ufffd", " ".join(str(text).split()))
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


MASK = "\u2022" * 4


def masked(secret: str) -> str:
    """A credential as people may see it: its last four characters, when it is long enough
    for those to give nothing away (e.g. "\u2022\u2022\u2022\u2022a1b2")."""
    return MASK + secret[-4:] if len(secret) >= 12 else MASK
