"""The report's figures counted the slow, obvious way: one case at a time.

Each case's record is replayed with the engine, its stages walked in a plain loop, and
working days counted with the scalar calendar. Nothing here uses the report's queries or
its numpy arithmetic, so agreement between the two is evidence that both are right.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parley.cases import selectors
from parley.cases.models import Disagreement
from parley.core import engine
from parley.core import report as core
from parley.core.calendar import WorkingCalendar
from parley.core.engine import EventKind, Status
from parley.core.report import Limit, Period

MOVES = {EventKind.ESCALATED, EventKind.BYPASSED, EventKind.IMMEDIATE_RISK_DECLARED}


def _due(calendar: WorkingCalendar, start: date, limit: Limit) -> date:
    if limit.calendar_days:
        return start + timedelta(days=limit.days)
    return calendar.add_working_days(start, limit.days)


def slow_figures(
    *, cases: list[Disagreement], period: Period, today: date, calendar: WorkingCalendar
) -> dict[str, Any]:
    zone = ZoneInfo(calendar.timezone)
    periods = period.with_earlier()
    here = period.code
    figures: dict[str, Any] = defaultdict(int)
    spans_left: dict[tuple[str, str], list[tuple[int, bool | None]]] = defaultdict(list)
    overall: dict[str, list[tuple[int, bool | None]]] = defaultdict(list)

    def local(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    for case in cases:
        procedure = selectors.procedure_of(case.procedure)
        track = procedure.track(case.track)
        record = [selectors.core_event(e) for e in case.events.order_by("sequence")]
        state = engine.replay(record, procedure)
        # The case's stages, walked by hand.
        visits: list[tuple[str, date, date | None, bool]] = []
        for event in record:
            if event.kind is EventKind.RAISED:
                visits.append(
                    [
                        event.stage,
                        local(event.at),
                        None,
                        event.data.get("route") == "immediate-risk",
                    ]
                )  # type: ignore[arg-type]
            elif event.kind in MOVES:
                visits[-1][2] = local(event.at)  # type: ignore[index]
                immediate = event.kind is EventKind.IMMEDIATE_RISK_DECLARED
                visits.append([event.data["to_stage"], local(event.at), None, immediate])  # type: ignore[arg-type]
            elif event.kind in (EventKind.RESOLVED, EventKind.WITHDRAWN):
                visits[-1][2] = local(event.at)  # type: ignore[index]
        raised = local(state.raised_at)
        for p in periods:
            code = p.code
            if p.contains(raised):
                figures[f"raised|{code}"] += 1
                figures[f"involved|{case.raising_agency_id}|{code}"] += 1
                figures[f"involved|{case.other_agency_id}|{code}"] += 1
            if state.resolved_at and p.contains(local(state.resolved_at)):
                figures[f"resolved|{code}"] += 1
                # Resolved where the procedure sends a form to someone (Wirral's proformas).
                if engine.forms_sent(procedure, state):
                    figures[f"forms_sent|{code}"] += 1
            if state.status is Status.WITHDRAWN and p.contains(local(state.closed_at)):
                figures[f"withdrawn|{code}"] += 1
            if state.status is Status.CLOSED and p.contains(local(state.closed_at)):
                figures[f"closed|{code}"] += 1
            learning = sum(
                1
                for e in record
                if e.kind is EventKind.LEARNING_REFERRED and p.contains(local(e.at))
            )
            figures[f"learning|{code}"] += learning
            open_cut = min(p.end, today + timedelta(days=1))
            overdue_cut = min(p.end, today)
            for stage_id, entered, left, immediate in visits:
                if immediate and p.contains(entered):
                    figures[f"immediate|{code}"] += 1
                stage = track.stage(stage_id)
                limit = core.stage_limit(procedure, stage)
                if left is not None and p.contains(left):
                    figures[f"left|{code}"] += 1
                    late = None if limit is None else left > _due(calendar, entered, limit)
                    if late is not None:
                        figures[f"{'late' if late else 'within'}|{code}"] += 1
                    if code == here:
                        days = calendar.working_days_between(entered, left)
                        spans_left[(stage_id, code)].append((days, late))
                if entered < open_cut and (left is None or left >= open_cut) and code == here:
                    figures[f"open_at|{stage_id}"] += 1
                    if (
                        limit is not None
                        and not limit.advisory
                        and _due(calendar, entered, limit) < overdue_cut
                    ):
                        figures[f"overdue_at|{stage_id}"] += 1
                if entered < open_cut and (left is None or left >= open_cut):
                    figures[f"open_end|{code}"] += 1
                    if (
                        limit is not None
                        and not limit.advisory
                        and _due(calendar, entered, limit) < overdue_cut
                    ):
                        figures[f"overdue_end|{code}"] += 1
        if period.contains(raised):
            figures[f"raising|{case.raising_agency_id}"] += 1
            figures[f"receiving|{case.other_agency_id}"] += 1
            figures[f"pair|{case.raising_agency_id}|{case.other_agency_id}"] += 1
            figures[f"category|{case.category}"] += 1
        ended_here = (state.resolved_at and period.contains(local(state.resolved_at))) or (
            state.status is Status.WITHDRAWN and period.contains(local(state.closed_at))
        )
        if ended_here:
            figures[f"concluded|{here}"] += 1
            highest = max(track.stage(s).number for s in state.stages_reached)
            figures[f"highest|{highest}"] += 1
            kind = "resolved_at" if state.resolved_at else "withdrawn_at"
            figures[f"{kind}|{state.stage}"] += 1
        if state.resolved_at and period.contains(local(state.resolved_at)):
            formal = [v for v in visits if not track.stage(v[0]).informal]
            if formal:
                start = formal[0][1]
                end = local(state.resolved_at)
                limit = core.overall_limit(procedure, track.stage(state.stage))
                late = None if limit is None else end > _due(calendar, start, limit)
                overall[state.stage].append((calendar.working_days_between(start, end), late))

    for (stage_id, _), rows in spans_left.items():
        days = [d for d, _ in rows]
        judged = [late for _, late in rows if late is not None]
        figures[f"stage_left|{stage_id}"] = len(rows)
        figures[f"stage_within|{stage_id}"] = judged.count(False)
        figures[f"stage_late|{stage_id}"] = judged.count(True)
        figures[f"share|stage_within|{stage_id}"] = (
            judged.count(False) / len(judged) if judged else None
        )
        figures[f"stage_median|{stage_id}"] = statistics.median(days)
        figures[f"stage_mean|{stage_id}"] = statistics.fmean(days)
    everything: list[tuple[int, bool | None]] = []
    for stage_id, rows in overall.items():
        everything.extend(rows)
        days = [d for d, _ in rows]
        judged = [late for _, late in rows if late is not None]
        if judged:
            figures[f"overall_within|{stage_id}"] = judged.count(False)
            figures[f"overall_late|{stage_id}"] = judged.count(True)
            figures[f"share|overall_within|{stage_id}"] = judged.count(False) / len(judged)
        figures[f"overall_median|{stage_id}"] = statistics.median(days)
        figures[f"overall_mean|{stage_id}"] = statistics.fmean(days)
    if everything:
        days = [d for d, _ in everything]
        judged = [late for _, late in everything if late is not None]
        figures["overall_within|all"] = judged.count(False)
        figures["overall_late|all"] = judged.count(True)
        figures["share|overall_within|all"] = judged.count(False) / len(judged) if judged else None
        figures["overall_median|all"] = statistics.median(days)
        figures["overall_mean|all"] = statistics.fmean(days)
        if len(everything) != figures.get(f"resolved|{here}", 0):
            figures["overall_count|all"] = len(everything)
    for p in periods:
        within, late = figures.get(f"within|{p.code}", 0), figures.get(f"late|{p.code}", 0)
        figures[f"share|within|{p.code}"] = within / (within + late) if within + late else None
    return dict(figures)


def meaningful(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures that say something: zeros and blanks are left out of comparisons."""
    return {
        key: (round(value, 9) if isinstance(value, float) else value)
        for key, value in figures.items()
        if value not in (0, None)
    }
