"""Error reports to Sentry when SENTRY_DSN is set: Django and Celery, and nothing personal.

No request bodies, cookies, users or IP addresses are sent (``send_default_pii`` off), and
every event is scrubbed before it leaves: values of secret or personal keys anywhere in it
(passwords, tokens, recipients, codes, links) and email addresses in any text.
"""

from __future__ import annotations

import re
from typing import Any

SCRUBBED = "[scrubbed]"
# Keys whose values never leave, wherever they appear (variables, extra data, breadcrumbs).
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "authorization",
        "cookie",
        "api_key",
        "passwd",
        "oauth_secret",
        "oauth_key",
        "client_secret",
        "refresh_token",
        "access_token",
        "field_encryption_keys",
        "secret_key",
        "to",
        "to_address",
        "to_addrs",
        "recipient",
        "recipients",
        "email",
        "actor_email",
        "new_email",
        "code",
        "context",
        "body_text",
        "body_html",
        "verify_url",
        "reset_url",
        "login_url",
        "accept_url",
        "confirm_url",
    }
)
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def scrub(value: Any, *, key: str = "") -> Any:
    """``value`` with sensitive keys' values and every email address replaced."""
    if key.lower() in SENSITIVE_KEYS:
        return SCRUBBED
    if isinstance(value, dict):
        return {k: scrub(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return EMAIL_ADDRESS.sub(SCRUBBED, value)
    return value


def before_send(event: dict, hint: dict) -> dict:
    for name in ("exception", "extra", "request", "breadcrumbs", "logentry", "message", "tags"):
        if name in event:
            event[name] = scrub(event[name])
    for thread in event.get("threads", {}).get("values", []):
        thread.update(scrub(thread))
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        # Local variables of a frame may hold a password or a message: never sent.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=lambda crumb, hint: scrub(crumb),
    )
