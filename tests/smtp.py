"""A real SMTP server for the tests (aiosmtpd on a free loopback port) that can refuse, fail and block."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Collects delivered messages; refuses (for good or for now), fails or blocks on request."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.greylist: set[str] = set()  # refused for now (450), like a greylisting or full mailbox
        self.block: set[str] = set()
        self.down_after: int | None = None
        self.blocked = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.greylist:
            return "450 4.2.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.down_after is not None and len(self.messages) >= self.down_after:
            return "421 4.3.2 service not available"
        if set(envelope.rcpt_tos) & self.block:
            self.blocked.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
            return "451 4.3.0 try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def delivered(self) -> list[tuple[str, int]]:
        """(recipient, match id) for every match in every delivered message."""
        out = []
        for m in self.messages:
            for mid in str(m["X-Werkmatch-Matches"]).split(","):
                out.append((str(m["To"]), int(mid)))
        return out


class SmtpServer:
    """Start and stop the sink's server."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sink.release.set()
        self.controller.stop()
