"""A local SMTP server for development: prints each email and keeps it as a .eml file.

python -m cymmetri.devtools.mailcatcher --port 1025 --dir var/mail
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_LINK = re.compile(r"https?://\S+")
_CODE = re.compile(r"\b\d{6}\b")


def summarise(message: email.message.EmailMessage) -> str:
    """One line: who, what, and the link or code a developer is looking for."""
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    found = _LINK.search(text) or _CODE.search(text)
    hint = f"  {found.group(0)}" if found else ""
    return f"✉ {message['From']} → {message['To']}: {message['Subject']}{hint}"


class CatchingHandler:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.count += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count:04d}.eml"
        (self.directory / name).write_bytes(envelope.content)
        print(summarise(message), flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = Controller(CatchingHandler(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(
        f"Mail catcher listening on {args.host}:{args.port}; emails kept in {args.dir}/", flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
