"""The development mail page: every e-mail Parley has written, readable in the browser.

Only when ``PARLEY_ENV`` is not production (read when asked, not at import). In
development e-mail is not sent: Django's file backend writes it to ``var/mail/``. This
page shows the notices of the person's partnership still waiting in the outbox, as they
will be sent, each held one saying until when and why; and every e-mail in
``var/mail/`` as it was written (notices and morning digests, sign-in links,
invitations). Links written for ``PARLEY_BASE_URL`` are shown for the address this page
was opened on, so they work whatever port is served.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from markupsafe import Markup, escape

from parley.cases.access import person_of
from parley.notifications.models import Notification
from parley.notifications.selectors import notifications_waiting
from parley.notifications.wording import finish

SHOWN = 200
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# The file backend ends each message with a line of 79 dashes.
SEPARATOR = re.compile(rb"\r?\n-{79}\r?\n")
LINK = re.compile(r"https?://[^\s<>\"']+")


def development_mail_shown() -> bool:
    """Whether this Parley offers the page: never in production."""
    return not getattr(settings, "PRODUCTION", False)


@dataclass(frozen=True)
class Written:
    to: str
    subject: str
    body: Markup
    written: datetime | None
    status: str = ""
    held: str = ""


def _served_at(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def with_links(body: str, served: str) -> Markup:
    """The body as text, each link made clickable and moved to the address served."""
    base = str(getattr(settings, "PARLEY_BASE_URL", "")).rstrip("/")
    out, last = [], 0
    for found in LINK.finditer(body):
        out.append(escape(body[last : found.start()]))
        link = found.group(0)
        if base and link.startswith(base):
            link = served + link[len(base) :]
        out.append(Markup('<a class="govuk-link" href="{0}">{0}</a>').format(link))
        last = found.end()
    out.append(escape(body[last:]))
    return Markup("").join(out).replace("\n", Markup("<br>\n"))


def _outbox(partnership_id: int, served: str) -> list[Written]:
    rows = (
        Notification.objects.filter(partnership_id=partnership_id, sent_at__isnull=True)
        .exclude(status__in=[Notification.Status.SENT, Notification.Status.CANCELLED])
        .select_related("recipient", "disagreement__procedure", "partnership")
        .order_by("-created_at", "-pk")[:SHOWN]
    )
    return [
        Written(
            to=f"{row.recipient.name} <{row.recipient.email}>",
            subject=row.subject,
            body=with_links(finish(row.body, row.disagreement.reference), served),
            written=row.created_at,
            status=row.get_status_display(),
            held=waiting.held,
        )
        for waiting in notifications_waiting(rows)
        for row in (waiting.notification,)
    ]


def _files(served: str) -> list[Written]:
    """Every e-mail the file backend wrote, newest file first."""
    if getattr(settings, "EMAIL_BACKEND", "") != FILE_BACKEND:
        return []
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", ""))
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        for raw in SEPARATOR.split(path.read_bytes()):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=email.policy.default)
            part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
            body = part.get_content() if part is not None else ""
            date = message.get("Date")
            written = date.datetime if date is not None else None
            if written is not None and timezone.is_naive(written):
                written = timezone.make_aware(written, UTC)
            found.append(
                Written(
                    to=str(message.get("To", "")),
                    subject=str(message.get("Subject", "")),
                    body=with_links(body, served),
                    written=written,
                )
            )
            if len(found) == SHOWN:
                return found
    return found


def _shown_path(folder: Path) -> str:
    """The mail folder as a developer types it: from the checkout (``var/mail``)."""
    try:
        return str(folder.relative_to(Path(settings.BASE_DIR)))
    except (ValueError, AttributeError):
        return str(folder)


@login_required
@require_safe
def development_mail(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    if not development_mail_shown() or person is None:
        raise Http404
    served = _served_at(request)
    return render(
        request,
        "parley/notifications/development_mail.html",
        {
            "notices": _outbox(person.partnership_id, served),
            "others": _files(served),
            "folder": _shown_path(Path(getattr(settings, "EMAIL_FILE_PATH", ""))),
            "now": timezone.now(),
        },
    )
