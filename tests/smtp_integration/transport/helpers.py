"""What the transport's tests share: a message's addresses, a port without a server, the
error a connection fails to open with, and a probe."""

from typing import NamedTuple

import pytest

from smtp_integration.transport import ProbeResult, SmtpConnection, SmtpError, probe

FROM = "noreply@example.com"
TO = "admin@example.com"


class Endpoint(NamedTuple):
    """A port with no test server behind it, for configs and policies."""

    port: int
    mode: str = "starttls"


def open_error(config, policy, **kwargs) -> SmtpError:
    with pytest.raises(SmtpError) as caught:
        SmtpConnection(config, policy, **kwargs).open()
    return caught.value


def run_probe(config, policy, message, **kwargs) -> ProbeResult:
    """Probe the server with ``message`` from FROM to TO."""
    return probe(config, policy, from_addr=FROM, to_addr=TO, message=message, **kwargs)
