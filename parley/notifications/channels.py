"""How a message leaves Parley: email through Django's email backends, or GOV.UK Notify.

A channel delivers one message under a delivery key. The key is the same every time the
same message is tried again, so the far end can recognise a repeat: it is the email's
Message-ID, and GOV.UK Notify's ``reference``. Notify can also be asked whether it
already has a message with that reference, so a repeat after a crash is not sent twice.

Email cannot be asked. So a message is marked as handed over (``handover``, committed)
once the mail server has accepted the sender and recipient and is waiting for the text,
and only then is the text sent and ended: a worker that dies after that mark is never
followed by a second copy; one that dies before it had sent nothing the server keeps
(a message the server has not seen end is thrown away). What this guarantees exactly is
in docs/notifications.md.
"""

from __future__ import annotations

import email.policy
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)

EMAIL = "email"
GOVUK_NOTIFY = "govuk-notify"

# Marks the message as handed over, committed; False if this sender no longer holds it
# (its claim lapsed and another sender took it), when nothing must be sent.
Handover = Callable[[], bool]


class DeliveryError(Exception):
    """A message not delivered. ``permanent``: trying again will not help (bad address,
    refused by the provider), so it fails at once instead of backing off."""

    def __init__(self, reason: str, *, permanent: bool = False, in_doubt: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # The message was handed over and then the answer was lost: it may have gone.
        # It is not sent again by itself (docs/notifications.md).
        self.in_doubt = in_doubt


class ClaimLost(Exception):
    """Another sender holds the message now: this one sent nothing and records nothing."""


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    key: str  # the delivery key
    notification_ids: tuple[int, ...]
    repeat: bool  # this delivery may already have gone (an earlier try was cut short)


class Channel(Protocol):
    name: str

    def deliver(self, message: Outgoing, handover: Handover) -> str:
        """Deliver and return the provider's reference for it; raise DeliveryError, or
        ClaimLost if ``handover`` says the message is no longer this sender's."""
        ...


class ParleyEmail(EmailMessage):
    """Django's email, with a Subject folded as mail programs read it back, and the
    headers that ask automatic replies (out of office) not to answer.

    Django 5.2 encodes a subject with a non-ASCII character (the dash before the
    reference) as one run of encoded words and breaks the line straight after
    "Subject:", which mail programs read back with a leading space. The standard
    library's own folding (``email.policy``) folds between words.
    """

    def message(self) -> Any:
        message = super().message()
        subject = str(self.subject)
        if "\n" in subject or "\r" in subject:  # as Django refuses: no header injection
            raise ValueError("a subject cannot contain a line break")
        folded = email.policy.default.fold("Subject", subject)
        del message["Subject"]
        Message.set_raw(message, "Subject", folded.split(":", 1)[1].strip(" ").rstrip("\n"))
        return message


def _email(message: Outgoing) -> ParleyEmail:
    host = urlsplit(str(settings.PARLEY_BASE_URL)).hostname or "parley.invalid"
    return ParleyEmail(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={
            "Message-ID": f"<{message.key}@{host}>",
            # RFC 3834: a machine wrote this; automatic replies should not answer it.
            "Auto-Submitted": "auto-generated",
            # Exchange and Outlook's own way of saying the same.
            "X-Auto-Response-Suppress": "All",
            "X-Parley-Delivery": message.key,
            "X-Parley-Notifications": ",".join(str(i) for i in message.notification_ids),
        },
    )


_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _smtp_send(backend: SmtpBackend, email_message: ParleyEmail, handover: Handover) -> str:
    """One message over SMTP, the conversation led step by step so that the handover
    mark is committed between the server's "354 go ahead" and the end of the text."""
    encoding = email_message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(email_message.from_email, encoding)
    recipients = [sanitize_address(a, encoding) for a in email_message.recipients()]
    text = email_message.message().as_bytes(linesep="\r\n")
    try:
        backend.open()
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    smtp = backend.connection
    assert smtp is not None
    handed = False
    try:
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sender)
        if code != 250:
            raise _refused("MAIL FROM", code, reply)
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise _refused("RCPT TO", code, reply)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            raise _refused("DATA", code, reply)
        if not handover():
            # Hang up without ending the text: the server throws the message away.
            smtp.close()
            raise ClaimLost
        handed = True
        data = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", text))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        smtp.send(data + b".\r\n")
        code, reply = smtp.getreply()
        if code != 250:
            raise _refused("the end of the message", code, reply)
        return reply.decode("utf-8", "replace")[:100]
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}", in_doubt=handed) from error
    finally:
        try:
            backend.close()
        except (OSError, smtplib.SMTPException):
            logger.warning("the mail server connection did not close cleanly", exc_info=True)


