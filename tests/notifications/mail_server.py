"""A real SMTP server for the tests: aiosmtpd on loopback, in a thread of the test process.

It keeps every message it accepts, parsed as a mail program would read it
(``email.policy.default``), can refuse for a while (451, "try again later", as a server
that is down or overloaded answers), and can be slow at a chosen point of the
conversation, which is where the worker-process tests kill a worker.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

REFUSAL = "451 4.3.0 Mail server busy, try again later"


@dataclass
class Received:
    message: EmailMessage
    recipients: list[str]
    at: datetime | None  # the tests' clock when it was accepted, if they keep one

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def notification_ids(self) -> list[int]:
        return [int(n) for n in str(self.message["X-Parley-Notifications"]).split(",")]


@dataclass
class MailServer:
    """``refusing``: answer every recipient with a 451 while it is true (or returns true).
    ``clock``: the tests' notion of now, stamped on what is accepted.
    ``slow_at``: "RCPT" or "DATA" to wait ``slow_seconds`` there: at RCPT before
    answering (the message is not yet sent), at DATA after the whole message arrived
    and before saying it was accepted."""

    refusing: bool | Callable[[], bool] = False
    clock: datetime | None = None
    slow_at: str = ""
    slow_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    reached: dict[str, threading.Event] = field(
        default_factory=lambda: {"RCPT": threading.Event(), "DATA": threading.Event()}
    )
    host: str = "127.0.0.1"
    port: int = 0

    # --- aiosmtpd's handler hooks ---------------------------------------------------------

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        refusing = self.refusing() if callable(self.refusing) else self.refusing
        if refusing:
            self.refused += 1
            return REFUSAL
        if self.slow_at == "RCPT":
            self.reached["RCPT"].set()
            await asyncio.sleep(self.slow_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(parsed, list(envelope.rcpt_tos), self.clock))
        if self.slow_at == "DATA":
            self.reached["DATA"].set()
            await asyncio.sleep(self.slow_seconds)
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"

    # --- running ----------------------------------------------------------------------------

    def start(self) -> MailServer:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)

            async def serve() -> None:
                # Port 0: the system gives a free one, so runs never collide.
                self._server = await self._loop.create_server(
                    lambda: SMTP(self, hostname="mail.test", enable_SMTPUTF8=True),
                    host=self.host,
                    port=self.port,
                )
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()

            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="test-smtp-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test mail server did not start")
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def settings(self) -> dict[str, object]:
        """Django settings that send through this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 30,
        }

    def environment(self) -> dict[str, str]:
        """The same, for a worker process started with Parley's settings."""
        return {
            "PARLEY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "PARLEY_EMAIL_HOST": self.host,
            "PARLEY_EMAIL_PORT": str(self.port),
            "PARLEY_EMAIL_USE_TLS": "0",
        }
