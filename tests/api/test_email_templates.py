"""/api/v1/email-templates: read, write with the page's validation, preview, reset; scopes."""

URL = "/api/v1/email-templates/otp/de"


def test_write_read_preview_and_reset_a_template(api_a, make_token, admin_a):
    token = make_token(admin_a, scopes=["templates:read", "templates:write"])

    put = api_a.call("PUT", URL, token=token, json_body={"subject": "Code: {{ code }}"})
    assert put.status == 200, put.body
    assert put.body["version"] == 1
    assert put.body["builtin"]["subject"] == "{{ code }} ist Ihr Anmeldecode für {{ tenant_name }}"
    preview = api_a.call("POST", f"{URL}/preview", token=token, json_body={})
    assert preview.body["subject"] == "Code: 493027"
    assert "Geben Sie diesen Code ein" in preview.body["text"]
    draft = api_a.call(
        "POST", f"{URL}/preview", token=token, json_body={"subject": "Entwurf {{ code }}"}
    )
    assert draft.body["subject"] == "Entwurf 493027"
    assert api_a.call("GET", URL, token=token).body["subject"] == "Code: {{ code }}"

    reset = api_a.call("DELETE", URL, token=token)

    assert reset.body["customised"] is False
    assert reset.body["version"] == 2


def test_the_pages_validation_applies_with_its_messages(api_a, make_token, admin_a):
    token = make_token(admin_a, scopes=["templates:write"])

    refused = api_a.call("PUT", URL, token=token, json_body={"body_text": "Hallo {{ user }}"})

    assert refused.status == 400
    assert refused.error["code"] == "invalid_template"
    assert "{{ user }} is not a variable of this email" in refused.error["fields"]["body_text"][0]


def test_scopes_and_unknown_paths(api_a, make_token, admin_a):
    reader = make_token(admin_a, scopes=["templates:read"])

    assert api_a.call("PUT", URL, token=reader, json_body={"subject": "x"}).status == 403
    assert api_a.call("GET", "/api/v1/email-templates/sms/de", token=reader).status == 404
    assert api_a.call("GET", "/api/v1/email-templates/otp/it", token=reader).status == 404
    smtp_only = make_token(admin_a, scopes=["smtp:read"])
    assert api_a.call("GET", URL, token=smtp_only).status == 403
