"""Keep locale/*/LC_MESSAGES/django.po in step with the built-in email texts and compile them.

    python scripts/messages.py          # add new sentences to every .po, compile every .mo
    python scripts/messages.py --check  # exit 1 if a .po or .mo is behind, or untranslated

Pure Python (polib): no GNU gettext needed. `make setup` runs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cymmetri.settings")

CONTEXT = "email"
PLURALS = [
    ("%(count)d minute", "%(count)d minutes"),
    ("%(count)d hour", "%(count)d hours"),
    ("%(count)d day", "%(count)d days"),
]
HEADER = {
    "Project-Id-Version": "cymmetri-email",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}
# French counts 0 and 1 as singular.
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}


def sentences() -> list[str]:
    """Every sentence of the built-in emails, in the order they first appear."""
    import django

    django.setup()
    from email_templates import builtin, sandbox

    found: list[str] = []

    def record(message: str) -> str:
        if message not in found:
            found.append(message)
        return message

    original = builtin.t
    builtin.t = record
    try:
        for build in builtin.BUILDERS.values():
            build()
        record(sandbox.BUTTON_FALLBACK)
    finally:
        builtin.t = original
    return found


def po_path(locale: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"


def catalogue_update(locale: str, messages: list[str]):
    """The locale's catalogue with every current sentence, the gone ones made obsolete."""
    import polib

    path = po_path(locale)
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    po.metadata = {**HEADER, "Language": locale, **po.metadata}
    po.metadata["Plural-Forms"] = PLURAL_FORMS.get(locale, HEADER["Plural-Forms"])
    wanted = {(CONTEXT, m) for m in messages} | {(CONTEXT, s) for s, _ in PLURALS}
    for message in messages:
        if po.find(message, msgctxt=CONTEXT) is None:
            po.append(polib.POEntry(msgctxt=CONTEXT, msgid=message, msgstr=""))
    for singular, plural in PLURALS:
        if po.find(singular, msgctxt=CONTEXT) is None:
            po.append(
                polib.POEntry(
                    msgctxt=CONTEXT,
                    msgid=singular,
                    msgid_plural=plural,
                    msgstr_plural={0: "", 1: ""},
                )
            )
    for entry in po:
        entry.obsolete = (entry.msgctxt, entry.msgid) not in wanted
    return po


def untranslated(po) -> list[str]:
    missing = [e.msgid for e in po if not e.obsolete and "fuzzy" in e.flags]
    for entry in po:
        if entry.obsolete:
            continue
        values = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        if not all(v.strip() for v in values):
            missing.append(entry.msgid)
    return missing


def main(check: bool) -> int:
    from email_templates.locales import DEFAULT_LOCALE, LOCALES

    messages = sentences()
    problems = []
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        po = catalogue_update(locale, messages)
        path = po_path(locale)
        mo = path.with_suffix(".mo")
        text = str(po)
        if check:
            if not path.exists() or path.read_text() != text:
                problems.append(f"{path.relative_to(ROOT)} is behind the built-in texts.")
            for message in untranslated(po):
                problems.append(f"{locale}: no translation for {message!r}")
            if not mo.exists() or mo.read_bytes() != po.to_binary():
                problems.append(f"{mo.relative_to(ROOT)} is not compiled from its .po.")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        if not mo.exists() or mo.read_bytes() != po.to_binary():
            mo.write_bytes(po.to_binary())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Run: python scripts/messages.py, then translate what is empty.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
