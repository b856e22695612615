"""/healthz, /readyz and /metrics: what Kubernetes probes and Prometheus call.

They answer on any host name, without a session or a tenant lookup (see the middleware).
/metrics and /readyz?deep=1 need the operators' bearer token (METRICS_TOKEN); without one
configured they do not exist.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cymmetri.metrics import metrics_registry
from operations.collectors import collector
from operations.probes import probes_run
from operations.status import status_read


def _operator(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _refused() -> HttpResponse:
    if not settings.METRICS_TOKEN:
        return JsonResponse({"error": "Not found."}, status=404)
    response = JsonResponse(
        {"error": "This needs the operators' token: Authorization: Bearer <METRICS_TOKEN>."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="cymmetri-operations"'
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Nothing else is asked."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: PostgreSQL reachable and migrated, Redis and the broker reachable; 503
    naming what failed. ``?deep=1`` (operators): workers, beat, sweeper, outbox too."""
    deep = request.GET.get("deep") in {"1", "true", "yes"}
    operator = _operator(request)
    if deep and not operator:
        return _refused()
    results = probes_run()
    failed = [result.name for result in results if not result.ok]
    checks = {
        result.name: {
            "ok": result.ok,
            "ms": round(result.ms, 1),
            # Anyone may call /readyz: only the operators are told more than the error's kind.
            **({"error": result.error if operator else result.kind} if not result.ok else {}),
        }
        for result in results
    }
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}
    if deep and not failed:
        status = status_read().as_dict()
        body["status"] = status["status"]
        body["failed"] = status["failed"]
        body["checks"] |= status["checks"]
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition of every process's counters and the sampled gauges."""
    if not _operator(request):
        return _refused()
    return HttpResponse(
        generate_latest(metrics_registry(collector)), content_type=CONTENT_TYPE_LATEST
    )
