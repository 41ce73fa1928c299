"""Email backends for the tests: one that always fails, and one that records every
message it is given durably, so that a worker process killed mid-send leaves a true
record of what it had already handed over."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class FailingBackend(BaseEmailBackend):
    """Like an SMTP server that is down."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("[Errno 111] Connection refused")


class RecordingBackend(BaseEmailBackend):
    """Appends one JSON line per message to ``$PARLEY_TEST_MAIL_DIR/<pid>.jsonl`` and
    flushes it to the operating system before returning. Then waits
    ``$PARLEY_TEST_MAIL_DELAY`` seconds, as a slow mail server would, which is when the
    tests kill the worker: after the message went, before Parley recorded it as sent."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ["PARLEY_TEST_MAIL_DIR"])
        delay = float(os.environ.get("PARLEY_TEST_MAIL_DELAY", "0"))
        with (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as record:
            for message in email_messages:
                line: dict[str, Any] = {
                    "pid": os.getpid(),
                    "to": message.to,
                    "subject": message.subject,
                    "key": message.extra_headers.get("X-Parley-Delivery"),
                    "message_id": message.extra_headers.get("Message-ID"),
                    "notifications": message.extra_headers.get("X-Parley-Notifications"),
                }
                record.write(json.dumps(line) + "\n")
                record.flush()
                os.fsync(record.fileno())
        time.sleep(delay)
        return len(email_messages)


def recorded(folder: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted(folder.glob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                lines.append(json.loads(text))
    return lines
