"""Reading the audit trail: who has looked at a case, and the trail filtered.

Only a partnership's administrators read its trail (:func:`administers`); the pages ask
here and show nothing of a case but its reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from parley.audit.models import AuditEntry
from parley.cases import access
from parley.cases.models import Disagreement, Person, RoleAssignment
from parley.core.procedure import STANDARD_ROLES

LOOKING = ("case.view", "case.download")
PAGE_SIZE = 50


def administers(person: Person | None, partnership_id: int | None) -> bool:
    """Someone of that partnership whose role the roles table gives the audit trail (its
    administrator, held partnership-wide)."""
    if person is None or partnership_id is None or person.partnership_id != partnership_id:
        return False
    return access.has_page(person, "audit")


def role_label(assignment: RoleAssignment) -> str:
    role = STANDARD_ROLES.get(assignment.role, assignment.role.replace("-", " ").capitalize())
    where = assignment.agency.name if assignment.agency else "partnership-wide"
    return f"{role}, {where}"


@dataclass(frozen=True)
class Viewer:
    """One person who has looked at a case: when first and last, how often."""

    person: Person | None
    name: str
    roles: tuple[str, ...]
    first_look: datetime
    last_look: datetime
    looks: int
    downloads: int


def case_viewers(*, disagreement: Disagreement) -> list[Viewer]:
    """Everyone who has looked at or downloaded from the case, most recent first.

    Three queries however many people and entries: the grouped counts, the people, and
    their roles with agencies.
    """
    rows = list(
        AuditEntry.objects.filter(disagreement=disagreement, action__in=LOOKING)
        .values("person_id")
        .annotate(
            first_look=Min("at"),
            last_look=Max("at"),
            looks=Count("id", filter=Q(action="case.view")),
            downloads=Count("id", filter=Q(action="case.download")),
        )
        .order_by("-last_look")
    )
    ids = [row["person_id"] for row in rows if row["person_id"] is not None]
    roles = Prefetch("roles", queryset=RoleAssignment.objects.select_related("agency"))
    people = Person.objects.prefetch_related(roles).in_bulk(ids) if ids else {}
    viewers = []
    for row in rows:
        person = people.get(row["person_id"])
        viewers.append(
            Viewer(
                person=person,
                name=person.name if person else "Unknown",
                roles=tuple(role_label(r) for r in person.roles.all()) if person else (),
                first_look=row["first_look"],
                last_look=row["last_look"],
                looks=row["looks"],
                downloads=row["downloads"],
            )
        )
    return viewers


# --- the trail, filtered ----------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilter:
    """What an administrator asked for; every field empty means everything."""

    action: str = ""
    person: str = ""
    reference: str = ""
    date_from: date | None = None
    date_to: date | None = None
    as_query: dict[str, str] = field(default_factory=dict, compare=False)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entry_list(*, partnership_id: int, chosen: EntryFilter) -> QuerySet[AuditEntry]:
    """The partnership's entries, newest first, narrowed by ``chosen``.

    Entries no partnership can be tied to (a failed sign-in with a username nobody
    has) are for the operator, not for any partnership's administrators.
    """
    entries = AuditEntry.objects.filter(partnership_id=partnership_id)
    if chosen.action:
        entries = entries.filter(action=chosen.action)
    if chosen.person:
        entries = entries.filter(
            Q(person__name__icontains=chosen.person) | Q(username__iexact=chosen.person)
        )
    if chosen.reference:
        entries = entries.filter(reference=chosen.reference)
    if chosen.date_from:
        entries = entries.filter(at__gte=_start_of(chosen.date_from))
    if chosen.date_to:
        entries = entries.filter(at__lt=_start_of(chosen.date_to + timedelta(days=1)))
    return entries.select_related("person").order_by("-sequence")


def case_entries(*, disagreement: Disagreement) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(disagreement=disagreement)
        .select_related("person")
        .order_by("-sequence")
    )


@dataclass(frozen=True)
class Page:
    """A page of entries, newest first; ``older`` is the ``before`` of the next page."""

    entries: list[AuditEntry]
    older: int | None
    newer: bool


def page_of(entries: QuerySet[AuditEntry], *, before: int | None) -> Page:
    """Keyset pages by sequence: no COUNT over a trail of millions, no OFFSET scan."""
    if before is not None:
        entries = entries.filter(sequence__lt=before)
    rows = list(entries[: PAGE_SIZE + 1])
    older = rows[PAGE_SIZE - 1].sequence if len(rows) > PAGE_SIZE else None
    return Page(entries=rows[:PAGE_SIZE], older=older, newer=before is not None)


# --- refusals: someone asking for cases they may not see ---------------------------------

# Refusals by one person within BURST_WINDOW that make a burst worth a look: someone
# walking through references, or a link shared with the wrong person and tried again
# and again. A mistyped reference now and then is one or two.
BURST_WINDOW = timedelta(minutes=10)
BURST_THRESHOLD = 10


@dataclass(frozen=True)
class RefusalSummary:
    """One person's refused requests for cases since a moment."""

    person: Person | None
    name: str
    username: str
    refusals: int
    first: datetime
    last: datetime
    busiest: int  # the most within any BURST_WINDOW
    busiest_from: datetime
    addresses: tuple[str, ...]
    burst: bool


def _busiest(moments: list[datetime], window: timedelta) -> tuple[int, datetime]:
    """The most moments inside any ``window``, and when that run began (oldest first)."""
    best, best_from, start = 0, moments[0], 0
    for end, moment in enumerate(moments):
        while moment - moments[start] > window:
            start += 1
        if end - start + 1 > best:
            best, best_from = end - start + 1, moments[start]
    return best, best_from


def refusal_summaries(
    *,
    partnership_id: int | None,
    since: datetime,
    window: timedelta = BURST_WINDOW,
    threshold: int = BURST_THRESHOLD,
) -> list[RefusalSummary]:
    """Everyone refused a case since ``since`` (in one partnership, or anywhere for
    ``None``), most refusals first, each flagged when ``threshold`` or more fell within
    ``window``. One query of three columns, then a pass over the times in memory."""
    entries = AuditEntry.objects.filter(action="case.refused", at__gte=since)
    if partnership_id is not None:
        entries = entries.filter(partnership_id=partnership_id)
    by_who: dict[tuple[int | None, str], list[tuple[datetime, str]]] = {}
    for person_id, username, at, address in entries.order_by("at").values_list(
        "person_id", "username", "at", "ip_address"
    ):
        by_who.setdefault((person_id, username), []).append((at, address))
    ids = [person_id for person_id, _ in by_who if person_id is not None]
    people = Person.objects.in_bulk(ids) if ids else {}
    summaries = []
    for (person_id, username), seen in by_who.items():
        moments = [at for at, _ in seen]
        busiest, busiest_from = _busiest(moments, window)
        who = people.get(person_id) if person_id is not None else None
        summaries.append(
            RefusalSummary(
                person=who,
                name=who.name if who else (username or "Not known"),
                username=username,
                refusals=len(moments),
                first=moments[0],
                last=moments[-1],
                busiest=busiest,
                busiest_from=busiest_from,
                addresses=tuple(sorted({address for _, address in seen if address})),
                burst=busiest >= threshold,
            )
        )
    return sorted(summaries, key=lambda s: (-s.busiest, -s.refusals, s.name))
