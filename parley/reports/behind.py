"""The cases behind a figure, for one person's sight: the same definitions as the figures
(:mod:`parley.reports.definitions`).

Scoped by :func:`parley.cases.access.disagreement_list_visible_to`, so a list never shows
a case its reader could not open. For someone with sight of every case of the procedure
a list is exactly as long as its figure (a test checks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from parley.cases import access
from parley.cases.models import Disagreement, Event, Person
from parley.cases.selectors import core_event
from parley.core import report as core
from parley.core.report import Period
from parley.ops.routers import report_database
from parley.reports.definitions import BEHIND_WORDS
from parley.reports.figures import CHANGES
from parley.reports.scope import Scope

FIGURE_WORDS = BEHIND_WORDS  # parley/reports/definitions.py


class UnknownFigure(ValueError):
    pass


@dataclass(frozen=True)
class Behind:
    figure: str
    params: dict[str, str]

    @classmethod
    def read(cls, query: Mapping[str, str]) -> Behind:
        figure = query.get("figure", "")
        if figure not in FIGURE_WORDS:
            raise UnknownFigure(figure)
        keep = ("raising", "other", "agency", "category", "stage", "highest", "late")
        return cls(figure, {k: str(query[k]) for k in keep if query.get(k)})


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise UnknownFigure(value) from None


def cases_behind(
    *, person: Person, scope: Scope, period: Period, behind: Behind, today: date
) -> QuerySet[Disagreement]:
    zone = scope.zone
    start, end = period.bounds(zone)
    # From the replica when there is one, like the figures (docs/deploy.md).
    visible = (
        access.disagreement_list_visible_to(person=person)
        .filter(procedure_id__in=[v.pk for v in scope.versions])
        .using(report_database())
    )
    p = behind.params
    figure = behind.figure
    if figure == "raised":
        found = visible.filter(raised_at__gte=start, raised_at__lt=end)
        if "raising" in p:
            found = found.filter(raising_agency_id=_int(p["raising"]))
        if "other" in p:
            found = found.filter(other_agency_id=_int(p["other"]))
        if "agency" in p:
            agency = _int(p["agency"])
            found = found.filter(Q(raising_agency_id=agency) | Q(other_agency_id=agency))
        if "category" in p:
            found = found.filter(category="" if p["category"] == "-" else p["category"])
        return found
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    withdrawn = Q(status=Disagreement.Status.WITHDRAWN, closed_at__gte=start, closed_at__lt=end)
    if figure in ("resolved", "withdrawn", "closed", "ended"):
        condition = {
            "resolved": resolved,
            "withdrawn": withdrawn,
            "closed": Q(status=Disagreement.Status.CLOSED, closed_at__gte=start, closed_at__lt=end),
            "ended": resolved | withdrawn,
        }[figure]
        found = visible.filter(condition)
        if "stage" in p:
            found = found.filter(stage=p["stage"])
        if "highest" in p:
            found = found.filter(highest_stage_number=_int(p["highest"]))
        return found
    return visible.filter(pk__in=_by_stages(scope, period, visible, behind, today))


def _by_stages(
    scope: Scope, period: Period, visible: QuerySet[Disagreement], behind: Behind, today: date
) -> list[int]:
    """Figures that come from the stages in each case's record, case by case."""
    zone = scope.zone
    start, end = period.bounds(zone)
    candidates = visible.filter(
        Q(raised_at__lt=end)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        & ~Q(status=Disagreement.Status.WITHDRAWN, closed_at__lt=start)
    )
    records: dict[int, list[core.Event]] = defaultdict(list)
    versions: dict[int, int] = {}
    rows = (
        Event.objects.using(candidates.db)
        .filter(disagreement__in=candidates.values("pk"), kind__in=CHANGES)
        .select_related("disagreement")
        .only("disagreement__procedure_id", "kind", "at", "stage", "data", "actor_id")
        .order_by("disagreement_id", "sequence")
    )
    for event in rows:
        records[event.disagreement_id].append(core_event(event))
        versions[event.disagreement_id] = event.disagreement.procedure_id
    open_cut = min(period.end, today + timedelta(days=1))
    overdue_cut = min(period.end, today)
    stage = behind.params.get("stage")
    late = behind.params.get("late")
    found = []
    for case_id, record in records.items():
        for span in core.stage_spans(record):
            if stage and span.stage != stage:
                continue
            entered = span.entered_at.astimezone(zone).date()
            left = span.left_at.astimezone(zone).date() if span.left_at else None
            limit = scope.limit(versions[case_id], span.stage)
            if behind.figure == "immediate":
                hit = span.immediate and period.contains(entered)
            elif behind.figure in ("open", "overdue"):
                hit = entered < open_cut and (left is None or left >= open_cut)
                if hit and behind.figure == "overdue":
                    hit = (
                        limit is not None
                        and not limit.advisory
                        and _due(scope, entered, limit) < overdue_cut
                    )
            else:  # "left"
                hit = left is not None and period.contains(left)
                if hit and late is not None:
                    hit = limit is not None and (left > _due(scope, entered, limit)) == (
                        late == "1"
                    )  # type: ignore[operator]
            if hit:
                found.append(case_id)
                break
    return found


def _due(scope: Scope, entered: date, limit: core.Limit) -> date:
    if limit.calendar_days:
        return entered + timedelta(days=limit.days)
    return scope.calendar.add_working_days(entered, limit.days)
