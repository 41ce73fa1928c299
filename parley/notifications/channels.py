"""How a message leaves Parley: email through Django's email backends, or GOV.UK Notify.

A channel delivers one message under a delivery key. The key is the same every time the
same message is tried again, so the far end can recognise a repeat: it is the email's
Message-ID, and GOV.UK Notify's ``reference``. Notify can also be asked whether it
already has a message with that reference, so a repeat after a crash is not sent twice
(docs/adr/0003-notification-outbox-and-worker.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)

EMAIL = "email"
GOVUK_NOTIFY = "govuk-notify"


class DeliveryError(Exception):
    """A message not delivered. ``permanent``: trying again will not help (bad address,
    refused by the provider), so it fails at once instead of backing off."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


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

    def deliver(self, message: Outgoing) -> str:
        """Deliver and return the provider's reference for it; raise DeliveryError."""
        ...


class EmailChannel:
    """SMTP in production; the file or console backend in development (settings)."""

    name = EMAIL

    def deliver(self, message: Outgoing) -> str:
        host = urlsplit(str(settings.PARLEY_BASE_URL)).hostname or "parley.invalid"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                "Message-ID": f"<{message.key}@{host}>",
                "X-Parley-Delivery": message.key,
                "X-Parley-Notifications": ",".join(str(i) for i in message.notification_ids),
            },
        )
        try:
            with get_connection() as connection:
                sent = connection.send_messages([email])
        except Exception as error:  # any backend's failure: SMTP, socket, file system
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

    def deliver(self, message: Outgoing) -> str:
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