def _refused(step: str, code: int, reply: bytes) -> DeliveryError:
    words = reply.decode("utf-8", "replace")
    # 5xx: the server will not take it however often it is asked (bad address ...).
    return DeliveryError(
        f"The mail server refused it at {step}: {code} {words}", permanent=500 <= code < 600
    )


class EmailChannel:
    """SMTP in production; the file or console backend in development (settings)."""

    name = EMAIL

    def deliver(self, message: Outgoing, handover: Handover) -> str:
        email_message = _email(message)
        try:
            backend = get_connection()
        except Exception as error:  # a backend that cannot be made: settings
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        if isinstance(backend, SmtpBackend):
            return _smtp_send(backend, email_message, handover)
        # Any other backend (files in development, the tests' own) takes the message in
        # one call: it is marked handed over just before.
        if not handover():
            raise ClaimLost
        try:
            with backend:
                sent = backend.send_messages([email_message])
        except Exception as error:  # any backend's failure: socket, file system
            # Such a backend either took the message or did not: it is tried again.
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        if not sent:
            raise DeliveryError("the email backend accepted no message")
        return ""


class GovukNotifyChannel:
    """GOV.UK Notify, through its own client library.

    Needs an email template in Notify whose subject is ``((subject))`` and whose body is
    ``((body))``; PARLEY_NOTIFY_GOVUK_TEMPLATE_ID names it.
    """

    name = GOVUK_NOTIFY

    def deliver(self, message: Outgoing, handover: Handover | None = None) -> str:
        # No handover mark: Notify is asked, before any repeat, whether it already has
        # the reference, so a message cut short is sent again only if it never arrived.
        from notifications_python_client.errors import HTTPError
        from notifications_python_client.notifications import NotificationsAPIClient

        api_key = str(getattr(settings, "PARLEY_NOTIFY_GOVUK_API_KEY", "") or "")
        template = str(getattr(settings, "PARLEY_NOTIFY_GOVUK_TEMPLATE_ID", "") or "")
        if not api_key or not template:
            raise DeliveryError(
                "GOV.UK Notify is not set up: set PARLEY_NOTIFY_GOVUK_API_KEY and "
                "PARLEY_NOTIFY_GOVUK_TEMPLATE_ID",
                permanent=True,
            )
        client = NotificationsAPIClient(
            api_key, base_url=settings.PARLEY_NOTIFY_GOVUK_BASE_URL, timeout=30
        )
        try:
            if message.repeat:
                # An earlier try may have reached Notify before we could record it.
                found = client.get_all_notifications(reference=message.key)
                existing = (found or {}).get("notifications") or []
                if existing:
                    logger.info("delivery %s was already with GOV.UK Notify", message.key)
                    return str(existing[0].get("id", ""))
            response = client.send_email_notification(
                email_address=message.to,
                template_id=template,
                personalisation={"subject": message.subject, "body": message.body},
                reference=message.key,
            )
        except HTTPError as error:
            # 400 (validation) and 403 (bad key) will not succeed by waiting.
            permanent = error.status_code in (400, 403)
            raise DeliveryError(
                f"GOV.UK Notify answered {error.status_code}: {error.message}",
                permanent=permanent,
            ) from error
        except Exception as error:  # the network, an unexpected answer
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        return str(response.get("id", ""))


def channel_for(name: str) -> Channel:
    if name == GOVUK_NOTIFY:
        return GovukNotifyChannel()
    return EmailChannel()
