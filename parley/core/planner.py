"""What is due when: deadlines derived from a case's state, and the "if raised on" plan.

Deadlines are never stored as the truth: they are worked out from the procedure, the
calendar and the state, so a calendar change (a bank holiday added later) moves them by
recomputing. The database keeps a copy only to answer "what is overdue" quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from parley.core.calendar import Explanation, WorkingCalendar
from parley.core.durations import SAME_WORKING_DAY, Duration, Unit
from parley.core.engine import CaseState, Route, Status
from parley.core.procedure import (
    Cap,
    Clock,
    ClockKind,
    Procedure,
    Side,
    SideRoute,
    Stage,
    Step,
    StepAction,
    Track,
)
from parley.core.words import clock, long_date


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
    # Under a stage's shorter limit for this case: "Shortened to Wednesday 23 December 2026
    # because ...", as the case page shows it; empty otherwise.
    shortened: str = ""

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
        region=spec.region,
        closures=closures,
        end_of_day=spec.end_of_day,
        timezone=spec.timezone,
        calendar_days_end=spec.calendar_days_end,
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
    # Calendar days: every day counts; the procedure says whether a last day nobody works
    # moves to the next working day (calendar.explain_add_calendar_days).
    explanation = calendar.explain_add_calendar_days(anchor, limit.amount)
    assert isinstance(explanation.result, datetime)
    return explanation.result, explanation


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


def _immediate_step(
    stage: Stage, entered_at: datetime, completed: dict[str, datetime]
) -> Step | None:
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


@dataclass
class Clocks:
    """What a clock running from outside its stage needs (``after``): the raiser's answers,
    when other steps were done (in a plan, when they are due) and when caps end. A plan or
    a case fills it in as it goes; :func:`stage_plan` reads it and adds its own steps."""

    track: Track | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    steps: dict[str, tuple[datetime, Counted]] = field(default_factory=dict)  # "<stage>.<step>"
    caps: dict[str, Deadline] = field(default_factory=dict)


def _local(calendar: WorkingCalendar, moment: datetime) -> datetime:
    return moment.astimezone(calendar.end_of_working_day(moment.date()).tzinfo)


def _at(calendar: WorkingCalendar, moment: datetime) -> str:
    local = _local(calendar, moment)
    return f"{clock(local)} on {long_date(local.date(), weekday=True)}"


def _clocked(
    procedure: Procedure,
    calendar: WorkingCalendar,
    after: Clock | None,
    clocks: Clocks | None,
    usual: tuple[datetime, Counted],
) -> tuple[datetime, Counted, str, str]:
    """Where a limit runs from: the moment, how it was reached (see _counted), what it is
    in words, and a note where the clock ``after`` names has no date yet, so the ``usual``
    start stands. A date answered starts the clock at the close of that day's work."""
    if after is None:
        return (*usual, "", "")
    clocks = clocks or Clocks()
    otherwise = "so the clock runs as it otherwise would"
    if after.kind is ClockKind.ANSWER:
        question = procedure.question(after.ref)
        names = question.names or f"the answer to “{question.text}”"
        answer = clocks.answers.get(after.ref)
        if not answer:
            return (*usual, "", f"{names} was not given, {otherwise}")
        day = date.fromisoformat(answer)
        return (
            calendar.end_of_working_day(day),
            FIXED,
            f"{names} on {long_date(day, weekday=True)}",
            "",
        )
    if after.kind is ClockKind.CAP:
        cap = clocks.caps.get(after.ref)
        if cap is None:
            return (*usual, "", f"the limit across stages ({after.ref}) has no date, {otherwise}")
        how: Counted = (
            (cap.start_on, cap.working_days) if cap.start_on and cap.working_days else UNKNOWN
        )
        return cap.due, how, f"the end of the {_lower(cap.label)}, {_at(calendar, cap.due)}", ""
    stage_id, _, step_id = after.ref.partition(".")
    name = after.ref
    track = clocks.track
    if track is not None and track.has_stage(stage_id):
        name = f"“{track.stage(stage_id).step(step_id).name}”"
    done = clocks.steps.get(after.ref)
    if done is None:
        return (*usual, "", f"{name} has no date, {otherwise}")
    return done[0], done[1], f"{name}, {_at(calendar, done[0])}", ""


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _told(due: tuple[datetime, Explanation], words: str, note: str) -> tuple[datetime, Explanation]:
    """The deadline with where its clock ran from, or why it did not, said."""
    if not words and not note:
        return due
    notes = "; ".join(n for n in (note, due[1].note) if n)
    return due[0], dataclasses.replace(due[1], start_words=words, note=notes)


