"""An SMTP server for benchmarks, in a process of its own: STARTTLS and AUTH, like a provider.

Prints "<unix time> <Message-ID>" for every accepted message, so the benchmark can time
send → 250 without sharing a process (or a GIL) with the server.

    python bench/smtp_sink.py --port 2587 --cert server.pem --key server.key
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.smtp_servers import SMTP_PASSWORD, SMTP_USERNAME, CertPair, server_tls_context


class SharedPortController(Controller):
    """Several sink processes may listen on one port; the kernel spreads connections."""

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker,
            host=self.hostname,
            port=self.port,
            ssl=self.ssl_context,
            reuse_port=True,
        )


class Handler:
    def __init__(self, delay: float = 0.0):
        self.delay = delay  # seconds per message, like a provider across a network

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message_id = b"-"
        for line in envelope.content.split(b"\r\n", 60):
            if line[:11].lower() == b"message-id:":
                message_id = line[11:].strip()
                break
        sys.stdout.write(f"{time.time():.6f} {message_id.decode()}\n")
        sys.stdout.flush()
        return "250 2.0.0 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USERNAME.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def main() -> None:
    # aiosmtpd warns about its own deprecated attribute on every AUTH.
    warnings.simplefilter("ignore", DeprecationWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    controller = SharedPortController(
        Handler(args.delay),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="smtp.test",
        tls_context=server_tls_context(CertPair(args.cert, args.key)),
        require_starttls=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
