"""Provider presets for the configure form, from the provider data."""

from __future__ import annotations

from smtp_integration.providers import PROVIDERS
from smtp_integration.selectors import dev_mail_catcher
from smtp_integration.transport import TlsMode


def presets_for_page() -> list[dict]:
    """JSON-ready presets: each provider's endpoints and how it names its credentials."""
    presets = []
    for provider in PROVIDERS:
        endpoints = [
            {
                "host": endpoint.host,
                "port": endpoint.port,
                "tls_mode": endpoint.tls_mode,
                # Short enough for a phone's select: a named endpoint (a region) goes by its
                # name and port, since the Host field below shows the host it fills in.
                "label": " · ".join(
                    part
                    for part in (
                        endpoint.label,
                        str(endpoint.port)
                        if endpoint.label or not endpoint.host
                        else f"{endpoint.host}:{endpoint.port}",
                        TlsMode(endpoint.tls_mode).label,
                    )
                    if part
                ),
            }
            for endpoint in provider.endpoints
        ]
        presets.append(
            {
                "key": provider.key,
                "name": provider.name,
                "username_hint": provider.username_hint,
                "username_is_secret": provider.username_is_secret,
                "username_default": provider.username_default,
                "password_hint": provider.password_hint,
                "auth_methods": list(provider.auth_methods),
                "oauth_provider": provider.oauth_provider,
                "oauth_username_hint": provider.oauth_username_hint,
                "note": provider.note,
                "endpoints": endpoints,
            }
        )
    catcher = dev_mail_catcher()
    if catcher is not None:
        host, port = catcher
        presets.append(
            {
                "key": "dev_mail_catcher",
                "name": "Local mail catcher (development only)",
                "username_hint": "None: leave it empty.",
                "username_is_secret": False,
                "username_default": "",
                "password_hint": "None.",
                "auth_methods": ["password"],
                "oauth_provider": "",
                "oauth_username_hint": "",
                "note": "The catcher that make run starts: it prints every email in the terminal "
                "and keeps it in var/mail/. Not offered in production.",
                "endpoints": [
                    {"host": host, "port": port, "tls_mode": TlsMode.NONE, "label": "Local"}
                ],
            }
        )
    return presets
