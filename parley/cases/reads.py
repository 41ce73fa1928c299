"""The reads of the pages that list cases, by name, each with its access scoping inside.

Each is a prepared query (:class:`parley.dbprepared.Prepared`, ADR 0013): compiled to
SQL once per process for each shape of a person's sight (``access.Sight.shape``) and of
what was asked; the sight's versions, agencies and stages, what was typed and the page's
offset and limit are values. Pages call these and build no queries of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet

from parley.cases import access
from parley.cases.models import Deadline, Disagreement, Person
from parley.dbprepared import Prepared

LIST_LIMIT = 50  # each list on the home page; the register has the rest
# What a row of a list of cases shows (the register, the home page's lists): read as
# plain values, fifty at a time, rather than as cases with their agencies.
CASE_ROW = (
    "reference",
    "procedure_id",
    "track",
    "status",
    "route",
    "stage",
    "raised_at",
    "next_due_at",
    "raising_agency__name",
    "other_agency__name",
)
SORTS = {
    "reference": ("reference",),
    "raised": ("raised_at",),
    "stage": ("stage_number", "reference"),
    "deadline": ("next_due_at", "reference"),
}
SightShape = access.SightShape


# -- The home page ---------------------------------------------------------------------


def _mine(person_id: int, agencies: list[int], partnership_side: bool) -> Q:
    """Open steps on a side this person is on: theirs as a party, or their agencies'."""
    raising = Q(disagreement__raised_by_id=person_id) | Q(
        disagreement__raising_agency_id__in=agencies
    )
    other = Q(disagreement__other_professional_id=person_id) | Q(
        disagreement__other_agency_id__in=agencies
    )
    mine = Q(side__in=("raising", "both")) & raising | Q(side__in=("other", "both")) & other
    if partnership_side:
        mine |= Q(side="partnership")
    return mine


_WAITING_ON = Prepared(
    lambda layout, person_id, partnership_id, agencies, **sight: (
        Deadline.objects.filter(
            disagreement__partnership_id=partnership_id,
            disagreement__status=Disagreement.Status.OPEN,
            met_at__isnull=True,
            kind="step",
        )
        .filter(access.Sight.q_of(layout[0], person_id, "disagreement__", **sight))
        .filter(_mine(person_id, agencies, layout[1]))
        .order_by("due_at")[: LIST_LIMIT * 10]
    ),
    related=("disagreement", "disagreement__raising_agency", "disagreement__other_agency"),
)


def _recent(since: datetime) -> Q:
    return Q(status=Disagreement.Status.OPEN) | Q(resolved_at__gte=since) | Q(closed_at__gte=since)


def _theirs(
    layout: tuple[str, bool], person_id: int, partnership_id: int, since: datetime | None = None
) -> Any:
    """The disagreements a person raised or received (a party always sees them)."""
    which, show_all = layout
    cases = Disagreement.objects.filter(partnership_id=partnership_id)
    cases = cases.filter(
        **{"raised_by_id" if which == "raised" else "other_professional_id": person_id}
    )
    if since is not None:
        cases = cases.filter(_recent(since))
    return cases.order_by("-raised_at")[:LIST_LIMIT]


_THEIRS = Prepared(_theirs, columns=CASE_ROW)
_EARLIER = Prepared(
    lambda person_id, partnership_id, since: (
        Disagreement.objects.filter(
            Q(raised_by_id=person_id) | Q(other_professional_id=person_id),
            partnership_id=partnership_id,
        )
        .exclude(_recent(since))
        .values("partnership_id")
        .annotate(count=Count("pk"))
    ),
    columns=("count",),
)
_AGENCY_CASES = Prepared(
    lambda shape, person_id, partnership_id, agencies, **sight: (
        Disagreement.objects.filter(partnership_id=partnership_id, status=Disagreement.Status.OPEN)
        .filter(access.Sight.q_of(shape, person_id, **sight))
        .filter(Q(raising_agency_id__in=agencies) | Q(other_agency_id__in=agencies))
        .order_by(F("next_due_at").asc(nulls_last=True), "-raised_at")[:LIST_LIMIT]
    ),
    columns=CASE_ROW,
)
_ONGOING = Prepared(
    lambda shape, person_id, partnership_id, now, **sight: (
        Disagreement.objects.filter(partnership_id=partnership_id, status=Disagreement.Status.OPEN)
        .filter(access.Sight.q_of(shape, person_id, **sight))
        .values("partnership_id")
        .annotate(ongoing=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)))
    ),
    columns=("ongoing", "overdue"),
)


def home_steps_waiting(
    person: Person, *, agencies: list[int], partnership_side: bool
) -> list[Deadline]:
    """Open steps on cases this person may see, on a side they are on (theirs, their
    agencies', or the partnership's if ``partnership_side``), soonest first: up to ten
    times a home list, for the page to keep those the person holds."""
    sight = access.sight_of(person)
    return _WAITING_ON(
        layout=(sight.shape(), partnership_side),
        person_id=person.pk,
        partnership_id=person.partnership_id,
        agencies=agencies,
        **sight.values(),
    )


def home_cases(person: Person, which: str, *, since: datetime | None) -> list[tuple[Any, ...]]:
    """The ``CASE_ROW`` values of the cases this person ``raised`` or ``received``, newest
    first: those open or ended since ``since``, or all of them if it is None."""
    theirs: dict[str, Any] = {"person_id": person.pk, "partnership_id": person.partnership_id}
    if since is not None:
        theirs["since"] = since
    return _THEIRS(layout=(which, since is None), **theirs)


