"""The API's one error shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from cymmetri.crypto import DecryptionError
from cymmetri.throttle import RateLimited


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        super().__init__(message)


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, fields=None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def fields_of(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]} ("__all__" becomes "non_field")."""
    if not hasattr(error, "error_dict"):
        return {}
    return {
        ("non_field" if name == "__all__" else name): list(messages)
        for name, messages in error.message_dict.items()
    }


def _schema_fields(error: SchemaError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        name = ".".join(location[-1:]) or "body"
        message = item.get("msg", "Invalid value.")
        if item.get("type") == "extra_forbidden":
            message = "Unknown field: check its spelling against the API reference."
        fields.setdefault(name, []).append(message)
    return fields


def register_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return error_response(api, request, exc.status, exc.code, exc.message, exc.fields)

    @api.exception_handler(SchemaError)
    def schema_error(request, exc: SchemaError):
        fields = _schema_fields(exc)
        names = ", ".join(sorted(fields))
        return error_response(
            api, request, 400, "invalid_request", f"Check these fields: {names}.", fields
        )

    @api.exception_handler(DjangoValidationError)
    def validation_error(request, exc: DjangoValidationError):
        fields = fields_of(exc)
        message = next(iter(exc.messages), "Invalid request.")
        errors = exc.error_list if not hasattr(exc, "error_dict") else exc.error_dict.values()
        flat = [e for group in errors for e in (group if isinstance(group, list) else [group])]
        code = next((e.code for e in flat if e.code), None) or "invalid"
        return error_response(api, request, 400, code, message, fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = error_response(
            api,
            request,
            401,
            "unauthenticated",
            "Send a valid, unexpired API token of this tenant: Authorization: Bearer cym_…",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc: RateLimited):
        response = error_response(api, request, 429, "rate_limited", str(exc))
        response["Retry-After"] = str(max(1, math.ceil(exc.retry_after.total_seconds())))
        return response

    @api.exception_handler(DecryptionError)
    def unreadable(request, exc):
        return error_response(
            api,
            request,
            409,
            "secret_unreadable",
            "The stored secret cannot be read any more; send it again with the configuration.",
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, 404, "not_found", "There is no such resource.")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return error_response(api, request, exc.status_code, "error", str(exc.message))
