"""Reads of the outbox for pages and commands.

The outbox follows case sight. Operators (the partnership's administrators) run it for
every case, but see nothing at all of a case whose procedure keeps its cases to its own
panel (Channel, Prevent: ``parley.cases.access``) unless they may see that case: not
the row, its recipient, kind, time or reference, and it is not counted. A person's own
list shows only the cases they may still see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from parley.cases import access
from parley.cases.access import disagreement_list_visible_to, versions_of
from parley.cases.models import Disagreement, Partnership, Person
from parley.cases.selectors import calendar_of, procedure_of
from parley.core import notify as rules
from parley.core.calendar import WorkingCalendar
from parley.notifications.models import Notification, SweepRun


def is_administrator(person: Person | None) -> bool:
    """Whoever the roles table gives the operators' notification pages (the partnership's
    administrators) runs the notifications; no one else sees them all."""
    return access.has_page(person, "notifications")


def operator_sight(person: Person) -> Q:
    """The outbox rows an operator may know of (see the module's note)."""
    panel_only = [v.pk for v in versions_of(person) if procedure_of(v).is_channel]
    if not panel_only:
        return Q()
    return ~Q(disagreement__procedure_id__in=panel_only) | Q(
        disagreement__in=disagreement_list_visible_to(person=person).values("pk")
    )


def notification_list_for_operators(
    *, person: Person, status: str = "", kind: str = "", retried: bool = False
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(partnership_id=person.partnership_id).filter(
        operator_sight(person)
    )
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if retried:
        rows = rows.filter(attempts__gt=1)
    return rows.select_related("recipient", "disagreement__procedure").order_by(
        "-created_at", "-pk"
    )


def notification_list_mine(*, person: Person) -> QuerySet[Notification]:
    """Every notification addressed to this person about a case they may see, newest
    first."""
    return (
        Notification.objects.filter(recipient=person)
        .filter(disagreement__in=disagreement_list_visible_to(person=person).values("pk"))
        .select_related("disagreement")
        .order_by("-created_at", "-pk")
    )


def counts_by_status(
    *, partnership: Partnership | None = None, person: Person | None = None
) -> dict[str, int]:
    """How many notifications there are in each state: of one partnership, or as an
    operator may know of them (``person``), or all (the command line, for the host)."""
    rows = Notification.objects.all()
    if partnership is not None:
        rows = rows.filter(partnership=partnership)
    if person is not None:
        rows = rows.filter(partnership_id=person.partnership_id).filter(operator_sight(person))
    counts = dict.fromkeys(Notification.Status.values, 0)
    for status, count in rows.values("status").annotate(n=Count("pk")).values_list("status", "n"):
        counts[status] = count
    counts["retried"] = rows.filter(attempts__gt=1).count()
    return counts


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-started_at").first()


@dataclass(frozen=True)
class Waiting:
    """A notice not yet sent, and why it waits (empty when it goes at once)."""

    notification: Notification
    held: str


def notifications_waiting(rows: Iterable[Notification]) -> list[Waiting]:
    """Each unsent notice with the reason it is held for working hours, in words
    (:func:`parley.core.notify.held_words`), under its partnership's hours and calendar."""
    from parley.notifications.services import notification_settings_for

    found = []
    hours: dict[int, rules.WorkingHours] = {}
    calendars: dict[int, WorkingCalendar] = {}
    for row in rows:
        partnership = row.partnership
        if partnership.pk not in hours:
            prefs = notification_settings_for(partnership)
            hours[partnership.pk] = rules.WorkingHours(
                prefs.working_hours_start, prefs.working_hours_end
            )
        version = row.disagreement.procedure
        calendar = calendars.get(version.pk)
        if calendar is None:
            calendar = calendars[version.pk] = calendar_of(partnership, procedure_of(version))
        held = rules.held_words(
            row.created_at,
            row.scheduled_for,
            calendar=calendar,
            hours=hours[partnership.pk],
            urgent=row.urgent,
        )
        found.append(Waiting(row, held))
    return found


def notifications_waiting_for_case(case: Disagreement) -> list[Waiting]:
    """The notices a case's latest change queued and that have not gone yet."""
    rows = (
        Notification.objects.filter(disagreement=case, sent_at__isnull=True)
        .exclude(status__in=[Notification.Status.SENT, Notification.Status.CANCELLED])
        .select_related("recipient", "partnership", "disagreement__procedure")
        .order_by("recipient__name", "pk")
    )
    return notifications_waiting(rows)
