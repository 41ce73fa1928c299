"""An email backend for the tests that always fails, as a mail server that is down."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class FailingBackend(BaseEmailBackend):
    """Like an SMTP server that is down."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("[Errno 111] Connection refused")
