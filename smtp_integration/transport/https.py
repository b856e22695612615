"""POSTing to OAuth 2.0 token endpoints under the same rules as SMTP connections.

A tenant types the token URL (or a tenant ID that becomes part of one), so the host is
resolved and every address checked against the policy, the connection goes to a checked
address (no second lookup), the certificate is verified against the host name, and the whole
exchange ends by a deadline. Only HTTPS, on the policy's HTTPS ports.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from smtp_integration.transport.deadline import Deadline
from smtp_integration.transport.errors import InvalidHost, SmtpError, TokenUnavailable
from smtp_integration.transport.policy import SmtpPolicy, resolve_and_check, ssl_context_for
from smtp_integration.transport.text import printable
from smtp_integration.transport.types import Step

# Token responses are small; a larger one is not a token endpoint's.
MAX_RESPONSE = 64 * 1024


@dataclass(frozen=True)
class JsonResponse:
    status: int
    body: dict[str, Any]


def https_target(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an https:// URL; InvalidHost for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise InvalidHost(url)
    try:
        port = parts.port or 443
    except ValueError:
        raise InvalidHost(url) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def post_form(
    url: str,
    body: str,
    *,
    headers: dict[str, str],
    policy: SmtpPolicy,
    deadline_s: float = 10.0,
) -> JsonResponse:
    """POST ``body`` (form-encoded) to ``url`` and return its JSON answer, whatever the status.

    Raises a policy error (the URL's host or port is not allowed) or TokenUnavailable (the
    endpoint could not be reached, took too long or did not answer JSON).
    """
    host, port, path = https_target(url)
    ends_at = time.monotonic() + deadline_s
    try:
        addresses = resolve_and_check(
            host, port, policy, timeout=min(policy.connect_timeout, deadline_s), https=True
        )
    except SmtpError as error:
        error.step = Step.TOKEN
        raise
    connection = _PinnedHTTPSConnection(host, port, addresses, ssl_context_for(policy))
    deadline = connection.deadline = Deadline(ends_at, on_expiry=connection.cut)
    connection.connect_timeout = policy.connect_timeout
    try:
        with deadline.watch():
            connection.request(
                "POST",
                path,
                body=body.encode("utf-8"),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                    **headers,
                },
            )
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE + 1)
    except ssl.SSLCertVerificationError as exc:
        raise TokenUnavailable(
            f"certificate of {host} not verified: {exc.verify_message}",
            step=Step.TOKEN,
            host=host,
            port=port,
            detail=exc.verify_message,
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        what = "did not answer in time" if deadline.passed else printable(str(exc), 200)
        raise TokenUnavailable(
            f"{host}: {what}", step=Step.TOKEN, host=host, port=port, detail=what
        ) from None
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if len(data) <= MAX_RESPONSE else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise TokenUnavailable(
            f"{host} answered {response.status} without a JSON object",
            step=Step.TOKEN,
            host=host,
            port=port,
            code=response.status,
            detail=f"HTTP {response.status}",
        )
    return JsonResponse(status=response.status, body=parsed)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to checked addresses only, verified against the host name."""

    deadline: Deadline
    connect_timeout: float = 10.0

    def __init__(self, host, port, addresses, context):
        super().__init__(host, port, context=context)
        self._addresses = addresses

    def connect(self) -> None:
        error: OSError | None = None
        for address in self._addresses:
            try:
                raw = socket.create_connection(
                    (str(address), self.port), self.deadline.limit(self.connect_timeout)
                )
            except OSError as exc:
                error = exc
                continue
            self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
            return
        raise error or OSError("no address to connect to")

    def cut(self) -> None:
        """The deadline passed: shut the socket so that a blocked read returns now."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
