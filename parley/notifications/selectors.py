"""Reads of the outbox for pages and commands."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from parley.cases.models import Partnership, Person
from parley.notifications.models import Notification, SweepRun

ADMINISTRATOR = "administrator"


def is_administrator(person: Person | None) -> bool:
    """Partnership-wide administrators run the notifications; no one else sees them all."""
    if person is None:
        return False
    return person.roles.filter(role=ADMINISTRATOR, agency__isnull=True).exists()


def notification_list_for_operators(
    *, partnership: Partnership, status: str = "", kind: str = "", retried: bool = False
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(partnership=partnership)
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
    """Every notification addressed to this person, newest first."""
    return (
        Notification.objects.filter(recipient=person)
        .select_related("disagreement")
        .order_by("-created_at", "-pk")
    )


def counts_by_status(*, partnership: Partnership | None = None) -> dict[str, int]:
    rows = Notification.objects.all()
    if partnership is not None:
        rows = rows.filter(partnership=partnership)
    counts = dict.fromkeys(Notification.Status.values, 0)
    for status, count in rows.values("status").annotate(n=Count("pk")).values_list("status", "n"):
        counts[status] = count
    counts["retried"] = rows.filter(attempts__gt=1).count()
    return counts


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-started_at").first()