def home_earlier(person: Person, *, since: datetime) -> int:
    """How many cases this person raised or received ended before ``since``."""
    found = _EARLIER(person_id=person.pk, partnership_id=person.partnership_id, since=since)
    return sum(n for (n,) in found)


def home_agency_cases(person: Person, agencies: list[int]) -> list[tuple[Any, ...]]:
    """The ``CASE_ROW`` values of open cases of these agencies this person may see,
    next deadline first."""
    sight = access.sight_of(person)
    return _AGENCY_CASES(
        layout=sight.shape(),
        person_id=person.pk,
        partnership_id=person.partnership_id,
        agencies=agencies,
        **sight.values(),
    )


def home_ongoing(person: Person, now: datetime) -> tuple[int, int]:
    """How many open cases this person may see, and how many of them are overdue."""
    sight = access.sight_of(person)
    counted = _ONGOING(
        layout=sight.shape(),
        person_id=person.pk,
        partnership_id=person.partnership_id,
        now=now,
        **sight.values(),
    )
    return counted[0] if counted else (0, 0)


# -- The register ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the register is asked for: its filters and its order."""

    procedure: str
    stage: str
    agency: str
    overdue: bool
    sort: str
    descending: bool

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        sort = query.get("sort", "deadline")
        return cls(
            procedure=str(query.get("procedure", ""))[:80],
            stage=str(query.get("stage", ""))[:80],
            agency=str(query.get("agency", ""))[:20],
            overdue=query.get("overdue") == "yes",
            sort=sort if sort in SORTS else "deadline",
            descending=query.get("order") == "desc",
        )

    def query(self, **changes: Any) -> str:
        values = {
            "procedure": self.procedure,
            "stage": self.stage,
            "agency": self.agency,
            "overdue": "yes" if self.overdue else "",
            "sort": self.sort,
            "order": "desc" if self.descending else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})


def _ongoing(
    layout: tuple[SightShape, Filters],
    person_id: int,
    partnership_id: int,
    procedure: str = "",
    stage: str = "",
    agency: int | None = None,
    now: datetime | None = None,
    **sight: Any,
) -> QuerySet[Disagreement]:
    """The open cases this person can see, filtered and sorted as the register asks.
    Which filters apply, the order and the shape of the person's sight are the layout; the
    values typed, and the sight's versions, agencies and stages, are values."""
    sight_shape, filters = layout
    cases = Disagreement.objects.filter(
        partnership_id=partnership_id, status=Disagreement.Status.OPEN
    ).filter(access.Sight.q_of(sight_shape, person_id, **sight))
    if procedure:
        cases = cases.filter(procedure__procedure_id=procedure)
    if stage:
        cases = cases.filter(stage=stage)
    if agency is not None:
        cases = cases.filter(Q(raising_agency_id=agency) | Q(other_agency_id=agency))
    if now is not None:
        cases = cases.filter(next_due_at__lt=now)
    order = []
    for name in SORTS[filters.sort]:
        expression = F(name)
        order.append(
            expression.desc(nulls_last=True)
            if filters.descending
            else expression.asc(nulls_last=True)
        )
    return cases.select_related("raising_agency", "other_agency", "raised_by").order_by(*order)


def _values(person: Person, filters: Filters, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"person_id": person.pk, "partnership_id": person.partnership_id}
    if filters.procedure:
        values["procedure"] = filters.procedure
    if filters.stage:
        values["stage"] = filters.stage
    if filters.agency.isdigit() and int(filters.agency) < 2**31:
        values["agency"] = int(filters.agency)
    if filters.overdue:
        values["now"] = now
    values.update(access.sight_of(person).values())
    return values


def _layout(person: Person, filters: Filters) -> tuple[SightShape, Filters]:
    # Only what shapes the SQL: which filters are set and the order, not what was typed.
    shape = Filters(
        procedure="x" if filters.procedure else "",
        stage="x" if filters.stage else "",
        agency="1" if filters.agency.isdigit() else "",
        overdue=filters.overdue,
        sort=filters.sort,
        descending=filters.descending,
    )
    return access.sight_of(person).shape(), shape


def register_cases(person: Person, filters: Filters, now: datetime) -> QuerySet[Disagreement]:
    """Every open case this person may see, filtered and sorted as asked (the CSV)."""
    return _ongoing(_layout(person, filters), **_values(person, filters, now))


# The register's page of cases and their count, compiled once per process for each
# shape of sight and filters; the page's offset and limit are values.
_PAGE = Prepared(_ongoing, columns=CASE_ROW)
_COUNT = Prepared(
    lambda layout, **values: (
        _ongoing(layout, **values).order_by().values("partnership_id").annotate(count=Count("pk"))
    ),
    columns=("count",),
)


def register_count(person: Person, filters: Filters, now: datetime) -> int:
    """How many open cases this person may see match the filters."""
    found = _COUNT(layout=_layout(person, filters), **_values(person, filters, now))
    return sum(n for (n,) in found)


def register_page(
    person: Person, filters: Filters, now: datetime, *, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """The ``CASE_ROW`` values of one page of :func:`register_cases`."""
    return _PAGE(
        layout=_layout(person, filters),
        window=(offset, limit),
        **_values(person, filters, now),
    )
