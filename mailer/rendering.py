"""Turning a kind and its context into a subject and two bodies."""

from __future__ import annotations

from dataclasses import dataclass

from django.template import Context
from django.template.loader import get_template

from mailer.kinds import Kind


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _render(name: str, context: dict, *, autoescape: bool) -> str:
    # Plain text is not HTML: escaping "&" there would show "&amp;" to the reader.
    template = get_template(name).template
    return template.render(Context(context, autoescape=autoescape))


def email_render(kind: Kind, *, context: dict, tenant_name: str) -> RenderedEmail:
    """Render emails/<kind>/{subject.txt, body.txt, body.html}; only HTML is escaped."""
    full = {**context, "tenant_name": tenant_name}
    base = f"emails/{kind.name}"
    subject = _render(f"{base}/subject.txt", full, autoescape=False)
    return RenderedEmail(
        # Templates end in a newline and may wrap; a subject is one line.
        subject=" ".join(subject.split())[:255],
        text=_render(f"{base}/body.txt", full, autoescape=False).strip() + "\n",
        html=_render(f"{base}/body.html", full, autoescape=True),
    )
