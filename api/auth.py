"""Who is calling: a tenant API token in the Authorization header, never a session cookie."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.api_tokens import SHOWN_PREFIX, api_token_authenticate, token_actor
from accounts.models import ApiToken
from api.errors import ApiError
from cymmetri.throttle import Throttle

logger = logging.getLogger(__name__)


def _throttle() -> Throttle:
    count, seconds = settings.API_RATE_LIMIT
    return Throttle(
        "throttle:api-token",
        count,
        timedelta(seconds=seconds),
        f"This token made {count} requests in {seconds} seconds, its limit. Try again in {{wait}}.",
    )


class TokenAuth(HttpBearer):
    """Bearer cym_… of this tenant (tokens live in its schema: another tenant's is unknown),
    active, and within its rate limit."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token, ip=request.META.get("REMOTE_ADDR") or None)
        if found is None:
            # The prefix only: a token is never written to a log.
            logger.info(
                "API request refused: unknown, revoked or expired token %s…", token[:SHOWN_PREFIX]
            )
            return None
        _throttle().take(str(found.pk))
        request.actor = token_actor(found)
        return found


def scope_required(request: HttpRequest, scope: str) -> None:
    """403 naming the scope, unless the calling token holds it."""
    if scope not in request.auth.scopes:
        raise ApiError(
            403,
            "missing_scope",
            f"This token lacks the {scope} scope; create a token with it on the API tokens page.",
            {"scope": [scope]},
        )
