"""The OpenAPI document: valid 3.1, complete, and every path it lists answers."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts

from tests.fixtures.api import ApiClient
from tests.live import shot
from tests.support import TENANTS

CONTRACT = {
    "/api/v1/email-smtp": {"get", "put", "patch", "delete"},
    "/api/v1/email-smtp/enable": {"post"},
    "/api/v1/email-smtp/disable": {"post"},
    "/api/v1/email-smtp/test": {"post"},
    "/api/v1/email-smtp/tests/{test_id}": {"get"},
    "/api/v1/email-smtp/deliverability": {"get"},
    "/api/v1/email-smtp/deliverability/check": {"post"},
    "/api/v1/emails": {"get", "post"},
    "/api/v1/emails/{email_id}": {"get"},
    "/api/v1/email-templates/{kind}/{locale}": {"get", "put", "delete"},
    "/api/v1/email-templates/{kind}/{locale}/preview": {"post"},
}


def _schema(api: ApiClient) -> dict:
    response = api.call("GET", "/api/v1/openapi.json")
    assert response.status == 200
    return response.body


def test_the_schema_is_valid_openapi_3_1_and_lists_every_endpoint(api_a):
    schema = _schema(api_a)

    validate(schema)
    assert schema["openapi"].startswith("3.1")
    assert consts.VERSIONS
    listed = {path: set(methods) - {"parameters"} for path, methods in schema["paths"].items()}
    assert listed == CONTRACT
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_every_documented_operation_answers_in_the_documented_way(api_a, make_token, admin_a):
    token = make_token(admin_a)
    schema = _schema(api_a)
    for path, operations in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method, operation in operations.items():
            body = {} if method in ("put", "patch", "post") else None
            response = api_a.call(method.upper(), url, token=token, json_body=body)
            documented = {int(code) for code in operation["responses"]}
            assert response.status in documented, (method, path, response.status, response.body)
            assert response.status < 500
            if response.status >= 400:
                assert set(response.error) == {"code", "message", "fields"}


def test_every_operation_says_which_scope_it_needs(api_a):
    for operations in _schema(api_a)["paths"].values():
        for operation in operations.values():
            assert re.search(
                r"Scope:\s`(smtp|email|templates):(read|write|send)`", operation["description"]
            )


@pytest.mark.browser
def test_the_documentation_page_renders_every_operation_from_its_own_assets(
    browser, live_server_url
):
    url = live_server_url(TENANTS["a"].domain, "/api/v1/docs")

    def read(page):
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(url)
        page.locator(".opblock").first.wait_for()
        shot(page, "api-docs-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        shot(page, "api-docs-390")
        return page.locator(".opblock").count(), requested

    operations, requested = browser(read)

    assert operations == sum(len(methods) for methods in CONTRACT.values())
    assert all(request.startswith(url.split("/api/")[0]) for request in requested)
