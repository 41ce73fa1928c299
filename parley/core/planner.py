"""What is due when: deadlines derived from a case's state, and the "if raised on" plan.

Deadlines are never stored as the truth: they are worked out from the procedure, the
calendar and the state, so a calendar change (a bank holiday added later) moves them by
recomputing. The database keeps a copy only to answer "what is overdue" quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from parley.core.calendar import Explanation, WorkingCalendar
from parley.core.durations import SAME_WORKING_DAY, Duration, Unit
from parley.core.engine import CaseState, Route, Status
from parley.core.procedure import Procedure, Side, SideRoute, Stage, Step, StepAction, Track


class DeadlineKind(StrEnum):
    STEP = "step"
    STAGE = "stage"
    CAP = "cap"
    OVERALL = "overall"


@dataclass(frozen=True)
class Deadline:
    key: str
    kind: DeadlineKind
    label: str
    stage: str
    due: datetime
    explanation: Explanation
    rule: str
    by: Side = Side.BOTH
    step: str = ""
    advisory: bool = False
    met_at: datetime | None = None
    # When the due day is simply ``working_days`` working days after ``start_on`` (a
    # working-days limit, or a chain of them each counting from the one before), a
    # calendar change can move it with the bulk arithmetic alone; None otherwise.
    start_on: date | None = None
    working_days: int | None = None
    # Where the limit comes from, as every page shows it: the document's passage, or
    # "Parley's choice: the document does not say" and the reason (Source.shown).
    source: str = ""

    @property
    def is_met(self) -> bool:
        return self.met_at is not None

    def is_overdue(self, now: datetime) -> bool:
        return self.met_at is None and now > self.due


def calendar_for(
    procedure: Procedure, extra_closures: dict[date, str] | None = None
) -> WorkingCalendar:
    spec = procedure.calendar
    closures = dict(spec.closures)
    closures.update(extra_closures or {})
    return WorkingCalendar(
        region=spec.region, closures=closures, end_of_day=spec.end_of_day, timezone=spec.timezone
    )


def counting_from(calendar: WorkingCalendar, anchor: datetime) -> date:
    """The day a working-days limit starting at ``anchor`` counts from (its day 0)."""
    local = anchor.astimezone(calendar.end_of_working_day(anchor.date()).tzinfo)
    # A clock that ran out at midnight (an hours limit ending as a day closes) ended
    # the day before: the next limit counts from that day, not the new one.
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


# How a moment a limit starts from was reached, for the bulk arithmetic: FIXED (a moment
# that happened: the stage was entered, a step was done), (day 0, n) for the due day n
# working days after day 0, or UNKNOWN (anything else: an hours limit on the way).
Counted = tuple[date, int] | None | str
FIXED: Counted = None
UNKNOWN: Counted = "unknown"


def _counted(calendar: WorkingCalendar, limit: Duration, anchor: datetime, how: Counted) -> Counted:
    """How the due day of ``limit`` from ``anchor`` (itself reached ``how``) is counted."""
    if limit.unit is not Unit.WORKING_DAYS:
        return UNKNOWN
    if how is FIXED:
        return counting_from(calendar, anchor), limit.amount
    if isinstance(how, tuple) and how[1] > 0:
        # n working days after a day that is itself k >= 1 working days after day 0 is
        # n + k working days after day 0. (After 0 days the day may have been rolled on.)
        return how[0], how[1] + limit.amount
    return UNKNOWN


def _flat(how: Counted) -> tuple[date | None, int | None]:
    return (how[0], how[1]) if isinstance(how, tuple) else (None, None)


def _fixed(calendar: WorkingCalendar, limit: Duration, anchor: datetime) -> dict[str, Any]:
    """The bulk-arithmetic fields of a deadline counted from a moment that happened."""
    start_on, working_days = _flat(_counted(calendar, limit, anchor, FIXED))
    return {"start_on": start_on, "working_days": working_days}


def _stage_ends(stage: Stage) -> str:
    """ "Stage 2 ends: Line or team managers": a stage's name is a title ("Discussion
    between the people who disagree"), not a noun to follow "End of"."""
    if stage.informal:
        return f"Informal stage ends: {stage.name}"
    return f"Stage {stage.number} ends: {stage.name}"


