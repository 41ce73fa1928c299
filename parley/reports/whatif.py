"""A proposed version of a procedure, tried on the past year's concluded cases."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q

from parley.cases.models import Disagreement, Event
from parley.cases.selectors import calendar_of, core_event
from parley.core import report as core
from parley.core.procedure import Procedure, Stage
from parley.core.report import Period
from parley.reports.scope import Scope


def what_if_run(*, scope: Scope, proposed: Procedure, today: date, days: int) -> core.WhatIf:
    """Cases resolved or withdrawn in the ``days`` up to ``today``, re-run under both the
    version each ran under and ``proposed`` (:func:`parley.core.report.what_if`)."""
    start, end = Period(today - timedelta(days=days), today + timedelta(days=1)).bounds(scope.zone)
    concluded = scope.cases().filter(
        Q(resolved_at__gte=start, resolved_at__lt=end)
        | Q(status=Disagreement.Status.WITHDRAWN, closed_at__gte=start, closed_at__lt=end)
    )
    records: dict[int, list[core.Event]] = {}
    versions: dict[int, int] = {}
    rows = (
        Event.objects.filter(disagreement__in=concluded.values("pk"))
        .select_related("disagreement")
        .only("disagreement__procedure_id", "kind", "at", "stage", "data", "actor_id")
        .order_by("disagreement_id", "sequence")
    )
    for event in rows:
        records.setdefault(event.disagreement_id, []).append(core_event(event))
        versions[event.disagreement_id] = event.disagreement.procedure_id
    after = (
        calendar_of(scope.partnership, proposed)
        if scope.partnership is not None
        else scope.calendar
    )
    return core.what_if(
        (core.PastCase(scope.procedures[versions[pk]], tuple(r)) for pk, r in records.items()),
        proposed,
        calendar_before=scope.calendar,
        calendar_after=after,
    )


def limits_compared(
    scope: Scope, proposed: Procedure, outcome: core.WhatIf
) -> dict[str, tuple[str, str]]:
    """Each stage's timescale now and in the proposal, in words."""
    found = {}
    for row in outcome.stages:
        now = core.find_stage([scope.current], row.stage)
        then = core.find_stage([proposed], row.stage)
        found[row.stage] = (_words(now), _words(then) if then else "Not in the proposal")
    return found


def _words(found: tuple[Procedure, Stage] | None) -> str:
    limit = core.stage_limit(*found) if found else None
    return limit.describe() if limit else "No timescale"