def _capped(stage: Stage, deadlines: list[Deadline], clocks: Clocks | None) -> list[Deadline]:
    """A stage or step inside a cap never ends after the cap does: its date is then the
    cap's, and its explanation says the cap set it. An advisory cap is guidance, shown
    beside the dates, and moves none of them (TWSP's 10 working days, Appendix 1)."""
    if clocks is None or clocks.track is None:
        return deadlines
    result = []
    for deadline in deadlines:
        for cap in clocks.track.caps:
            end = clocks.caps.get(cap.id)
            if (
                end is None
                or cap.advisory
                or deadline.kind not in (DeadlineKind.STEP, DeadlineKind.STAGE)
                or not cap.covers(stage.id, deadline.step)
                or deadline.due <= end.due
            ):
                continue
            note = f"the {_lower(end.label)} ({end.rule}) ends sooner, so it sets this date"
            deadline = dataclasses.replace(
                deadline,
                due=end.due,
                explanation=dataclasses.replace(end.explanation, note=note),
                start_on=end.start_on,
                working_days=end.working_days,
            )
        result.append(deadline)
    return result


def stage_plan(
    procedure: Procedure,
    calendar: WorkingCalendar,
    stage: Stage,
    entered_at: datetime,
    *,
    completed: dict[str, datetime] | None = None,
    agreed: bool = True,
    immediate: bool = False,
    clocks: Clocks | None = None,
    shortened: tuple[date, str] | None = None,
    priority: str = "",
) -> list[Deadline]:
    """The deadlines of one stage entered at ``entered_at``.

    ``priority``: the priority given at this stage (``priorities``), which sets its limit;
    empty, its default. ``shortened``: a shorter limit set for this stage in this case (its
    last day and the reason, ``may_shorten``); the stage, and any step that would end
    later, end then.

    A step's clock starts when the step it follows is done, or when that step was due if it
    is not done yet (so the plan shows the latest each step can be, if every one runs to its
    limit). Steps that only follow an agreement are left out until one is recorded. A clock
    the file starts elsewhere (``after``) reads ``clocks``; a cap there bounds the dates.
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
            usual = ends.get(step.anchor_event, entered_at), hows.get(step.anchor_event, FIXED)
        elif step.anchor.value == "stage-start":
            usual = entered_at, FIXED
        else:
            usual = previous_end, previous_how
        anchor, how, words, note = _clocked(procedure, calendar, step.clock, clocks, usual)
        limit = _step_limit(procedure, step, first)
        due = due_after(calendar, limit, anchor)
        done = completed.get(step.id)
        counted = _counted(calendar, limit, anchor, how)
        start_on, working_days = _flat(counted)
        if due is None:
            end = done or anchor
            end_how = FIXED if done else how
        else:
            due = _told(due, words, note)
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
        if clocks is not None:
            clocks.steps[f"{stage.id}.{step.id}"] = (end, end_how)
        previous_end, previous_how = end, end_how
    limits = _stage_limits(procedure, calendar, stage, entered_at, immediate, clocks, priority)
    deadlines = _capped(stage, [*deadlines, *limits], clocks)
    if shortened is not None:
        return [_shortened(d, calendar, stage, *shortened) for d in deadlines]
    return deadlines


def _stage_limits(
    procedure: Procedure,
    calendar: WorkingCalendar,
    stage: Stage,
    entered_at: datetime,
    immediate: bool,
    clocks: Clocks | None,
    priority: str = "",
) -> list[Deadline]:
    """The limits of a stage as a whole: reaching a stage with no steps on the
    immediate-risk route, and the stage's own limit."""
    deadlines = []
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
    own = _stage_deadline(procedure, calendar, stage, entered_at, priority, clocks)
    if own is not None:
        deadlines.append(own)
    return deadlines


