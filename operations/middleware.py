from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from operations import views

ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class OperationsEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics before anything else runs: on any host name (a
    probe calls the pod's IP, which ALLOWED_HOSTS does not list), with no tenant lookup and
    no session. Nothing here reads the Host header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        response = view(request)
        # A 503 while Redis is down is the answer, not an error: probes would flood the log.
        response._has_been_logged = True
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
