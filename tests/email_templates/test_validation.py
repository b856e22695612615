"""What a tenant admin is told when a template would be refused: each rule, where it is."""

import pytest

from email_templates.validation import template_errors
from tenants.models import Tenant

TENANT = Tenant(schema_name="acme", display_name="Acme")


def errors(kind="otp", **fields):
    return template_errors(kind=kind, tenant=TENANT, locale="en", fields=fields)


def test_a_valid_template_passes():
    assert (
        errors(
            subject="Your code: {{ code }}",
            body_text="Code {{ code }}, valid {{ expires_in }}.",
            body_html="<p>Code <strong>{{ code }}</strong></p>",
        )
        == {}
    )


def test_a_syntax_error_names_its_line_and_column():
    found = errors(body_text="Hello\nYour code is {{ code | }}")["body_text"]

    assert found[0].startswith("Line 2, column ")
    assert "expected" in found[0]


def test_an_unclosed_tag_is_reported_at_the_end():
    found = errors(body_text="{{ code }}\n{% if code %}\nopen")["body_text"]

    assert found[0].startswith("Line 3, column 5")
    assert "endif" in found[0]


def test_an_unknown_variable_is_named_with_what_the_email_can_use():
    found = errors(body_text="{{ code }}\n  {{ user_name }}")["body_text"]

    assert found == [
        "Line 2, column 6: {{ user_name }} is not a variable of this email. "
        "It can use: code, expires_at, expires_in, tenant_name."
    ]


@pytest.mark.parametrize(
    ("kind", "field", "source", "variable"),
    [
        ("otp", "body_text", "Welcome to {{ tenant_name }}", "code"),
        ("otp", "body_html", "<p>Welcome</p>", "code"),
        ("recovery", "body_text", "Reset it.", "reset_url"),
        (
            "recovery",
            "body_html",
            '<p>{% if tenant_name == "x" %}{{ reset_url }}{% endif %}</p>',
            "reset_url",
        ),
        ("magic_link", "body_html", "<!-- {{ login_url }} -->", "login_url"),
        ("invitation", "body_text", "{% comment %}{{ accept_url }}{% endcomment %}", "accept_url"),
        ("verification", "body_text", "Hello", "verify_url"),
        ("email_change", "body_html", "<p>{{ new_email }}</p>", "confirm_url"),
        ("notification", "body_text", "{{ title }}", "message"),
    ],
)
def test_a_body_without_the_kinds_essential_variable_is_refused(kind, field, source, variable):
    found = errors(kind, **{field: source})[field]

    assert any(f"must show {{{{ {variable} }}}}" in message for message in found)


def test_the_subject_may_leave_out_the_essential_variable_but_must_be_one_short_line():
    assert errors(subject="Sign in to {{ tenant_name }}") == {}
    assert errors(subject="Your code\n{{ code }}")["subject"] == ["The subject must be one line."]
    assert "longer than 200" in errors(subject="x" * 201)["subject"][0]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{{ code }}</p>\n<script>alert(1)</script>", "Line 2, column 2: Scripts"),
        ('<p onclick="x()">{{ code }}</p>', "Event handlers such as onclick"),
        ('<form action="/x"><input name="a"></form>{{ code }}', "Forms do not work"),
        ("<style>p{color:red}</style>{{ code }}", "<style> is not allowed"),
        ('<p style="background:url(https://t.test/a.gif)">{{ code }}</p>', "Remote or active CSS"),
        ('<a href="javascript:go()">{{ code }}</a>', "Links to javascript URLs"),
        ('<iframe src="https://x.test"></iframe>{{ code }}', "<iframe> is not allowed"),
    ],
)
def test_html_that_email_may_not_carry_is_refused_with_its_place(source, expected):
    found = errors(body_html=source)["body_html"]

    assert any(expected in message for message in found), found


def test_a_template_that_loops_too_much_is_refused():
    found = errors(body_text="{{ code }}{% for i in (1..5000) %}.{% endfor %}")["body_text"]

    assert "cannot be rendered" in found[0]


def test_an_empty_field_means_the_built_in_text():
    assert errors(subject="", body_text="", body_html="") == {}
