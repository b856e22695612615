"""Provider presets for the configure form, from the provider data."""

from __future__ import annotations

from smtp_integration.providers import PROVIDERS
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
                "password_hint": provider.password_hint,
                "auth_methods": list(provider.auth_methods),
                "oauth_provider": provider.oauth_provider,
                "oauth_username_hint": provider.oauth_username_hint,
                "note": provider.note,
                "endpoints": endpoints,
            }
        )
    return presets
