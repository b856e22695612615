"""Templates written by tenant admins cannot reach Python, settings, files or other templates,
cannot run away with time or memory, and cannot put script into an email."""

import pytest

from email_templates.rendering import sample_variables
from email_templates.sandbox import TemplateRenderError, template_compile, template_render
from email_templates.sanitize import html_sanitize
from email_templates.validation import template_errors
from tenants.models import Tenant

TENANT = Tenant(schema_name="acme", display_name="Acme")
VARIABLES = sample_variables("otp", tenant=TENANT, locale="en")

# Known ways out of template sandboxes (Jinja2, Django, Liquid, Handlebars write-ups).
ESCAPES = [
    "{{ code.__class__ }}",
    "{{ code.__class__.__mro__[1].__subclasses__() }}",
    "{{ tenant_name.__init__.__globals__ }}",
    "{{ code['__class__'] }}",
    "{{ code | attr: '__class__' }}",
    "{{ ''.__class__.__base__ }}",
    "{{ self }}",
    "{{ settings.SECRET_KEY }}",
    "{{ request.user.password }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% render 'emails/layout.html' %}",
    "{% include 'cymmetri/settings.py' %}",
    "{{ code | safe }}",
    "{{ 'x' | map: '__class__' }}",
    "{{ 'x' | date: '%s' }}",
    "{% raw %}{{ code }}{% endraw %}{{ code.__dict__ }}",
    "{{ code.constructor.constructor('return process')() }}",
    "{% for i in (1..100000000) %}{{ i }}{% endfor %}",
    "{% for a in (1..150) %}{% for b in (1..150) %}x{% endfor %}{% endfor %}",
    "{% assign s = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' %}"
    "{% for i in (1..190) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_a_sandbox_escape_is_refused_on_save_and_yields_nothing_when_rendered(source):
    errors = template_errors(
        kind="otp", tenant=TENANT, locale="en", fields={"body_text": source + " {{ code }}"}
    )

    assert errors["body_text"], source
    try:
        output = template_render(template_compile(source, html=False), VARIABLES)
    except Exception as refusal:  # refused at parse or render: the point
        assert "Traceback" not in str(refusal)
        return
    for leaked in ("class", "globals", "SECRET", "root:", "uid=", "<built-in", "object at"):
        assert leaked not in output, (source, output[:200])
    assert len(output) < 10_000


def test_values_are_escaped_in_html_and_the_brand_colour_cannot_be_reassigned():
    variables = {**VARIABLES, "code": '<img src=x onerror="alert(1)">'}
    source = (
        "{% assign brand_colour = 'red;background:url(https://evil.test/)' %}"
        '{{ code }}{{ "https://example.com/" | button: "Go" }}'
    )
    output = template_render(template_compile(source, html=True), variables)

    assert "<img" not in output
    assert "&lt;img" in output
    assert "evil.test" not in output
    assert "background:#3346d3" in output


def test_a_button_never_links_anywhere_but_http():
    output = template_render(
        template_compile('{{ "javascript:alert(1)" | button: "Go" }}', html=True), VARIABLES
    )

    assert output == ""


@pytest.mark.parametrize(
    ("html", "gone"),
    [
        ('<p onclick="steal()">Hi</p>', "onclick"),
        ("<script>steal()</script><p>Hi</p>", "steal"),
        ('<form action="https://evil.test"><input name=p></form>', "<form"),
        ('<a href="javascript:steal()">Hi</a>', "javascript"),
        ('<p style="background:url(https://evil.test/t.gif)">Hi</p>', "evil.test"),
        ('<link rel="stylesheet" href="https://evil.test/s.css">', "evil.test"),
        ("<style>@import 'https://evil.test/s.css';</style>", "evil.test"),
        ('<img src="http://tracker.test/p.gif">', "tracker.test"),
        ('<iframe src="https://evil.test"></iframe>', "iframe"),
    ],
)
def test_the_sanitiser_removes_what_email_may_not_carry(html, gone):
    assert gone not in html_sanitize(html)


def test_the_sanitiser_keeps_ordinary_email_html():
    html = (
        '<h1>Hi</h1><p style="color:#333">Text <a href="https://acme.test/x">link</a></p>'
        '<img src="https://acme.test/logo.png" alt="Acme"><table><tr><td>Cell</td></tr></table>'
    )

    kept = html_sanitize(html)

    for part in ('style="color:#333"', 'href="https://acme.test/x"', "logo.png", "<td>Cell</td>"):
        assert part in kept


def test_rendering_is_bounded_in_time_and_size():
    with pytest.raises(TemplateRenderError, match="limit"):
        template_render(
            template_compile("{% for i in (1..1000) %}x{% endfor %}", html=False), VARIABLES
        )


def test_a_render_that_uses_too_much_cpu_is_refused(monkeypatch):
    from email_templates import sandbox

    template = template_compile(
        "{% for i in (1..150) %}{{ code | append: i | upcase | downcase }}{% endfor %}",
        html=False,
    )
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.0001)  # far below what these loops need

    with pytest.raises(TemplateRenderError, match="too long"):
        template_render(template, VARIABLES)