def due_after(
    calendar: WorkingCalendar, limit: Duration, anchor: datetime
) -> tuple[datetime, Explanation] | None:
    """When a limit that starts at ``anchor`` runs out, and how that was worked out."""
    if limit.unit is Unit.NONE:
        return None
    if limit.unit is Unit.WORKING_DAYS:
        explanation = calendar.explain_add_working_days(
            counting_from(calendar, anchor), limit.amount
        )
        result = explanation.result
        assert isinstance(result, date)
        return calendar.end_of_working_day(result), explanation
    if limit.unit is Unit.HOURS:
        explanation = calendar.explain_hours_limit(anchor, limit.amount)
        assert isinstance(explanation.result, datetime)
        return explanation.result, explanation
    if limit.unit is Unit.SAME_WORKING_DAY:
        explanation = calendar.explain_same_working_day(anchor)
        assert isinstance(explanation.result, datetime)
        return explanation.result, explanation
    # Calendar days: the end of the last day, whatever day of the week it is.
    local = anchor.astimezone(calendar.end_of_working_day(anchor.date()).tzinfo)
    last = local.date() + timedelta(days=limit.amount)
    due = datetime.combine(last, calendar.end_of_day, tzinfo=local.tzinfo)
    return due, Explanation(local, limit.describe(), due, ())


def _immediate_limit(procedure: Procedure) -> Duration:
    """How soon the first step must be done at the stage the immediate-risk route starts at."""
    if procedure.immediate_risk is None:
        return SAME_WORKING_DAY
    return procedure.immediate_risk.within


def _step_limit(procedure: Procedure, step: Step, immediate: Step | None) -> Duration:
    if step is immediate:
        return _immediate_limit(procedure)
    return step.within


def _immediate_source(procedure: Procedure) -> str:
    risk = procedure.immediate_risk
    return risk.source.shown("within") if risk is not None else ""


def _step_source(procedure: Procedure, stage: Stage, step: Step, immediate: Step | None) -> str:
    if step is immediate:
        return _immediate_source(procedure)
    return step.source.shown("within") or stage.source.shown("within")


def _immediate_step(stage: Stage, entered_at: datetime, completed: dict[str, datetime]) -> (
    Step | None
):  # fmt: skip
    """The step the immediate-risk route's limit binds: the first one of the stage it
    starts at that was not done in reaching it. Raising a case at a stage whose first step
    is the raise itself (Torbay children's Stage Three, "raises the concerns with the
    equivalent supervisor") does that step; the route's "act today" then binds the next,
    so that whichever stage the raiser chooses, something is due today (Introduction:
    "within the shortest timescale possible to ensure the child is protected")."""
    for step in stage.steps:
        done = completed.get(step.id)
        if done is None or done > entered_at:
            return step
    return None


def stage_plan(
    procedure: Procedure,
    calendar: WorkingCalendar,
    stage: Stage,
    entered_at: datetime,
    *,
    completed: dict[str, datetime] | None = None,
    agreed: bool = True,
    immediate: bool = False,
) -> list[Deadline]:
    """The deadlines of one stage entered at ``entered_at``.

    A step's clock starts when the step it follows is done, or when that step was due if it
    is not done yet (so the plan shows the latest each step can be, if every one runs to its
    limit). Steps that only follow an agreement are left out until one is recorded.
    """
    completed = completed or {}
    first = _immediate_step(stage, entered_at, completed) if immediate else None
    deadlines: list[Deadline] = []
    ends: dict[str, datetime] = {}
    hows: dict[str, Counted] = {}  # how each step's end was reached (see _counted)
    previous_end = entered_at
    previous_how: Counted = FIXED
    for step in stage.steps:
        if step.anchor_event:
            anchor = ends.get(step.anchor_event, entered_at)
            how = hows.get(step.anchor_event, FIXED)
        elif step.anchor.value == "stage-start":
            anchor, how = entered_at, FIXED
        else:
            anchor, how = previous_end, previous_how
        limit = _step_limit(procedure, step, first)
        due = due_after(calendar, limit, anchor)
        done = completed.get(step.id)
        counted = _counted(calendar, limit, anchor, how)
        start_on, working_days = _flat(counted)
        if due is None:
            end = done or anchor
            end_how = FIXED if done else how
        else:
            end = done or due[0]
            end_how = FIXED if done else counted
            if not step.only_if_agreed or agreed:
                deadlines.append(
                    Deadline(
                        key=f"{stage.id}/{step.id}",
                        kind=DeadlineKind.STEP,
                        label=step.name,
                        stage=stage.id,
                        step=step.id,
                        due=due[0],
                        explanation=due[1],
                        rule=limit.describe(),
                        by=step.by,
                        advisory=step.advisory or stage.advisory or procedure.advisory,
                        met_at=done,
                        start_on=start_on,
                        working_days=working_days,
                        source=_step_source(procedure, stage, step, first),
                    )
                )
        ends[step.id] = end
        hows[step.id] = end_how
        previous_end, previous_how = end, end_how
    if immediate and not stage.steps:
        # A stage with no steps still has to be reached in the route's time.
        limit = _immediate_limit(procedure)
        due = due_after(calendar, limit, entered_at)
        if due is not None:
            deadlines.append(
                Deadline(
                    key=f"{stage.id}/immediate-risk",
                    kind=DeadlineKind.STEP,
                    label=f"Escalate to {stage.name}",
                    stage=stage.id,
                    due=due[0],
                    explanation=due[1],
                    rule=limit.describe(),
                    advisory=stage.advisory or procedure.advisory,
                    source=_immediate_source(procedure),
                    **_fixed(calendar, limit, entered_at),
                )
            )
    if stage.within.is_limited:
        due = due_after(calendar, stage.within, entered_at)
        # The stage's own limit runs until the case leaves the stage (moved on, resolved
        # or withdrawn), not until its steps are done: after the other practitioner's
        # response at TWSP stage 1, or a discussion without agreement at stage 2, the 7
        # and 4 working days still bind (Appendix 1), or a case could sit there for ever.
        if due is not None:
            deadlines.append(
                Deadline(
                    key=stage.id,
                    kind=DeadlineKind.STAGE,
                    label=_stage_ends(stage),
                    stage=stage.id,
                    due=due[0],
                    explanation=due[1],
                    rule=stage.within.describe(),
                    advisory=stage.advisory or procedure.advisory,
                    source=stage.source.shown("within"),
                    **_fixed(calendar, stage.within, entered_at),
                )
            )
    return deadlines


