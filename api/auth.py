"""Who is calling: a tenant API token in the Authorization header, never a session cookie."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.api_tokens import SHOWN_PREFIX, api_token_authenticate, token_actor
from accounts.models import ApiToken
from api.errors import ApiError
from cymmetri.throttle import RateLimited, wait_text

logger = logging.getLogger(__name__)


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def request_count(token: ApiToken) -> None:
    """Count one request of ``token`` in its fixed window, in one round trip to Redis (it is
    paid on every request); RateLimited over API_RATE_LIMIT."""
    limit, seconds = settings.API_RATE_LIMIT
    # The token's id is unique only within its tenant: the key carries the schema too.
    key = f"{settings.CACHE_KEY_PREFIX}:api-rate:{connection.schema_name}:{token.pk}"
    pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, seconds, nx=True)
    pipe.ttl(key)
    count, _, left = pipe.execute()
    if count > limit:
        wait = timedelta(seconds=max(1, left))
        raise RateLimited(
            f"This token made {limit} requests in {seconds} seconds, its limit. Try again in "
            f"{wait_text(wait)}.",
            retry_after=wait,
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
        request_count(found)
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
