"""Checks on a tenant's template before it is saved: each problem named where it is."""

from __future__ import annotations

from liquid.exceptions import LiquidError

from email_templates.rendering import essential_shown, sample_variables
from email_templates.sandbox import TemplateRenderError, template_compile, template_render
from email_templates.sanitize import html_refusals, html_sanitize
from email_templates.variables import ESSENTIAL, kind_variables
from mailer.kinds import KINDS

MAX_LENGTH = {"subject": 200, "body_text": 20_000, "body_html": 50_000}
LABELS = {"subject": "subject", "body_text": "plain-text version", "body_html": "HTML version"}


def _position(source: str, index: int) -> str:
    if index < 0:  # the parser reached the end still waiting for something
        index = len(source)
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"Line {line}, column {column}"


def _syntax_error(source: str, error: LiquidError) -> str:
    message = str(getattr(error, "message", "") or str(error).partition("\n")[0])
    token = getattr(error, "token", None)
    index = token.start_index if token is not None else -1
    if message.startswith("unexpected tag"):
        message += " (templates can use if, unless, case, for, assign and capture)"
    return f"{_position(source, index)}: {message}."


# Values are text: these are the only properties worth reading from one.
PROPERTIES = {"size", "first", "last"}


def _unknown_variables(kind: str, source: str, template) -> list[str]:
    allowed = set(kind_variables(kind))
    found = []
    for name, uses in template.analyze().globals.items():
        where = _position(source, uses[0].span.index)
        if name not in allowed:
            found.append(
                f"{where}: {{{{ {name} }}}} is not a variable of this email. "
                f"It can use: {', '.join(sorted(allowed))}."
            )
            continue
        for use in uses:
            extra = [str(segment) for segment in use.segments[1:]]
            if extra and (len(extra) > 1 or extra[0] not in PROPERTIES):
                found.append(
                    f"{_position(source, use.span.index)}: {{{{ {name} }}}} is text; only "
                    f"{name}.size, {name}.first and {name}.last can follow it."
                )
                break
    return found


def _field_errors(kind: str, name: str, source: str, variables: dict) -> list[str]:
    if len(source) > MAX_LENGTH[name]:
        return [f"The {LABELS[name]} is longer than {MAX_LENGTH[name]:,} characters."]
    if name == "subject" and ("\n" in source or "\r" in source):
        return ["The subject must be one line."]
    errors = []
    if name == "body_html":
        errors += [
            f"Line {line}, column {col}: {text}" for line, col, text in html_refusals(source)
        ]
    try:
        template = template_compile(source, html=name == "body_html")
    except LiquidError as error:
        return [*errors, _syntax_error(source, error)]
    errors += _unknown_variables(kind, source, template)
    if errors:
        return errors
    try:
        output = template_render(template, variables)
    except TemplateRenderError as error:
        return [f"The {LABELS[name]} cannot be rendered: {error}."]
    if name == "body_html":
        output = html_sanitize(output)
    essential = ESSENTIAL[kind]
    if name != "subject" and not essential_shown(kind, output, variables, html=name == "body_html"):
        errors.append(
            f"The {LABELS[name]} must show {{{{ {essential} }}}}: without it a "
            f"{KINDS[kind].label.lower()} email is useless to the person who receives it."
        )
    return errors


def template_errors(*, kind: str, tenant, locale: str, fields: dict[str, str]) -> dict:
    """{field: [messages]} for what would be refused; empty fields mean the built-in text."""
    variables = sample_variables(kind, tenant=tenant, locale=locale)
    errors = {}
    for name, source in fields.items():
        if source:
            messages = _field_errors(kind, name, source, variables)
            if messages:
                errors[name] = messages
    return errors