def case_deadlines(
    procedure: Procedure, calendar: WorkingCalendar, state: CaseState
) -> list[Deadline]:
    """Every deadline that applies to the case now, soonest first; met ones included."""
    if state.status is not Status.OPEN:
        return []
    track = procedure.track(state.track)
    stage = track.stage(state.stage)
    deadlines = stage_plan(
        procedure,
        calendar,
        stage,
        state.stage_entered_at,
        completed=dict(state.completed),
        agreed=state.agreed,
        immediate=state.route is Route.IMMEDIATE_RISK and state.immediate_stage == stage.id,
    )
    deadlines.extend(_span_deadlines(procedure, calendar, track, state))
    return sorted(deadlines, key=lambda d: (d.due, d.kind != DeadlineKind.STEP))


def _span_deadlines(
    procedure: Procedure, calendar: WorkingCalendar, track: Track, state: CaseState
) -> list[Deadline]:
    spans: list[Deadline] = []
    if procedure.overall.is_limited:
        formal = [s.id for s in track.formal_stages()]
        start = next((at for sid, at in state.stage_entries if sid in formal), None)
        due = due_after(calendar, procedure.overall, start) if start else None
        if due is not None:
            spans.append(
                Deadline(
                    key="overall",
                    kind=DeadlineKind.OVERALL,
                    label="Overall limit for the whole procedure",
                    stage=state.stage,
                    due=due[0],
                    explanation=due[1],
                    rule=procedure.overall.describe(),
                    advisory=procedure.advisory,
                    **_fixed(calendar, procedure.overall, start),  # type: ignore[arg-type]
                )
            )
    for cap in track.caps:
        if state.stage not in cap.stages:
            continue
        start = next((at for sid, at in state.stage_entries if sid in cap.stages), None)
        due = due_after(calendar, cap.within, start) if start else None
        if due is not None:
            spans.append(
                Deadline(
                    key=f"cap:{cap.id}",
                    kind=DeadlineKind.CAP,
                    label=_across(track, cap.stages),
                    stage=state.stage,
                    due=due[0],
                    explanation=due[1],
                    rule=cap.within.describe(),
                    advisory=cap.advisory or procedure.advisory,
                    source=cap.source.shown("within"),
                    **_fixed(calendar, cap.within, start),  # type: ignore[arg-type]
                )
            )
    return spans


def _across(track: Track, stages: tuple[str, ...] | list[str]) -> str:
    """ "Time limit for stages 1 and 2": a cap's label in words, not the file's ids."""
    numbers = [str(track.stage(s).number) for s in stages]
    if len(numbers) == 1:
        return f"Time limit for stage {numbers[0]}"
    return f"Time limit for stages {', '.join(numbers[:-1])} and {numbers[-1]}"


def is_overdue(deadlines: list[Deadline], now: datetime) -> bool:
    """Whether a binding deadline has passed undone: the "deadline passed" trigger."""
    return any(d.is_overdue(now) and not d.advisory for d in deadlines)


def next_deadline(deadlines: list[Deadline]) -> Deadline | None:
    return next((d for d in deadlines if not d.is_met), None)


# --- the "if raised on" plan ------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStage:
    stage: Stage
    entered_at: datetime | None  # None once an earlier stage has no timescale
    deadlines: tuple[Deadline, ...]
    ends_at: datetime | None
    cumulative_working_days: int | None


@dataclass(frozen=True)
class Plan:
    procedure: Procedure
    track: Track
    raised_at: datetime
    immediate_risk: bool
    stages: tuple[PlannedStage, ...]
    overall: Deadline | None


