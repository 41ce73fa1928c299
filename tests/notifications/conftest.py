"""Fixtures for the notification tests: the demo partnership, raising through the real
services, and a clock that runs the worker's sweep and sender at chosen moments."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Disagreement, Partnership, ProcedureVersion
from parley.notifications import services as notifications
from parley.notifications.models import Notification

LONDON = ZoneInfo("Europe/London")
HEALTH = "Demoshire NHS"
SOCIAL_CARE = "Demoshire Council Children"
POLICE = "Demoshire Police"
SCHOOL = "Demoshire Academy"
# The details a notification must never carry (they leave the secure system).
SECRETS = {
    "subject_name": "Jordan Secretname",
    "subject_client_reference": "CS-SECRET-99",
    "summary": "Unexplained bruising seen on three secret visits.",
    "evidence": "Secret health visiting records.",
    "outcome_sought": "A secret strategy discussion.",
    "other_professional_name": "Morgan Hiddenworker",
}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def partnership(db: None) -> Partnership:
    return demo_load(with_cases=False)


def version(partnership: Partnership, procedure_id: str) -> ProcedureVersion:
    return partnership.procedures.get(procedure_id=procedure_id, is_current=True)


def agency(partnership: Partnership, name_start: str) -> Agency:
    return partnership.agencies.get(name__startswith=name_start)


def raise_case(
    partnership: Partnership,
    procedure_id: str,
    when: datetime,
    *,
    raiser: str = "nia.nurse",
    raising: str = HEALTH,
    other: str = SOCIAL_CARE,
    other_professional: str | None = "sam.social",
    **extra: object,
) -> Disagreement:
    return services.disagreement_raise(
        procedure=version(partnership, procedure_id),
        raised_by=person(raiser),
        raising_agency=agency(partnership, raising),
        other_agency=agency(partnership, other),
        other_professional=person(other_professional) if other_professional else None,
        at=when,
        **{**SECRETS, **extra},  # type: ignore[arg-type]
    )


Action = Callable[[], object]


def run_clock(
    start: datetime,
    end: date,
    actions: Iterable[tuple[datetime, Action]] = (),
    *,
    hours: Iterable[int] = (0, 8, 17),
) -> None:
    """What the worker would do, at the moments that matter: at midnight (when "due
    today" falls due), at 8am (when what waited overnight goes), at 5pm (when the
    procedures' working days end) of every day from ``start`` to ``end``, and at the
    moment of each action (taken first): sweep for due deadlines and send what is due.
    ``start`` is a moment too (when the case was raised: the task enqueued when that
    committed sends at once). The real worker does the same every minute."""
    moments: dict[datetime, list[Action]] = {start: []}
    day = start.date()
    while day <= end:
        for hour in hours:
            moment = datetime.combine(day, time(hour), tzinfo=LONDON)
            if moment >= start:
                moments.setdefault(moment, [])
        day += timedelta(days=1)
    for moment, action in actions:
        moments.setdefault(moment, []).append(action)
    for moment in sorted(moments):
        for action in moments[moment]:
            action()
        notifications.notifications_sweep(now=moment)
        notifications.notifications_send_due(now=moment)


def sent_log(case: Disagreement | None = None) -> list[str]:
    """Every notification sent, as "Wed 23 Dec 2026 10:00 sam.social raised-with-you"."""
    rows = Notification.objects.filter(status=Notification.Status.SENT)
    if case is not None:
        rows = rows.filter(disagreement=case)
    lines = [
        f"{row.sent_at.astimezone(LONDON):%a %d %b %Y %H:%M %Z} "
        f"{row.recipient.user.username} {row.kind}"
        for row in rows.select_related("recipient__user")
    ]
    return sorted(lines, key=lambda line: (datetime.strptime(line[:21], "%a %d %b %Y %H:%M"), line))


def log_of(status: str) -> list[str]:
    return sorted(
        f"{row.recipient.user.username} {row.kind}: {row.last_error}"
        for row in Notification.objects.filter(status=status).select_related("recipient__user")
    )


@pytest.fixture
def mail_server(settings):
    """A real SMTP server (aiosmtpd on loopback) that Parley sends through."""
    from tests.notifications.mail_server import MailServer

    server = MailServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()