def _stage_deadline(
    procedure: Procedure,
    calendar: WorkingCalendar,
    stage: Stage,
    entered_at: datetime,
    priority: str,
    clocks: Clocks | None = None,
) -> Deadline | None:
    """The stage's own limit, or the limit of the priority given there (``priorities``).

    It runs until the case leaves the stage (moved on, resolved or withdrawn), not until
    its steps are done: after the other practitioner's response at TWSP stage 1, or a
    discussion without agreement at stage 2, the 7 and 4 working days still bind
    (Appendix 1), or a case could sit there for ever."""
    chosen = stage.priority(priority)
    within = chosen.within if chosen is not None else stage.within
    if not within.is_limited:
        return None
    usual = entered_at, FIXED
    anchor, how, words, note = _clocked(procedure, calendar, stage.clock, clocks, usual)
    due = due_after(calendar, within, anchor)
    if due is None:
        return None
    due = _told(due, words, note)
    start_on, working_days = _flat(_counted(calendar, within, anchor, how))
    source = stage.source.shown("within")
    if chosen is not None:
        due = due[0], _with_note(due[1], f"the priority is {chosen.label}")
        source = chosen.source.shown() or source
    return Deadline(
        key=stage.id,
        kind=DeadlineKind.STAGE,
        label=_stage_ends(stage),
        stage=stage.id,
        due=due[0],
        explanation=due[1],
        rule=within.describe(),
        advisory=stage.advisory or procedure.advisory,
        source=source,
        start_on=start_on,
        working_days=working_days,
    )


def _with_note(explanation: Explanation, note: str) -> Explanation:
    joined = f"{note}; {explanation.note}" if explanation.note else note
    return dataclasses.replace(explanation, note=joined)


def _shortened(
    deadline: Deadline, calendar: WorkingCalendar, stage: Stage, day: date, because: str
) -> Deadline:
    """A deadline under a stage's shorter limit: the earlier of its own and the new last
    day ("whichever is shortest", TWSP Appendix 1), saying so in its explanation."""
    ends = calendar.end_of_working_day(day)
    if deadline.is_met or deadline.due <= ends:
        return deadline
    words = f"shortened to {long_date(day, weekday=True)} because {because.strip().rstrip('.')}"
    note = words if deadline.kind is DeadlineKind.STAGE else f"the stage's time limit was {words}"
    written = deadline.explanation
    explanation = Explanation(written.start, written.rule, ends, (), written.connective, note)
    shorten = stage.may_shorten
    return dataclasses.replace(
        deadline,
        due=ends,
        explanation=explanation,
        shortened=words[:1].upper() + words[1:],
        start_on=None,
        working_days=None,
        source=shorten.source.shown() if shorten is not None else deadline.source,
    )


def stage_ends(deadlines: list[Deadline], stage_id: str) -> date | None:
    """The last day of a stage's own limit as the case's deadlines have it now (the day a
    shorter limit must come before); None if the stage has no limit."""
    for deadline in deadlines:
        if deadline.kind is DeadlineKind.STAGE and deadline.stage == stage_id:
            return deadline.due.date()
    return None


def case_deadlines(
    procedure: Procedure, calendar: WorkingCalendar, state: CaseState
) -> list[Deadline]:
    """Every deadline that applies to the case now, soonest first; met ones included."""
    if state.status is not Status.OPEN:
        return []
    track = procedure.track(state.track)
    stage = track.stage(state.stage)
    clocks = _case_clocks(procedure, calendar, track, state)
    deadlines = stage_plan(
        procedure,
        calendar,
        stage,
        state.stage_entered_at,
        completed=dict(state.completed),
        agreed=state.agreed,
        immediate=state.route is Route.IMMEDIATE_RISK and state.immediate_stage == stage.id,
        clocks=clocks,
        shortened=((state.shortened_to, state.shortened_because) if state.shortened_to else None),
        priority=state.priority,
    )
    deadlines.extend(_span_deadlines(procedure, calendar, track, state, clocks))
    return sorted(deadlines, key=lambda d: (d.due, d.kind != DeadlineKind.STEP))