def plan(
    procedure: Procedure,
    calendar: WorkingCalendar,
    raised_at: datetime,
    *,
    track: str | None = None,
    immediate_risk: bool = False,
    start_stage: str | None = None,
    answers: Mapping[str, str] | None = None,
) -> Plan:
    """If a disagreement is raised at ``raised_at`` and every stage runs to its limit.

    With ``answers``, the raiser's answers choose the way up where a stage's ``next``
    depends on them; without, the way a case goes when no condition holds."""
    chosen = procedure.track(track)
    if start_stage:
        first = chosen.stage(start_stage)
    elif (
        immediate_risk and procedure.immediate_risk and not procedure.immediate_risk.raiser_chooses
    ):
        first = chosen.stage(procedure.immediate_risk.start)
    else:
        first = chosen.first_stage()
    stages: list[PlannedStage] = []
    entered: datetime | None = raised_at
    base_day = raised_at.astimezone(calendar.end_of_working_day(raised_at.date()).tzinfo).date()
    formal_start: datetime | None = None
    for index, stage in enumerate(chosen.ladder_from(first, answers)):
        if entered is None:
            stages.append(PlannedStage(stage, None, (), None, None))
            continue
        if not stage.informal and formal_start is None:
            formal_start = entered
        immediate = immediate_risk and index == 0
        # Raising the case does the first step that raising does (engine: RAISED), so the
        # plan binds the same step as the case will (_immediate_step).
        done = (
            {step.id: raised_at for step in stage.steps[:1] if step.action is StepAction.RAISE}
            if immediate
            else {}
        )
        deadlines = stage_plan(
            procedure, calendar, stage, entered, completed=done, immediate=immediate
        )
        # Feedback to the raiser (Torbay Channel para 13) is given within a stage; it does
        # not make a stage with no timescale end.
        feedback = {step.id for step in stage.steps if step.action is StepAction.FEEDBACK}
        ends = max((d.due for d in deadlines if d.step not in feedback), default=None)
        cumulative = None
        if ends is not None:
            local_end = ends.astimezone(calendar.end_of_working_day(ends.date()).tzinfo).date()
            cumulative = calendar.working_days_between(base_day, local_end)
        stages.append(PlannedStage(stage, entered, tuple(deadlines), ends, cumulative))
        entered = ends  # None when the stage has no timescale: nothing after it can be dated
    overall = None
    if procedure.overall.is_limited and formal_start is not None:
        due = due_after(calendar, procedure.overall, formal_start)
        if due is not None:
            overall = Deadline(
                key="overall",
                kind=DeadlineKind.OVERALL,
                label="Overall limit",
                stage="",
                due=due[0],
                explanation=due[1],
                rule=procedure.overall.describe(),
                advisory=procedure.advisory,
            )
    return Plan(procedure, chosen, raised_at, immediate_risk, tuple(stages), overall)


# --- side routes out of the ladder -------------------------------------------------------


def side_route_deadlines(
    procedure: Procedure, calendar: WorkingCalendar, state: CaseState
) -> list[Deadline]:
    """The deadlines of the side routes under way on the case (a complaint about the
    partnership's handling), soonest first. They are kept apart from the case's own: a
    side route running late never moves the case up its ladder."""
    deadlines: list[Deadline] = []
    for taken in state.side_routes:
        if not taken.is_open:
            continue
        route = procedure.side_route(taken.route)
        stage = route.stage(taken.stage)
        for deadline in stage_plan(procedure, calendar, stage, taken.stage_entered_at):
            deadlines.append(_on_side_route(route, deadline))
    return sorted(deadlines, key=lambda d: d.due)


def _on_side_route(route: SideRoute, deadline: Deadline) -> Deadline:
    stage = route.stage(deadline.stage)
    return dataclasses.replace(
        deadline, key=f"{route.id}:{deadline.key}", label=f"{route.name}: {stage.name} ends"
    )


def side_route_plan(
    procedure: Procedure, calendar: WorkingCalendar, route_id: str, started_at: datetime
) -> tuple[PlannedStage, ...]:
    """If a side route is started at ``started_at`` and each of its stages runs to its
    limit: when each stage starts and ends."""
    route = procedure.side_route(route_id)
    planned: list[PlannedStage] = []
    entered: datetime | None = started_at
    for stage in route.stages:
        if entered is None:
            planned.append(PlannedStage(stage, None, (), None, None))
            continue
        deadlines = tuple(
            _on_side_route(route, d) for d in stage_plan(procedure, calendar, stage, entered)
        )
        ends = max((d.due for d in deadlines), default=None)
        planned.append(PlannedStage(stage, entered, deadlines, ends, None))
        entered = ends
    return tuple(planned)
