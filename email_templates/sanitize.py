"""HTML from tenant templates: an allow-list of what email can carry (nh3), and the named
refusals an admin sees on save for what it would remove."""

from __future__ import annotations

import re

import nh3

TAGS = {
    "a", "b", "blockquote", "br", "center", "code", "div", "em", "h1", "h2", "h3", "hr", "i",
    "img", "li", "ol", "p", "pre", "small", "span", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
_COMMON = {"class", "style", "align", "title", "dir", "lang"}
ATTRIBUTES = {
    "*": _COMMON,
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"role", "width", "cellpadding", "cellspacing", "border"},
    "td": {"width", "colspan", "rowspan", "valign"},
    "th": {"width", "colspan", "rowspan", "valign"},
}
URL_SCHEMES = {"https", "http", "mailto"}
# CSS that fetches or runs something: remote images and fonts, imports, old IE expressions.
_REMOTE_CSS = re.compile(r"url\s*\(|@import|expression\s*\(|behavior\s*:|-moz-binding", re.I)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style" and (_REMOTE_CSS.search(value) or "\\" in value):
        return None
    if tag == "img" and attribute == "src" and not value.startswith("https://"):
        return None
    return value


def html_sanitize(html: str) -> str:
    """Only the allowed tags and attributes, links without javascript:, no remote CSS."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# (pattern, what the admin is told): checked on the source before it is saved.
_REFUSED = (
    (
        re.compile(r"<\s*(script|noscript)\b", re.I),
        "Scripts do not run in email and are not allowed: remove the <script> element.",
    ),
    (
        re.compile(r"<[^>]*?\s(on[a-z]+)\s*=", re.I),
        "Event handlers such as {match} are not allowed in email: remove the attribute.",
    ),
    (
        re.compile(r"<\s*(form|input|button|select|textarea|option)\b", re.I),
        "Forms do not work in email and are not allowed: link to a page instead of <{match}>.",
    ),
    (
        re.compile(r"<\s*(style|link|meta|base)\b", re.I),
        '<{match}> is not allowed: the email layout carries the styles; use style="…" '
        "attributes or the brand colour.",
    ),
    (
        re.compile(r"<\s*(iframe|frame|frameset|object|embed|applet|svg|math)\b", re.I),
        "<{match}> is not allowed in email: remove it.",
    ),
    (
        _REMOTE_CSS,
        "Remote or active CSS ({match}) is not allowed: it loads or runs something when the "
        "email is opened.",
    ),
    (
        re.compile(r"=\s*[\"']?\s*(javascript|vbscript|data)\s*:", re.I),
        "Links to {match} URLs are not allowed: use an https:// link.",
    ),
)


def html_refusals(source: str) -> list[tuple[int, int, str]]:
    """(line, column, message) for each thing in ``source`` email HTML may not carry."""
    found = []
    for pattern, message in _REFUSED:
        for match in pattern.finditer(source):
            word = match.group(1) if pattern.groups else match.group(0)
            start = match.start(1) if pattern.groups else match.start()
            line = source.count("\n", 0, start) + 1
            column = start - (source.rfind("\n", 0, start) + 1) + 1
            found.append((line, column, message.format(match=word.strip())))
    return sorted(found)