def _case_clocks(
    procedure: Procedure, calendar: WorkingCalendar, track: Track, state: CaseState
) -> Clocks:
    """A case's answers, the steps it has done at every stage, and its caps' ends: each
    cap's clock starts when the case first reached one of its stages."""
    clocks = Clocks(track, state.answers, {key: (at, FIXED) for key, at in state.done})
    for cap in track.caps:
        start = next((at for sid, at in state.stage_entries if sid in cap.stage_ids), None)
        if start is not None:
            _start_cap(procedure, calendar, track, cap, start, clocks)
    return clocks


def _start_cap(
    procedure: Procedure,
    calendar: WorkingCalendar,
    track: Track,
    cap: Cap,
    start: datetime,
    clocks: Clocks,
) -> None:
    """The cap's deadline, its clock started at ``start``, kept in ``clocks``."""
    due = due_after(calendar, cap.within, start)
    if due is None or cap.id in clocks.caps:
        return
    clocks.caps[cap.id] = Deadline(
        key=f"cap:{cap.id}",
        kind=DeadlineKind.CAP,
        label=_across(track, cap.stages),
        stage=cap.stage_ids[0],
        due=due[0],
        explanation=due[1],
        rule=cap.within.describe(),
        advisory=cap.advisory or procedure.advisory,
        source=cap.source.shown("within"),
        **_fixed(calendar, cap.within, start),
    )


def _span_deadlines(
    procedure: Procedure,
    calendar: WorkingCalendar,
    track: Track,
    state: CaseState,
    clocks: Clocks,
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
        deadline = clocks.caps.get(cap.id)
        if state.stage not in cap.stage_ids or deadline is None:
            continue
        # A cap over steps is met when they all are.
        done = dict(state.done)
        steps = [member for member in cap.stages if "." in member]
        met = max(done[m] for m in steps) if steps and all(m in done for m in steps) else None
        if len(steps) < len(cap.stages):
            met = None
        spans.append(dataclasses.replace(deadline, stage=state.stage, met_at=met))
    return spans


def _ended_by_cap(stage: Stage, deadlines: list[Deadline], clocks: Clocks) -> list[Deadline]:
    """A stage with no limit of its own inside a cap ends, at the latest, when the cap
    does: in a plan, the stage's end is the cap's."""
    # Its own limit, or a step's, ends it; reaching it on the immediate-risk route does not.
    if clocks.track is None or any(d.kind is DeadlineKind.STAGE or d.step for d in deadlines):
        return []
    ends = [
        clocks.caps[cap.id]
        for cap in clocks.track.caps
        if stage.id in cap.stages and cap.id in clocks.caps and not cap.advisory
    ]
    if not ends:
        return []
    cap = min(ends, key=lambda d: d.due)
    note = (
        f"the stage has no limit of its own, so the {_lower(cap.label)} ({cap.rule}) sets its end"
    )
    return [
        dataclasses.replace(
            cap,
            key=stage.id,
            kind=DeadlineKind.STAGE,
            label=_stage_ends(stage),
            stage=stage.id,
            explanation=dataclasses.replace(cap.explanation, note=note),
        )
    ]


def _across(track: Track, stages: tuple[str, ...] | list[str]) -> str:
    """ "Time limit for stages 1 and 2": a cap's label in words, not the file's ids; a cap
    over steps names them ("Time limit for “Discuss” and “Reply” (stage 1)")."""
    if any("." in member for member in stages):
        named = []
        for member in stages:
            stage_id, _, step_id = member.partition(".")
            stage = track.stage(stage_id)
            where = f"stage {stage.number}"
            named.append(f"“{stage.step(step_id).name}” ({where})" if step_id else where)
        return "Time limit for " + _and(named)
    numbers = [str(track.stage(s).number) for s in stages]
    if len(numbers) == 1:
        return f"Time limit for stage {numbers[0]}"
    return f"Time limit for stages {', '.join(numbers[:-1])} and {numbers[-1]}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


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
    clocks = Clocks(chosen, answers or {})
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
        for cap in chosen.caps:
            if stage.id in cap.stage_ids:
                _start_cap(procedure, calendar, chosen, cap, entered, clocks)
        deadlines = stage_plan(
            procedure, calendar, stage, entered, completed=done, immediate=immediate, clocks=clocks
        )
        deadlines += _ended_by_cap(stage, deadlines, clocks)
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
