"""Liquid for templates written by tenant admins: only the kind's variables (text and
numbers, never Python objects), a short list of filters, no file or template access, limits
on loops and output, HTML autoescaped."""

from __future__ import annotations

import re
import time
from functools import lru_cache

from liquid import Environment, Template
from liquid.exceptions import LiquidError
from liquid.filter import with_context
from liquid.loader import BaseLoader
from markupsafe import Markup, escape

from email_templates import builtin

# Enough for any email; a template that needs more is a template that loops on purpose.
LOOP_LIMIT = 200
OUTPUT_LIMIT = 100_000
RENDER_SECONDS = 0.1  # of CPU time
DEFAULT_BRAND_COLOUR = "#3346d3"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

SAFE_FILTERS = (
    "append",
    "capitalize",
    "default",
    "downcase",
    "escape",
    "lstrip",
    "newline_to_br",
    "prepend",
    "remove",
    "replace",
    "rstrip",
    "size",
    "strip",
    "strip_html",
    "truncate",
    "truncatewords",
    "upcase",
    "url_encode",
)
# Tags that reach outside the template (other templates) are removed; the rest only compute.
REMOVED_TAGS = ("include", "render")


class TemplateRenderError(Exception):
    """A template failed while rendering (a limit, a filter given the wrong input)."""


class NoTemplates(BaseLoader):
    """{% include %} and {% render %} are gone; this answers anything else that asks."""

    def get_source(self, env, template_name, *, context=None, **kwargs):
        raise LiquidError(f"templates cannot load other templates ({template_name!r})")


BUTTON_FALLBACK = "If the button does not work, copy this link into your browser:"


@with_context
def button(url, label="", fallback="", *, context):
    """``{{ reset_url | button: "Choose a new password" }}``: the brand's button and, below
    it, the link for mail clients that do not show buttons. Only http(s) links."""
    url = str(url or "")
    if not url.startswith(("https://", "http://")):
        return ""
    # From the render's globals (a template's {% assign %} cannot change it), checked again.
    colour = str(context.globals.get("brand_colour") or "")
    colour = colour if HEX_COLOUR.fullmatch(colour) else DEFAULT_BRAND_COLOUR
    text = str(label or fallback or url)
    return Markup(
        '<table role="presentation" cellpadding="0" cellspacing="0" class="button-table">'
        '<tr><td style="background:{colour};border-radius:7px;">'
        '<a class="button" href="{url}" style="display:inline-block;padding:11px 22px;'
        'color:#ffffff;text-decoration:none;font-weight:600;">{text}</a></td></tr></table>'
        '<p class="note">{fallback}<br><a href="{url}" style="word-break:break-all;">{url}</a>'
        "</p>"
    ).format(
        colour=colour,
        url=url,
        text=text,
        fallback=builtin.t(BUTTON_FALLBACK),
    )


def _environment(*, autoescape: bool) -> Environment:
    env = Environment(autoescape=autoescape, loader=NoTemplates())
    env.loop_iteration_limit = LOOP_LIMIT
    env.output_stream_limit = OUTPUT_LIMIT
    env.context_depth_limit = 10
    env.local_namespace_limit = 20_000
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    if autoescape:
        env.filters["button"] = button
    env.tags = {name: tag for name, tag in env.tags.items() if name not in REMOVED_TAGS}
    return env


TEXT = _environment(autoescape=False)
HTML = _environment(autoescape=True)


@lru_cache(maxsize=4096)
def template_compile(source: str, *, html: bool) -> Template:
    """Parse once per source and process: the same text is never parsed twice per worker."""
    return (HTML if html else TEXT).from_string(source)


def template_render(template: Template, variables: dict) -> str:
    """Render with only ``variables`` (text and numbers); TemplateRenderError on a limit."""
    # The render's own CPU time: a busy machine (other threads, other processes) must not
    # make a sound template "too slow", only a template's own work may.
    started = time.thread_time()
    try:
        output = template.render(**variables)
    except LiquidError as error:
        raise TemplateRenderError(str(error).partition("\n")[0]) from None
    if time.thread_time() - started > RENDER_SECONDS:
        raise TemplateRenderError("it took too long to render")
    return str(output) if not isinstance(output, str) else output


def escape_text(value) -> str:
    return str(escape(value))
