"""Which action is allowed for whom, and the events each implies.

A case's state is a fold over its append-only events (:func:`replay`). Taking an action
(:func:`take`) never changes anything: it checks the action against the procedure and the
state and returns the events to append, or raises :class:`Refused` with a reason a person
can read. The web, API, CLI and tests all go through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from parley.core.procedure import (
    Debrief,
    EscalationTrigger,
    Form,
    NotifyWhen,
    Procedure,
    QuestionKind,
    Side,
    SideRoute,
    SideRouteFrom,
    Stage,
    StepAction,
    Track,
)
from parley.core.roles import Actor as Actor  # re-exported: callers name it from here
from parley.core.roles import (
    acting_for_agencies,
    acting_sides,
    involved_sides,
    role_of,
    single_agency_raisers,
    stage_side_roles,
)
from parley.core.words import long_date

E = TypeVar("E")


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Route(StrEnum):
    STANDARD = "standard"
    IMMEDIATE_RISK = "immediate-risk"


class EventKind(StrEnum):
    RAISED = "raised"
    IMMEDIATE_RISK_DECLARED = "immediate-risk-declared"
    DISCUSSION_RECORDED = "discussion-recorded"
    RESPONSE_RECORDED = "response-recorded"
    RESPONSE_JUDGED_UNSATISFACTORY = "response-judged-unsatisfactory"
    REFERRED = "referred"
    MEETING_HELD = "meeting-held"
    DECISION_MADE = "decision-made"
    ESCALATED = "escalated"
    BYPASSED = "bypassed"
    RESOLVED = "resolved"
    FEEDBACK_GIVEN = "feedback-given"
    DEBRIEF_RECORDED = "debrief-recorded"
    LEARNING_REFERRED = "learning-referred"
    NOTE_ADDED = "note-added"
    EVIDENCE_ATTACHED = "evidence-attached"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    DEADLINES_MOVED = "deadlines-moved"
    VERSION_CHANGED = "version-changed"
    FORM_ACKNOWLEDGED = "form-acknowledged"
    BODY_INFORMED = "body-informed"
    LIMIT_SHORTENED = "limit-shortened"
    PRIORITY_SET = "priority-set"
    VIEWS_RECORDED = "views-recorded"
    ADVICE_REQUESTED = "advice-requested"
    ADVICE_RECORDED = "advice-recorded"
    AGENCY_INVOLVED = "agency-involved"
    SIDE_ROUTE_STARTED = "side-route-started"
    SIDE_ROUTE_MOVED_ON = "side-route-moved-on"
    SIDE_ROUTE_ENDED = "side-route-ended"


class Who(StrEnum):
    """Who may take an action, beyond the sides it is for."""

    STAGE = "stage"  # those the procedure names at the current stage, for those sides
    INVOLVED = "involved"  # a party, or anyone who acts at a stage the case has reached
    RAISER = "raiser"  # the person who raised it, alone
    SENT_TO = "sent-to"  # whoever holds, partnership-wide, a role a form of the case went to
    ADVISER = "adviser"  # whoever holds, partnership-wide, an adviser's role asked on the case
    SIDE_ROUTE = "side-route"  # who may start a side route, then who acts at its stage
    NOBODY = "nobody"  # recorded by Parley itself


@dataclass(frozen=True)
class EventSpec:
    """What one kind of event means: the rules for taking it live here, as data."""

    label: str
    sides: frozenset[Side]  # the sides it is for; BOTH is implied by either side
    statuses: frozenset[Status]
    completes: frozenset[StepAction] = frozenset()
    required: tuple[str, ...] = ()  # fields that must be filled in, in words
    who: Who = Who.STAGE
    # False for what only adds to the record (a note, a file, feedback): a form opened
    # before one of these was written is not out of date.
    moves: bool = True
    raiser_too: bool = False  # the person who raised it may also take it, at any stage

    @property
    def system(self) -> bool:
        """Recorded by Parley itself, never offered to a person."""
        return self.who is Who.NOBODY


_ANY_PARTY = frozenset({Side.RAISING, Side.OTHER, Side.PARTNERSHIP})
_OPEN = frozenset({Status.OPEN})
_NOT_ENDED = frozenset({Status.OPEN, Status.RESOLVED})
_OUTCOME = frozenset({Status.RESOLVED, Status.CLOSED})
_SIDE_ROUTE_STATUSES = frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED})

EVENTS: Mapping[EventKind, EventSpec] = {
    EventKind.RAISED: EventSpec(
        "Disagreement raised",
        frozenset({Side.RAISING}),
        frozenset(),
        frozenset({StepAction.RAISE}),
        who=Who.NOBODY,
    ),
    # Anyone who sees someone at immediate risk must escalate it the same working day
    # (TWSP Appendix 1, stage 1; Wirral section 2): whoever is involved, at any stage.
    EventKind.IMMEDIATE_RISK_DECLARED: EventSpec(
        "Immediate risk: escalated the same working day",
        _ANY_PARTY,
        _OPEN,
        required=("text",),
        who=Who.INVOLVED,
    ),
    EventKind.DISCUSSION_RECORDED: EventSpec(
        "Discussion recorded",
        _ANY_PARTY,
        _OPEN,
        frozenset({StepAction.DISCUSS, StepAction.MEET, StepAction.RAISE}),
        ("text",),
    ),
    EventKind.RESPONSE_RECORDED: EventSpec(
        "Response recorded",
        frozenset({Side.OTHER, Side.PARTNERSHIP}),
        _OPEN,
        frozenset({StepAction.RESPOND, StepAction.CONFIRM}),
        ("text",),
    ),
    EventKind.RESPONSE_JUDGED_UNSATISFACTORY: EventSpec(
        "Response judged unsatisfactory",
        frozenset({Side.RAISING, Side.PARTNERSHIP}),
        _OPEN,
        required=("text",),
    ),
    EventKind.REFERRED: EventSpec(
        "Referred in writing",
        _ANY_PARTY,
        _OPEN,
        frozenset({StepAction.REFER, StepAction.RAISE}),
        ("text",),
    ),
    EventKind.MEETING_HELD: EventSpec(
        "Meeting held",
        _ANY_PARTY,
        _OPEN,
        frozenset({StepAction.MEET, StepAction.DISCUSS}),
        ("text",),
    ),
    EventKind.DECISION_MADE: EventSpec(
        "Decision made",
        frozenset({Side.PARTNERSHIP}),
        _OPEN,
        frozenset({StepAction.DECIDE}),
        ("text",),
    ),
    EventKind.ESCALATED: EventSpec("Escalated", _ANY_PARTY, _OPEN, required=("reason",)),
    EventKind.BYPASSED: EventSpec("Stage bypassed", _ANY_PARTY, _OPEN, required=("to_stage",)),
    EventKind.RESOLVED: EventSpec(
        "Resolved", _ANY_PARTY, _OPEN, frozenset({StepAction.CONFIRM, StepAction.DECIDE})
    ),
    # "It is the responsibility of the person to whom the issue is referred to ensure that
    # clear and timely feedback is provided" (Torbay Channel para 13): whoever acts now.
    EventKind.FEEDBACK_GIVEN: EventSpec(
        "Feedback given to the person who raised it",
        _ANY_PARTY,
        _NOT_ENDED,
        frozenset({StepAction.FEEDBACK}),
        required=("text",),
        moves=False,
    ),
    EventKind.DEBRIEF_RECORDED: EventSpec(
        "Debrief recorded",
        _ANY_PARTY,
        frozenset({Status.RESOLVED}),
        required=("text",),
        who=Who.INVOLVED,
        moves=False,
    ),
    EventKind.LEARNING_REFERRED: EventSpec(
        "Policy or learning issue referred",
        _ANY_PARTY,
        _NOT_ENDED,
        required=("text",),
        who=Who.INVOLVED,
        moves=False,
    ),
    EventKind.NOTE_ADDED: EventSpec(
        "Note added",
        _ANY_PARTY,
        _NOT_ENDED,
        required=("text",),
        who=Who.INVOLVED,
        moves=False,
    ),
    EventKind.EVIDENCE_ATTACHED: EventSpec(
        "Evidence attached",
        _ANY_PARTY,
        _NOT_ENDED,
        required=("filename",),
        who=Who.INVOLVED,
        moves=False,
    ),
    EventKind.CLOSED: EventSpec(
        "Closed",
        frozenset({Side.RAISING, Side.PARTNERSHIP}),
        frozenset({Status.RESOLVED}),
        raiser_too=True,
    ),
    EventKind.WITHDRAWN: EventSpec(
        "Withdrawn by the person who raised it",
        frozenset({Side.RAISING}),
        _OPEN,
        required=("reason",),
        who=Who.RAISER,
    ),
    EventKind.DEADLINES_MOVED: EventSpec(
        "Deadlines moved by a calendar change",
        frozenset(),
        _NOT_ENDED,
        who=Who.NOBODY,
        moves=False,
    ),
    # Taken by the business manager from the procedure's pages, never from a case's:
    # recorded through the one door (services.disagreement_version_change).
    EventKind.VERSION_CHANGED: EventSpec(
        "Moved onto a new version of the procedure",
        frozenset(),
        _NOT_ENDED,
        who=Who.NOBODY,
    ),
    # A form the procedure sends to a partnership role when a case is resolved (Wirral's
    # proformas to the WSCB Business Manager, section 2 and Appendix 2) is theirs to
    # acknowledge: until they do, it waits on their home page.
    # Whom a stage says those acting for the partnership may inform (``informs``): TWSP's
    # Executive "will ... inform relevant professional bodies if appropriate, i.e. Care
    # Quality Commission" (Appendix 1, after stage 3). Recorded as its own action.
    EventKind.BODY_INFORMED: EventSpec(
        "Professional body informed",
        frozenset({Side.PARTNERSHIP}),
        _NOT_ENDED,
        required=("text",),
        moves=False,
    ),
    # "Within 10 working days or a timescale that protects the child or adult from harm
    # (whichever is shortest)" (TWSP Appendix 1): where a stage says who may
    # (``may_shorten``), those holding it now set a shorter limit for this case, with a
    # reason. The date is the stage's new last day.
    EventKind.LIMIT_SHORTENED: EventSpec(
        "Time limit shortened for this stage",
        _ANY_PARTY,
        _OPEN,
        required=("due", "reason"),
    ),
    # Where a stage gives priorities, each with its own time limit (``priorities``), those
    # holding it now give the case one; the stage's limit follows it.
    EventKind.PRIORITY_SET: EventSpec(
        "Priority set for this stage",
        _ANY_PARTY,
        _OPEN,
        required=("priority",),
    ),
    # The person the disagreement is about, or their representative (``participants``):
    # whoever holds the stage tells them and records their views.
    EventKind.VIEWS_RECORDED: EventSpec(
        "Views recorded",
        _ANY_PARTY,
        _NOT_ENDED,
        required=("text",),
        moves=False,
    ),
    # An adviser (``advisers``: a designated doctor or nurse) may be asked at any stage by
    # whoever holds it; the adviser then records advice on that case, and on no other.
    EventKind.ADVICE_REQUESTED: EventSpec(
        "Adviser asked",
        _ANY_PARTY,
        _OPEN,
        required=("adviser", "text"),
        moves=False,
    ),
    EventKind.ADVICE_RECORDED: EventSpec(
        "Advice recorded",
        frozenset({Side.PARTNERSHIP}),
        _NOT_ENDED,
        required=("text",),
        who=Who.ADVISER,
        moves=False,
    ),
    # A network meeting (a stage's ``meeting``) brings in every agency involved, beyond
    # the two sides: whoever holds the stage records which they are.
    EventKind.AGENCY_INVOLVED: EventSpec(
        "Agency involved added",
        _ANY_PARTY,
        _OPEN,
        required=("agency",),
        moves=False,
    ),
    EventKind.FORM_ACKNOWLEDGED: EventSpec(
        "Form received and acknowledged",
        frozenset({Side.PARTNERSHIP}),
        _OUTCOME,
        required=("form",),
        who=Who.SENT_TO,
        moves=False,
    ),
    # A side route out of the ladder (``side_routes``): a complaint about the partnership's
    # handling, to its executive and then its independent scrutineer. It runs beside the
    # case, on the case's record, and never moves the case itself.
    EventKind.SIDE_ROUTE_STARTED: EventSpec(
        "Side route started",
        _ANY_PARTY,
        _SIDE_ROUTE_STATUSES,
        required=("route", "text"),
        who=Who.SIDE_ROUTE,
        moves=False,
    ),
    EventKind.SIDE_ROUTE_MOVED_ON: EventSpec(
        "Side route taken to its next stage",
        _ANY_PARTY,
        _SIDE_ROUTE_STATUSES,
        required=("route", "reason"),
        who=Who.SIDE_ROUTE,
        moves=False,
    ),
    EventKind.SIDE_ROUTE_ENDED: EventSpec(
        "Side route ended",
        _ANY_PARTY,
        _SIDE_ROUTE_STATUSES,
        required=("route", "outcome"),
        who=Who.SIDE_ROUTE,
        moves=False,
    ),
}
SIDE_ROUTE_EVENTS = frozenset(
    {EventKind.SIDE_ROUTE_STARTED, EventKind.SIDE_ROUTE_MOVED_ON, EventKind.SIDE_ROUTE_ENDED}
)

# The records in which the parties can say they have agreed (unlocking "if agreed" steps).
AGREEMENT_EVENTS = frozenset(
    {EventKind.DISCUSSION_RECORDED, EventKind.RESPONSE_RECORDED, EventKind.MEETING_HELD}
)

FIELD_WORDS = {
    "text": "what happened",
    "reason": "the reason",
    "to_stage": "the stage to go to",
    "filename": "the file",
    "outcome": "the written outcome",
    "outstanding": "how any outstanding issues will be pursued",
    "form": "the form you are acknowledging",
    "due": "the new last day of the stage",
    "priority": "the priority",
    "adviser": "which adviser to ask",
    "agency": "the agency involved",
    "route": "the route to take",
}


class Refused(Exception):
    """An action the procedure or the case's state does not allow, with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime
    actor: str
    stage: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SideRouteState:
    """One side route taken from a case: where it is, since when, and whether it ended."""

    route: str
    stage: str
    started_at: datetime
    stage_entered_at: datetime
    started_by: str
    ended_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class CaseState:
    procedure: str  # id@version
    track: str
    status: Status
    route: Route
    stage: str
    raised_at: datetime
    stage_entered_at: datetime
    completed: tuple[tuple[str, datetime], ...] = ()  # steps of the current stage
    agreed: bool = False
    responded: bool = False
    unsatisfactory: bool = False
    stages_reached: tuple[str, ...] = ()
    stage_entries: tuple[tuple[str, datetime], ...] = ()
    resolved_at: datetime | None = None
    resolved_stage: str = ""
    closed_at: datetime | None = None
    feedback_count: int = 0
    debriefed: bool = False
    learning_referrals: int = 0
    raised_by: str = ""
    immediate_stage: str = ""  # the stage the immediate-risk route took the case to
    acknowledged: tuple[str, ...] = ()  # forms sent (forms_sent) their recipient acknowledged
    # The raiser's answers to the procedure's questions, by question id (dates ISO).
    answers: Mapping[str, str] = field(default_factory=dict)
    side_routes: tuple[SideRouteState, ...] = ()  # the side routes taken, in order

    def side_route(self, route_id: str) -> SideRouteState | None:
        """The latest time this side route was taken from the case, if it was."""
        taken = [side for side in self.side_routes if side.route == route_id]
        return taken[-1] if taken else None

    # Every step done at any stage, as ("<stage id>.<step id>", when): a clock may run from
    # a step of an earlier stage (``after: stage-1.discuss``).
    done: tuple[tuple[str, datetime], ...] = ()
    # A shorter limit set for the current stage (LIMIT_SHORTENED): its last day, and why.
    shortened_to: date | None = None
    shortened_because: str = ""
    priority: str = ""  # the priority given at the current stage (PRIORITY_SET)
    views_recorded_at: tuple[datetime, ...] = ()  # the subject's views, each time recorded
    advisers_asked: tuple[str, ...] = ()  # the adviser roles asked about this case
    agencies_involved: tuple[str, ...] = ()  # beyond the two sides: agency ids, as added
    advice_count: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    def completed_at(self, step_id: str) -> datetime | None:
        for done_id, at in self.completed:
            if done_id == step_id:
                return at
        return None

    def entered(self, stage_id: str) -> datetime | None:
        for entered_id, at in self.stage_entries:
            if entered_id == stage_id:
                return at
        return None


# --- the fold ---------------------------------------------------------------------------


def replay(events: Iterable[Event], procedure: Procedure) -> CaseState:
    state: CaseState | None = None
    for event in events:
        state = apply(state, event, procedure)
    if state is None:
        raise ValueError("a case's record starts with the event that raised it")
    return state


def apply(state: CaseState | None, event: Event, procedure: Procedure) -> CaseState:
    """The state after ``event``. Events were checked when taken, so this only folds."""
    if event.kind is EventKind.RAISED:
        track_id = str(event.data.get("track") or procedure.track().id)
        route = Route(event.data.get("route", Route.STANDARD))
        start = procedure.track(track_id).stage(event.stage)
        raised = CaseState(
            procedure=procedure.key,
            track=track_id,
            status=Status.OPEN,
            route=route,
            stage=event.stage,
            raised_at=event.at,
            stage_entered_at=event.at,
            stages_reached=(event.stage,),
            stage_entries=((event.stage, event.at),),
            raised_by=event.actor,
            immediate_stage=event.stage if route is Route.IMMEDIATE_RISK else "",
            answers={str(k): str(v) for k, v in dict(event.data.get("answers") or {}).items()},
        )
        return _complete_steps(raised, start, event, procedure)
    if state is None:
        raise ValueError("a case's record starts with the event that raised it")
    if event.kind in SIDE_ROUTE_EVENTS:
        return _apply_side_route(state, event, procedure)
    track = procedure.track(state.track)
    stage = track.stage(state.stage)
    kind = event.kind
    if kind in (EventKind.ESCALATED, EventKind.BYPASSED, EventKind.IMMEDIATE_RISK_DECLARED):
        to_stage = str(event.data["to_stage"])
        route = Route.IMMEDIATE_RISK if kind is EventKind.IMMEDIATE_RISK_DECLARED else state.route
        return dataclasses.replace(
            state,
            stage=to_stage,
            route=route,
            stage_entered_at=event.at,
            completed=(),
            agreed=False,
            responded=False,
            unsatisfactory=False,
            stages_reached=(*state.stages_reached, to_stage),
            stage_entries=(*state.stage_entries, (to_stage, event.at)),
            immediate_stage=(
                to_stage if kind is EventKind.IMMEDIATE_RISK_DECLARED else state.immediate_stage
            ),
            shortened_to=None,
            shortened_because="",
            priority="",
        )
    if kind is EventKind.RESPONSE_JUDGED_UNSATISFACTORY:
        return dataclasses.replace(state, unsatisfactory=True, agreed=False)
    if kind is EventKind.RESOLVED:
        resolved = dataclasses.replace(
            state,
            status=Status.RESOLVED,
            resolved_at=event.at,
            resolved_stage=state.stage,
            agreed=True,
        )
        return _complete_steps(resolved, stage, event, procedure)
    if kind is EventKind.CLOSED:
        return dataclasses.replace(state, status=Status.CLOSED, closed_at=event.at)
    if kind is EventKind.WITHDRAWN:
        return dataclasses.replace(state, status=Status.WITHDRAWN, closed_at=event.at)
    if kind is EventKind.FEEDBACK_GIVEN:
        given = dataclasses.replace(state, feedback_count=state.feedback_count + 1)
        return _complete_steps(given, stage, event, procedure)
    if kind is EventKind.DEBRIEF_RECORDED:
        return dataclasses.replace(state, debriefed=True)
    if kind is EventKind.LEARNING_REFERRED:
        return dataclasses.replace(state, learning_referrals=state.learning_referrals + 1)
    if kind is EventKind.FORM_ACKNOWLEDGED:
        form_id = str(event.data.get("form", ""))
        return dataclasses.replace(state, acknowledged=(*state.acknowledged, form_id))
    if kind is EventKind.PRIORITY_SET:
        return dataclasses.replace(state, priority=str(event.data["priority"]))
    if kind is EventKind.LIMIT_SHORTENED:
        return dataclasses.replace(
            state,
            shortened_to=date.fromisoformat(str(event.data["due"])),
            shortened_because=str(event.data.get("reason", "")),
        )
    if kind in PARTICIPANT_EVENTS:
        return _apply_participant(state, event)
    changed = state
    if kind is EventKind.RESPONSE_RECORDED:
        changed = dataclasses.replace(changed, responded=True, unsatisfactory=False)
    if event.data.get("agreed") is True:
        changed = dataclasses.replace(changed, agreed=True)
    return _complete_steps(changed, stage, event, procedure)


PARTICIPANT_EVENTS = frozenset(
    {
        EventKind.VIEWS_RECORDED,
        EventKind.ADVICE_REQUESTED,
        EventKind.ADVICE_RECORDED,
        EventKind.AGENCY_INVOLVED,
    }
)


def _apply_participant(state: CaseState, event: Event) -> CaseState:
    """The record of those beyond the two sides: the subject's views, advisers asked and
    their advice, the agencies involved."""
    if event.kind is EventKind.VIEWS_RECORDED:
        return dataclasses.replace(state, views_recorded_at=(*state.views_recorded_at, event.at))
    if event.kind is EventKind.ADVICE_REQUESTED:
        role = str(event.data.get("adviser", ""))
        asked = (
            state.advisers_asked if role in state.advisers_asked else (*state.advisers_asked, role)
        )
        return dataclasses.replace(state, advisers_asked=asked)
    if event.kind is EventKind.ADVICE_RECORDED:
        return dataclasses.replace(state, advice_count=state.advice_count + 1)
    agency = str(event.data.get("agency", ""))
    return dataclasses.replace(state, agencies_involved=(*state.agencies_involved, agency))


def views_due(procedure: Procedure, state: CaseState) -> str:
    """The task of telling the person the disagreement is about and recording their
    views, where the procedure says they are told and it is not yet done: the words of
    the task for whoever holds the stage, or "" when nothing is due now."""
    subject = procedure.subject
    if subject is None or state.status in (Status.CLOSED, Status.WITHDRAWN):
        return ""
    last = max(state.views_recorded_at, default=None)
    since: datetime | None = None
    if NotifyWhen.OUTCOME in subject.told and state.resolved_at is not None:
        since = state.resolved_at
    elif NotifyWhen.ENTRY in subject.told and state.is_open:
        since = state.stage_entered_at
    elif NotifyWhen.RAISED in subject.told and state.is_open:
        since = state.raised_at
    if since is None or (last is not None and last >= since):
        return ""
    what = "the outcome" if since == state.resolved_at else "the disagreement"
    # Told at: raised (the disagreement), entry (each stage), outcome (how it ended).
    who = subject.label[:1].upper() + subject.label[1:]
    return f"{who}: tell them of {what} and record their views"


def _apply_side_route(state: CaseState, event: Event, procedure: Procedure) -> CaseState:
    route_id = str(event.data["route"])
    if event.kind is EventKind.SIDE_ROUTE_STARTED:
        first = procedure.side_route(route_id).stages[0].id
        taken = SideRouteState(route_id, first, event.at, event.at, event.actor)
        return dataclasses.replace(state, side_routes=(*state.side_routes, taken))
    latest = state.side_route(route_id)
    if latest is None:
        raise ValueError(f'side route "{route_id}" was not started on this case')
    if event.kind is EventKind.SIDE_ROUTE_MOVED_ON:
        changed = dataclasses.replace(
            latest, stage=str(event.data["side_stage"]), stage_entered_at=event.at
        )
    else:
        changed = dataclasses.replace(latest, ended_at=event.at)
    index = len(state.side_routes) - 1 - state.side_routes[::-1].index(latest)
    routes = (*state.side_routes[:index], changed, *state.side_routes[index + 1 :])
    return dataclasses.replace(state, side_routes=routes)


def _complete_steps(
    state: CaseState, stage: Stage, event: Event, procedure: Procedure
) -> CaseState:
    """Mark the step this event does, if any: the earliest open one it fits."""
    spec = EVENTS[event.kind]
    if not spec.completes:
        return state
    done = {step_id for step_id, _ in state.completed}
    wanted = str(event.data.get("step") or "")
    sides = frozenset(Side(s) for s in event.data.get("sides", ()))
    for step in stage.steps:
        if step.id in done or step.action not in spec.completes:
            continue
        if step.only_if_agreed and not state.agreed:
            continue
        if wanted and step.id != wanted:
            continue
        if sides and not _side_fits(step.by, sides):
            continue
        return dataclasses.replace(
            state,
            completed=(*state.completed, (step.id, event.at)),
            done=(*state.done, (f"{stage.id}.{step.id}", event.at)),
        )
    return state


def _side_fits(step_side: Side, sides: frozenset[Side]) -> bool:
    if step_side is Side.BOTH:
        return bool(sides & {Side.RAISING, Side.OTHER, Side.PARTNERSHIP})
    return step_side in sides or Side.PARTNERSHIP in sides


# --- taking actions ---------------------------------------------------------------------


# The category a raiser picks when none of the procedure's own fits; a procedure that
# lists its own "other" uses that instead.
SOMETHING_ELSE = "something-else"
# A date of birth further back than this is a typing slip or a placeholder (1 January
# 1900), not a person's.
OLDEST_AGE_YEARS = 120


@dataclass(frozen=True)
class Raising:
    """What is known about a disagreement when it is raised, for the rules to check."""

    raising_agency: str
    other_agency: str
    summary: str
    category: str = ""
    subject_nhs_number: str = ""
    subject_date_of_birth: date | None = None
    answers: Mapping[str, str] = field(default_factory=dict)


def nhs_number_is_valid(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (NHS Digital's
    NHS number format)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def categories_of(procedure: Procedure) -> list[tuple[str, str]]:
    """The kinds of disagreement a raiser may choose: the procedure's own, and "Something
    else" unless it lists its own."""
    choices = [(c.id, c.label) for c in procedure.categories]
    if not any(label.strip().lower() in ("other", "something else") for _, label in choices):
        choices.append((SOMETHING_ELSE, "Something else"))
    return choices


def check_answers(procedure: Procedure, answers: Mapping[str, str], at: datetime) -> dict[str, str]:
    """The raiser's answers to the procedure's questions, checked and tidied (a date as
    YYYY-MM-DD, yes-no as "yes" or "no", a choice as its option's id); blank ones left out.
    Refused, in words the raiser can act on, where one cannot be kept."""
    today = at.astimezone(ZoneInfo(procedure.calendar.timezone)).date()
    kept: dict[str, str] = {}
    known = {question.id for question in procedure.questions}
    for question_id in answers:
        if question_id not in known:
            raise Refused(f'"{question_id}" is not a question {procedure.name} asks')
    for question in procedure.questions:
        value = str(answers.get(question.id) or "").strip()
        if not value:
            if question.required:
                raise Refused(f"Answer “{question.text}”")
            continue
        if question.kind is QuestionKind.DATE:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise Refused(f"Enter a real date for “{question.text}”") from None
            if day > today:
                raise Refused(f"The answer to “{question.text}” must be today or in the past")
            value = day.isoformat()
        elif question.kind is QuestionKind.YES_NO:
            value = value.lower()
            if value not in ("yes", "no"):
                raise Refused(f"Answer “{question.text}” with yes or no")
        elif value not in {option.id for option in question.options}:
            labels = ", ".join(option.label for option in question.options)
            raise Refused(f"For “{question.text}”, choose one of: {labels}")
        kept[question.id] = value
    return kept


def answer_words(procedure: Procedure, question_id: str, answer: str) -> str:
    """An answer as the pages show it: a date in words, "Yes" or "No", a choice's label."""
    question = procedure.question(question_id)
    if not answer:
        return ""
    if question.kind is QuestionKind.DATE:
        try:
            return long_date(date.fromisoformat(answer))
        except ValueError:
            return answer
    if question.kind is QuestionKind.YES_NO:
        return answer.capitalize()
    return question.option_label(answer)


def answers_shown(procedure: Procedure, answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each question the case's raiser answered, with the answer, in the file's order."""
    return [
        (question.text, answer_words(procedure, question.id, answers[question.id]))
        for question in procedure.questions
        if answers.get(question.id)
    ]


def check_raising(
    procedure: Procedure, raising: Raising, *, actor: Actor, at: datetime, track: Track
) -> None:
    """The rules for raising, whichever door it comes through: the raiser works for the
    raising agency (or holds a partnership-wide role the procedure names on the raising
    side); the agencies differ; the category is the procedure's; an NHS number is one."""
    if not raising.summary.strip():
        raise Refused("Enter what the disagreement is about")
    _check_agencies(procedure, raising)
    in_agency = {
        role
        for side, role in actor.holds
        if side is Side.RAISING and role_of(procedure, role).may_act
    }
    named = {role for stage in track.stages for role in stage.raising_side}
    if procedure.single_agency:
        _check_single_agency_raiser(procedure, in_agency)
    named |= set(procedure.on_behalf.by)
    wide = {role for role in actor.partnership_roles & named if role_of(procedure, role).may_act}
    if not in_agency and not wide:
        raise Refused(
            "You can only raise a disagreement for an agency you work for: choose your own agency"
        )
    check_answers(procedure, raising.answers, at)
    if raising.category and raising.category not in dict(categories_of(procedure)):
        raise Refused(f'"{raising.category}" is not a kind of disagreement {procedure.name} lists')
    number = raising.subject_nhs_number.replace(" ", "").replace("-", "")
    if number and not nhs_number_is_valid(number):
        raise Refused("Enter a valid NHS number: check it against the record, like 943 476 5919")
    born = raising.subject_date_of_birth
    if born is not None:
        if born > at.date():
            raise Refused("The date of birth must be in the past")
        if at.year - born.year > OLDEST_AGE_YEARS:
            raise Refused(f"The date of birth must be within the last {OLDEST_AGE_YEARS} years")


def _check_agencies(procedure: Procedure, raising: Raising) -> None:
    """Two agencies, or one: a single-agency procedure is a challenge inside the raising
    agency (its other side is that agency), and any other procedure is between two."""
    same = raising.raising_agency == raising.other_agency
    if procedure.single_agency and not same:
        raise Refused(
            f"{procedure.name} is for a challenge inside your own agency: "
            "the other side is your own agency"
        )
    if not procedure.single_agency and same:
        raise Refused("A disagreement inside one agency goes through that agency's own procedure")


def _check_single_agency_raiser(procedure: Procedure, held: set[str]) -> None:
    """Inside one agency, the challenge is raised by a role the procedure names on its
    raising side (the reviewing officer), not by anyone who works there."""
    raisers = sorted(single_agency_raisers(procedure))
    if not held & set(raisers):
        who = ", or the ".join(role_words(procedure, role) for role in raisers)
        raise Refused(f"Under {procedure.name}, a challenge is raised by the {who}")


def raise_case(
    procedure: Procedure,
    *,
    actor: Actor,
    at: datetime,
    raising: Raising | None = None,
    track: str | None = None,
    immediate_risk: bool = False,
    start_stage: str | None = None,
    informal: bool = False,
    on_behalf_of: str = "",
    answers: Mapping[str, str] | None = None,
) -> list[Event]:
    """The event that starts a case: where it starts depends on the route in.

    With ``raising``, the rules for who may raise what are checked too
    (:func:`check_raising`); every door that raises a case passes it.
    """
    try:
        chosen_track = procedure.track(track)
    except KeyError:
        raise Refused(f'"{track}" is not a route of {procedure.name}') from None
    if raising is not None:
        check_raising(procedure, raising, actor=actor, at=at, track=chosen_track)
    if answers is None and raising is not None:
        answers = raising.answers
    kept = check_answers(procedure, answers or {}, at)
    if on_behalf_of and not procedure.on_behalf.allowed:
        raise Refused(f"{procedure.name} does not provide for raising on another's behalf")
    if on_behalf_of and procedure.on_behalf.by and not (actor.roles & set(procedure.on_behalf.by)):
        allowed = ", ".join(procedure.role_label(r) for r in procedure.on_behalf.by)
        raise Refused(f"only these roles may raise on another's behalf: {allowed}")
    route = Route.STANDARD
    if immediate_risk:
        risk = procedure.immediate_risk
        if risk is None:
            raise Refused(f"{procedure.name} has no immediate-risk route")
        route = Route.IMMEDIATE_RISK
        if risk.raiser_chooses:
            if not start_stage:
                raise Refused("choose the stage to start at: this procedure leaves it to you")
            options = risk.allowed_starts or tuple(s.id for s in chosen_track.stages)
            if start_stage not in options or not chosen_track.has_stage(start_stage):
                raise Refused(f'"{start_stage}" is not a stage this route may start at')
            stage = chosen_track.stage(start_stage)
        else:
            if not chosen_track.has_stage(risk.start):
                raise Refused(f"The immediate-risk route of {procedure.name} is not on this route")
            stage = chosen_track.stage(risk.start)
    elif informal:
        first = chosen_track.stages[0]
        if not first.informal:
            raise Refused(f"{procedure.name} has no informal stage")
        stage = first
    else:
        stage = chosen_track.first_stage()
    data: dict[str, Any] = {"track": chosen_track.id, "route": route.value}
    if on_behalf_of:
        data["on_behalf_of"] = on_behalf_of
    if proxied := acting_for_agencies(actor, (Side.RAISING,)):
        data["acting_for"] = proxied
    if kept:
        data["answers"] = kept
    return [Event(EventKind.RAISED, at, actor.id, stage.id, data)]


def take(
    procedure: Procedure,
    state: CaseState,
    kind: EventKind,
    *,
    actor: Actor,
    at: datetime,
    overdue: bool = False,
    stage_ends: date | None = None,
    **fields: Any,
) -> list[Event]:
    """Check an action against the rules and return the events it implies.

    ``overdue`` says whether a deadline of the current stage has passed, and
    ``stage_ends`` the last day of the current stage's limit as it stands (for a shorter
    limit, which must end before it); the caller works them out from the planner so this
    stays free of the calendar.
    """
    spec = EVENTS[kind]
    if spec.system or kind is EventKind.RAISED:
        raise Refused(f"{spec.label} is recorded by Parley itself")
    track = procedure.track(state.track)
    stage = track.stage(state.stage)
    if state.status not in spec.statuses:
        raise Refused(_status_refusal(state, spec))
    # A side route's own rules first, so that a refusal names the route and who takes it.
    side_data: dict[str, Any] = {}
    if spec.who is Who.SIDE_ROUTE and procedure.side_routes:
        side_data = _check_side_route(procedure, state, kind, actor, fields)
    sides = acting_for(procedure, state, kind, actor)
    for name in spec.required:
        if not str(fields.get(name) or "").strip():
            raise Refused(f"Enter {FIELD_WORDS.get(name, name)}")
    if fields.get("agreed") is not None and kind not in AGREEMENT_EVENTS:
        raise Refused(f"{spec.label} cannot record an agreement")
    data: dict[str, Any] = {k: v for k, v in fields.items() if v not in (None, "")}
    data["sides"] = sorted(side.value for side in sides)
    if proxied := acting_for_agencies(actor, sides):
        data["acting_for"] = proxied
    if kind is EventKind.ESCALATED:
        data.update(_check_escalation(procedure, track, stage, state, actor, overdue, fields))
    elif kind is EventKind.BYPASSED:
        data.update(_check_bypass(procedure, track, stage, actor, fields, state.answers))
    elif kind is EventKind.IMMEDIATE_RISK_DECLARED:
        if state.route is Route.IMMEDIATE_RISK:
            raise Refused("This disagreement is already on the immediate-risk route")
        data.update(_check_immediate(procedure, track, stage, fields, state.answers))
    elif kind is EventKind.RESPONSE_JUDGED_UNSATISFACTORY and not state.responded:
        raise Refused("There is no response at this stage to judge yet")
    elif kind is EventKind.RESOLVED:
        _check_resolution(procedure, fields)
    elif kind is EventKind.DEBRIEF_RECORDED and procedure.outcome.debrief is Debrief.NONE:
        raise Refused(f"{procedure.name} has no debrief")
    elif kind is EventKind.CLOSED and not state.resolved_at:
        raise Refused("A disagreement cannot be closed without a written outcome")
    elif kind is EventKind.FEEDBACK_GIVEN and actor.id == state.raised_by:
        raise Refused("Feedback is given to the person who raised it, not by them")
    elif kind is EventKind.NOTE_ADDED:
        _check_visibility(actor, fields)
    elif kind is EventKind.FORM_ACKNOWLEDGED:
        _check_acknowledgement(procedure, state, actor, fields)
    elif kind is EventKind.LEARNING_REFERRED and procedure.outcome.learning_to:
        # Addressed to whom the procedure sends learning: Torbay Channel's policy issues go
        # to the Devon and Torbay Prevent Partnership Board (para 14).
        data.setdefault("referred_to", procedure.outcome.learning_to)
    elif kind is EventKind.BODY_INFORMED and not stage.informs:
        raise Refused(f"At {stage_words(stage)}, {procedure.name} names no one to inform")
    elif kind is EventKind.LIMIT_SHORTENED:
        data["due"] = _check_shortening(at, stage_ends, fields)
    elif kind is EventKind.PRIORITY_SET:
        _check_priority(stage, state, fields)
    elif kind in PARTICIPANT_EVENTS:
        _check_participant(procedure, state, kind, fields)
    elif kind in SIDE_ROUTE_EVENTS:
        data.update(side_data)
    return [Event(kind, at, actor.id, state.stage, data)]


def _check_shortening(at: datetime, stage_ends: date | None, fields: Mapping[str, Any]) -> str:
    """A shorter limit for this stage, for this case (who may is the gate's, acts_for): to
    a day from today that is before the limit ends now. The new last day, as written in
    the record."""
    raw = fields.get("due")
    try:
        due = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise Refused("The new last day must be a real date, for example 18 12 2026") from None
    if isinstance(due, datetime):
        due = due.date()
    if due < at.date():
        raise Refused("The new last day cannot be in the past")
    if stage_ends is not None and due >= stage_ends:
        raise Refused(
            f"The new last day must be before {_day_words(stage_ends)}, when the stage's time "
            "limit ends now: a time limit can be made shorter, never longer"
        )
    return due.isoformat()


def _check_priority(stage: Stage, state: CaseState, fields: Mapping[str, Any]) -> None:
    wanted = str(fields.get("priority") or "")
    labels = [p.label for p in stage.priorities]
    if wanted not in {p.id for p in stage.priorities}:
        raise Refused(f"Choose the priority: {' or '.join(labels)}")
    if wanted == (state.priority or getattr(stage.priority(), "id", "")):
        raise Refused("The disagreement already has that priority at this stage")


_SIDE_WORDS = {
    Side.RAISING: "the raising agency",
    Side.OTHER: "the other agency",
    Side.PARTNERSHIP: "the partnership",
}


def _side_list(sides: Iterable[Side]) -> str:
    chosen = set(sides)
    words = [words for side, words in _SIDE_WORDS.items() if side in chosen]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _day_words(day: date) -> str:
    return long_date(day, weekday=True)


# --- forms sent to someone ------------------------------------------------------------


def forms_sent(procedure: Procedure, state: CaseState) -> tuple[Form, ...]:
    """The forms the procedure sends to someone (``send_to``) because of how this case
    ended: a form for cases resolved at a stage (``when: resolved-at``), once the case is
    resolved there. Wirral: the proforma for stage 2 or 3 to the WSCB Business Manager."""
    if not state.resolved_stage:
        return ()
    return tuple(
        form
        for form in procedure.forms
        if form.send_to
        and form.when == "resolved-at"
        and (not form.from_stage or form.from_stage == state.resolved_stage)
    )


def forms_used(procedure: Procedure, state: CaseState) -> tuple[Form, ...]:
    """The forms this case has used: those of the stages it reached (TWSP's referral form
    from stage 3), and those for where it was resolved."""
    track = procedure.track(state.track)
    reached = max((track.stage(s).number for s in state.stages_reached), default=0)
    used = []
    for form in procedure.forms:
        if form.when == "resolved-at":
            if state.resolved_stage and form.from_stage in ("", state.resolved_stage):
                used.append(form)
        elif not form.from_stage or (
            track.has_stage(form.from_stage) and reached >= track.stage(form.from_stage).number
        ):
            used.append(form)
    return tuple(used)


def forms_to_acknowledge(procedure: Procedure, state: CaseState, actor: Actor) -> list[Form]:
    """The forms sent to a role this person holds partnership-wide, not yet acknowledged."""
    mine = actor.partnership_roles
    return [
        form
        for form in forms_sent(procedure, state)
        if form.id not in state.acknowledged
        and any(role in mine and role_of(procedure, role).may_act for role in form.send_to)
    ]


def _check_acknowledgement(
    procedure: Procedure, state: CaseState, actor: Actor, fields: Mapping[str, Any]
) -> None:
    wanted = str(fields.get("form") or "")
    if wanted in state.acknowledged:
        raise Refused("That form has been acknowledged already")
    if wanted not in {form.id for form in forms_to_acknowledge(procedure, state, actor)}:
        raise Refused(f'"{wanted}" is not a form sent to you for this disagreement')


def _check_participant(
    procedure: Procedure, state: CaseState, kind: EventKind, fields: Mapping[str, Any]
) -> None:
    """What the procedure must allow for those beyond the two sides to be recorded."""
    if kind is EventKind.VIEWS_RECORDED:
        subject = procedure.subject
        if subject is None or not subject.views:
            raise Refused(f"{procedure.name} does not record the views of the person it is about")
    elif kind is EventKind.ADVICE_REQUESTED:
        role = str(fields.get("adviser") or "")
        if procedure.adviser(role) is None:
            names = ", ".join(a.label for a in procedure.advisers)
            raise Refused(
                f"{procedure.name} names no such adviser"
                + (f": choose one of {names}" if names else "")
            )
    elif kind is EventKind.AGENCY_INVOLVED:
        if not procedure.has_network_meeting:
            raise Refused(f"{procedure.name} has no meeting of every agency involved")
        if str(fields.get("agency")) in state.agencies_involved:
            raise Refused("That agency is recorded as involved already")


def _check_visibility(actor: Actor, fields: Mapping[str, Any]) -> None:
    """A note is for everyone who sees the case, or kept to a side its writer is on."""
    chosen = str(fields.get("visibility") or "all")
    if chosen == "all":
        return
    side = NOTE_SIDES.get(chosen)
    if side is None:
        raise Refused('Who can read a note is "all", "raising" or "other"')
    if not actor.holds_on(side):
        raise Refused("You can keep a note to your own agency's side only")


def acting_for(
    procedure: Procedure, state: CaseState, kind: EventKind, actor: Actor
) -> frozenset[Side]:
    """The sides this person takes this action for, now; or :class:`Refused`, saying who
    may. The one answer to "may this person do this, on this case, now?"."""
    sides = acts_for(procedure, state, kind, actor)
    if sides:
        return sides
    spec = EVENTS[kind]
    if spec.who is Who.NOBODY:
        raise Refused(f"{spec.label} is recorded by Parley itself")
    if spec.who is Who.RAISER:
        raise Refused("Only the person who raised the disagreement can withdraw it")
    if spec.who is Who.INVOLVED:
        raise Refused(f"{spec.label}: only the people taking part in this disagreement can do this")
    if spec.who is Who.SENT_TO:
        raise Refused(
            f"{spec.label}: only the person a form of this disagreement was sent to can do this"
        )
    if spec.who is Who.ADVISER:
        raise Refused(f"{spec.label}: only an adviser asked about this disagreement can do this")
    if spec.who is Who.SIDE_ROUTE:
        raise Refused(f"{spec.label}: no side route of this disagreement is yours to take")
    stage = procedure.track(state.track).stage(state.stage)
    if kind is EventKind.LIMIT_SHORTENED:
        raise Refused(_not_shortened_here(procedure, stage, spec))
    if kind is EventKind.PRIORITY_SET and not stage.priorities:
        raise Refused(
            f"Setting a priority is not something anyone does at {stage_words(stage)}: "
            f"{procedure.name} gives it no priorities"
        )
    raise Refused(_not_at_this_stage(procedure, stage, spec))


def _not_shortened_here(procedure: Procedure, stage: Stage, spec: EventSpec) -> str:
    """Why this person may not shorten this stage's limit: the stage does not say anyone
    may (``may_shorten``), or it names other sides, or they do not hold the stage."""
    shorten = stage.may_shorten
    if shorten is None:
        return (
            f"Shortening the time limit is not something anyone does at {stage_words(stage)}: "
            f"{procedure.name} does not allow it"
        )
    return (
        f"At {stage_words(stage)}, the time limit can be shortened only by "
        f"{_side_list(shorten.by)}, holding the stage now. It is not yours to do at this stage."
    )


def acts_for(
    procedure: Procedure, state: CaseState, kind: EventKind, actor: Actor
) -> frozenset[Side]:
    """:func:`acting_for` without the words: the sides, or none (for callers that only
    ask, such as the generator looking for whoever may act)."""
    spec = EVENTS[kind]
    if spec.who is Who.NOBODY:
        return frozenset()
    if spec.who is Who.RAISER:
        return frozenset({Side.RAISING}) if actor.id == state.raised_by else frozenset()
    track = procedure.track(state.track)
    if spec.who is Who.SIDE_ROUTE:
        return frozenset().union(
            *(side_route_sides(procedure, state, kind, actor, r) for r in procedure.side_routes)
        )
    if spec.who is Who.SENT_TO:
        return spec.sides if forms_to_acknowledge(procedure, state, actor) else frozenset()
    if spec.who is Who.ADVISER:
        return spec.sides if actor.partnership_roles & set(state.advisers_asked) else frozenset()
    if spec.who is Who.INVOLVED:
        return involved_sides(procedure, track, state.stages_reached, actor) & spec.sides
    stage = track.stage(state.stage)
    sides = acting_sides(procedure, stage, actor) & spec.sides
    if kind is EventKind.LIMIT_SHORTENED:
        # Only where the stage says who may shorten its limit, and only those sides.
        sides &= stage.may_shorten.by if stage.may_shorten else frozenset()
    if kind is EventKind.PRIORITY_SET and not stage.priorities:
        return frozenset()
    if not sides and spec.raiser_too and actor.id == state.raised_by:
        return frozenset({Side.RAISING})
    return sides


def role_words(procedure: Procedure, role: str) -> str:
    """A role's label inside a sentence: "line manager or supervisor", "TWSP Executive"."""
    label = procedure.role_label(role)
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _not_at_this_stage(procedure: Procedure, stage: Stage, spec: EventSpec) -> str:
    """Who may take an action at this stage, in words: the refusal everyone else gets."""

    def labels(roles: Iterable[str]) -> str:
        return ", or the ".join(role_words(procedure, role) for role in roles)

    raising = stage_side_roles(stage, Side.RAISING) if Side.RAISING in spec.sides else ()
    other = stage_side_roles(stage, Side.OTHER) if Side.OTHER in spec.sides else ()
    chair = stage_side_roles(stage, Side.PARTNERSHIP) if Side.PARTNERSHIP in spec.sides else ()
    who: list[str] = []
    if procedure.single_agency:
        # One agency: its sides are its roles, so the roles alone say who.
        who += [f"the {labels(roles)}" for roles in (raising, other) if roles]
    elif raising and set(raising) == set(other):
        who.append(f"the {labels(raising)}, of either agency")
    else:
        if raising:
            who.append(f"the raising agency's {labels(raising)}")
        if other:
            who.append(f"the other agency's {labels(other)}")
    if chair:
        who.append(f"the partnership's {labels(chair)}")
    where = stage_words(stage)
    if not who:
        return f"{spec.label} is not something anyone does at {where}"
    return f"At {where}, this is for {' and '.join(who)}. It is not yours to do at this stage."


def stage_words(stage: Stage) -> str:
    """ "stage 2, Line or team managers"; an informal stage by its name."""
    return stage.name if stage.informal else f"stage {stage.number}, {stage.name}"


# --- who reads what in the record ------------------------------------------------------

# A note's "visibility": the side whose people may read it; anything else, everyone who
# may see the case.
NOTE_SIDES = {"raising": Side.RAISING, "other": Side.OTHER}


def may_read(data: Mapping[str, Any], reader: Actor | None) -> bool:
    """May this person read this entry of a case they can see? Every entry, except a note
    kept to one side, which only that side's people read: in the case page, the API,
    the generated forms, e-mails and exports alike. ``None``: a reader on neither side
    (a form sent to the partnership)."""
    side = NOTE_SIDES.get(str(data.get("visibility") or ""))
    return side is None or (reader is not None and bool(reader.holds_on(side)))


def readable(
    events: Iterable[E], reader: Actor | None, data: Callable[[E], Mapping[str, Any]]
) -> list[E]:
    """The entries of a record this person may read, in order."""
    return [event for event in events if may_read(data(event), reader)]


# --- forms opened before the case moved on ----------------------------------------------


def moved_on(since: Iterable[Event]) -> bool:
    """Has the case moved on in these events, recorded since a form was opened? Notes,
    files and feedback add to the record without moving the case; anything else
    (a response, an escalation, an outcome) means the form was filled in against a case
    that no longer is as it was."""
    return any(EVENTS[event.kind].moves for event in since)


# Since what a person acted on, by where they acted: a page, the API's If-Match, a command.
MOVED_ON_SINCE = {
    "web": "you opened this page",
    "api": "the version your request gave in If-Match",
}


def moved_on_words(procedure: Procedure, state: CaseState, via: str = "web") -> str:
    """What a person is told when what they submitted was opened on an older version."""
    stage = procedure.track(state.track).stage(state.stage)
    where = f"it is now at {stage_words(stage)}"
    if state.status is not Status.OPEN:
        where = f"it is now {state.status.value}, at {stage_words(stage)}"
    since = MOVED_ON_SINCE.get(via, "the version you acted on")
    return (
        f"This disagreement has moved on since {since}: {where}. Check the record before you act."
    )


def _status_refusal(state: CaseState, spec: EventSpec) -> str:
    if state.status is Status.OPEN:
        if spec.statuses == {Status.RESOLVED}:
            return f"{spec.label}: the disagreement must be resolved first"
        return "This can be done only once the disagreement has ended"
    # Said of the case, not of the record's label ("Escalated is not possible" read badly).
    return f"The disagreement is {state.status.value}, so this can no longer be done"


def _check_escalation(
    procedure: Procedure,
    track: Track,
    stage: Stage,
    state: CaseState,
    actor: Actor,
    overdue: bool,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    above = stage.next_for(state.answers)
    if above is None:
        raise Refused(f"{stage.name} is the top of the ladder: there is nowhere higher to go")
    if stage.escalate_by and not held_at(stage, actor) & set(stage.escalate_by):
        who = " or ".join(procedure.role_label(role) for role in stage.escalate_by)
        raise Refused(f"At {stage_words(stage)}, only the {who} may move it on")
    reason = str(fields.get("reason") or "")
    try:
        trigger = EscalationTrigger(reason)
    except ValueError:
        raise Refused(f'"{reason}" is not a reason to escalate') from None
    if trigger not in stage.escalate_when:
        raise Refused(
            f"At this stage ({stage.name}) the procedure does not move a case up for "
            f"{_trigger_words(trigger)}"
        )
    if trigger is EscalationTrigger.DEADLINE_PASSED and not overdue:
        raise Refused("No deadline at this stage has passed yet")
    if trigger is EscalationTrigger.RESPONSE_UNSATISFACTORY and not state.unsatisfactory:
        raise Refused("Judge the response unsatisfactory first, saying why")
    # Where the stage's next chooses by the raiser's answers (the children's or the adults'
    # board chair), the case goes where its answers say.
    return {"to_stage": above, "from_stage": stage.id}


def held_at(stage: Stage, actor: Actor) -> frozenset[str]:
    """The roles this person holds where this stage names them: in the raising agency
    for its raising side, in the other agency for its other side, and partnership-wide
    on any side or for the partnership. Who may move a case on (``escalate_by``, a
    bypass's ``by``) is asked of these: Bedfordshire's Channel panel member raises and
    presses an alert for the raising agency, and the other agency's panel member, who
    answers it, does not move it up (section 3)."""
    held: set[str] = set()
    wide = actor.partnership_roles
    for side in (Side.RAISING, Side.OTHER):
        mine = actor.holds_on(side)
        held |= {role for role in stage_side_roles(stage, side) if role in mine or role in wide}
    held |= wide & set(stage.partnership_side)
    return frozenset(held)


def _trigger_words(trigger: EscalationTrigger) -> str:
    return {
        EscalationTrigger.DEADLINE_PASSED: "the deadline passing with no response",
        EscalationTrigger.RESPONSE_UNSATISFACTORY: "a response judged unsatisfactory",
        EscalationTrigger.NO_AGREEMENT: "no agreement",
    }[trigger]


def _check_bypass(
    procedure: Procedure,
    track: Track,
    stage: Stage,
    actor: Actor,
    fields: Mapping[str, Any],
    answers: Mapping[str, str],
) -> dict[str, Any]:
    rule = procedure.bypass
    if not rule.allowed:
        raise Refused(f"{procedure.name} does not allow stages to be bypassed")
    if rule.by and not (held_at(stage, actor) & set(rule.by)):
        who = ", ".join(procedure.role_label(role) for role in rule.by)
        raise Refused(f"Only these roles may bypass a stage: {who}")
    if rule.reason_required and not str(fields.get("reason") or "").strip():
        raise Refused("Enter the reason for bypassing a stage")
    if rule.from_stages and stage.id not in rule.from_stages:
        raise Refused(f"{procedure.name} does not allow a stage to be bypassed from {stage.name}")
    target = str(fields.get("to_stage") or "")
    later = _bypassable(procedure, track, stage, answers)
    if target not in later:
        if not later:
            raise Refused("There is no stage this procedure lets you bypass to from here")
        raise Refused("Choose a stage beyond the next one; to go to the next stage, escalate")
    return {"to_stage": target, "from_stage": stage.id}


def _bypassable(
    procedure: Procedure, track: Track, stage: Stage, answers: Mapping[str, str]
) -> list[str]:
    rule = procedure.bypass
    if rule.from_stages and stage.id not in rule.from_stages:
        return []
    later = [s.id for s in track.ladder_from(stage, answers)][2:]
    return [s for s in later if not rule.to_stages or s in rule.to_stages]


def _check_immediate(
    procedure: Procedure,
    track: Track,
    stage: Stage,
    fields: Mapping[str, Any],
    answers: Mapping[str, str],
) -> dict[str, Any]:
    risk = procedure.immediate_risk
    if risk is None:
        raise Refused(f"{procedure.name} has no immediate-risk route")
    target = str(fields.get("to_stage") or "") if risk.raiser_chooses else risk.start
    if not target:
        raise Refused("Choose the stage to escalate to")
    if risk.raiser_chooses and risk.allowed_starts and target not in risk.allowed_starts:
        raise Refused(f'"{target}" is not a stage this route may start at')
    ladder = [s.id for s in track.ladder_from(stage, answers)]
    if target not in ladder:
        raise Refused("The immediate-risk route goes up the ladder, not down it")
    return {"to_stage": target, "from_stage": stage.id}


def _check_resolution(procedure: Procedure, fields: Mapping[str, Any]) -> None:
    if procedure.outcome.written_confirmation and not str(fields.get("outcome") or "").strip():
        raise Refused("Enter the written outcome agreed between the parties")
    if procedure.outcome.outstanding_issues and not str(fields.get("outstanding") or "").strip():
        raise Refused(
            'Enter how any outstanding issues will be pursued, or "None" if there are none'
        )


def allowed_actions(
    procedure: Procedure, state: CaseState, actor: Actor, *, at: datetime, overdue: bool
) -> list[EventKind]:
    """The actions this person may take now: the case page offers only these."""
    probe = {
        "text": "-",
        "reason": "-",
        "filename": "-",
        "outcome": "-",
        "outstanding": "-",
        "agency": "-",
        "adviser": procedure.advisers[0].role if procedure.advisers else "-",
    }
    allowed: list[EventKind] = []
    side_kinds = {kind for _, kind in side_route_offers(procedure, state, actor)}
    for kind, spec in EVENTS.items():
        if spec.system or kind is EventKind.RAISED:
            continue
        if spec.who is Who.SIDE_ROUTE:
            if kind in side_kinds:
                allowed.append(kind)
            continue
        fields: dict[str, Any] = dict(probe)
        if kind is EventKind.ESCALATED:
            if not _any_escalation(procedure, state, actor, at, overdue):
                continue
            allowed.append(kind)
            continue
        if kind is EventKind.BYPASSED:
            fields["to_stage"] = next(iter(bypass_targets(procedure, state)), "")
        if kind is EventKind.LIMIT_SHORTENED:
            fields["due"] = at.date().isoformat()
        if kind is EventKind.PRIORITY_SET:
            stage = procedure.track(state.track).stage(state.stage)
            given = state.priority or getattr(stage.priority(), "id", "")
            fields["priority"] = next((p.id for p in stage.priorities if p.id != given), "")
        if kind is EventKind.FORM_ACKNOWLEDGED:
            pending = forms_to_acknowledge(procedure, state, actor)
            fields["form"] = pending[0].id if pending else ""
        if kind is EventKind.IMMEDIATE_RISK_DECLARED:
            if state.route is Route.IMMEDIATE_RISK:
                continue
            targets = immediate_targets(procedure, state)
            if not targets:
                continue
            fields["to_stage"] = targets[0]
        try:
            take(procedure, state, kind, actor=actor, at=at, overdue=overdue, **fields)
        except Refused:
            continue
        allowed.append(kind)
    return allowed


def _any_escalation(
    procedure: Procedure, state: CaseState, actor: Actor, at: datetime, overdue: bool
) -> bool:
    for trigger in EscalationTrigger:
        try:
            take(
                procedure,
                state,
                EventKind.ESCALATED,
                actor=actor,
                at=at,
                overdue=overdue,
                reason=trigger.value,
            )
        except Refused:
            continue
        return True
    return False


def escalation_reasons(
    procedure: Procedure, state: CaseState, actor: Actor, *, at: datetime, overdue: bool
) -> list[EscalationTrigger]:
    reasons = []
    for trigger in EscalationTrigger:
        try:
            take(
                procedure,
                state,
                EventKind.ESCALATED,
                actor=actor,
                at=at,
                overdue=overdue,
                reason=trigger.value,
            )
        except Refused:
            continue
        reasons.append(trigger)
    return reasons


def bypass_targets(procedure: Procedure, state: CaseState) -> list[str]:
    track = procedure.track(state.track)
    return _bypassable(procedure, track, track.stage(state.stage), state.answers)


def immediate_targets(procedure: Procedure, state: CaseState) -> list[str]:
    risk = procedure.immediate_risk
    if risk is None:
        return []
    track = procedure.track(state.track)
    ladder = [s.id for s in track.ladder_from(track.stage(state.stage), state.answers)]
    if risk.raiser_chooses:
        options = risk.allowed_starts or ladder
        return [s for s in ladder if s in options]
    return [risk.start] if risk.start in ladder else []


def version_change_refusal(record: Sequence[Event], new: Procedure) -> str | None:
    """Why a case with this record cannot run on ``new`` from now on, or None if it can:
    its route and every stage it has been at must be in ``new``, so that its whole record
    reads the same under it."""
    if not record:
        return "it has no record"
    track_id = str(record[0].data.get("track") or "")
    if track_id and not any(track.id == track_id for track in new.tracks):
        return f'its route "{track_id}" is not in version {new.version}'
    track = new.track(track_id or None)
    for event in record:
        for stage_id in (event.stage, event.data.get("to_stage"), event.data.get("from_stage")):
            if stage_id and not track.has_stage(str(stage_id)):
                return f'it has been at "{stage_id}", which is not a stage of version {new.version}'
    try:
        replay(record, new)
    except (KeyError, ValueError) as error:
        return f"its record does not read under version {new.version} ({error})"
    return None


def event_label(kind: EventKind) -> str:
    return EVENTS[kind].label


# --- side routes out of the ladder -------------------------------------------------------


def may_start_side_route(
    procedure: Procedure, state: CaseState, route: SideRoute, actor: Actor
) -> frozenset[Side]:
    """The sides this person would start ``route`` for: a role it names that they hold, or
    a side of the case it names (``raising``, ``other``, ``partnership``) that they act or
    acted for at a stage the case reached; none if they may not start it."""
    track = procedure.track(state.track)
    involved = involved_sides(procedure, track, state.stages_reached, actor)
    sides: set[Side] = set()
    for who in route.may_start:
        if who in {side.value for side in Side} and Side(who) in involved:
            sides.add(Side(who))
        elif who in actor.roles:
            sides |= involved or {Side.RAISING if actor.holds_on(Side.RAISING) else Side.OTHER}
    return frozenset(sides)


def side_route_sides(
    procedure: Procedure, state: CaseState, kind: EventKind, actor: Actor, route: SideRoute
) -> frozenset[Side]:
    """The sides this person takes ``kind`` for on ``route`` now; none if it is not theirs:
    starting it is for those it names (``may_start``); taking it on is for whoever started
    it and whoever acts at its stage; ending it, for whoever acts at its stage."""
    taken = state.side_route(route.id)
    if kind is EventKind.SIDE_ROUTE_STARTED:
        return may_start_side_route(procedure, state, route, actor)
    if taken is None or not taken.is_open:
        return frozenset()
    acting = acting_sides(procedure, route.stage(taken.stage), actor)
    if kind is EventKind.SIDE_ROUTE_MOVED_ON and actor.id == taken.started_by:
        return acting | {Side.RAISING}
    return acting


def _check_side_route(
    procedure: Procedure, state: CaseState, kind: EventKind, actor: Actor, fields: Mapping[str, Any]
) -> dict[str, Any]:
    wanted = str(fields.get("route") or "")
    if not wanted:
        raise Refused(f"Enter {FIELD_WORDS['route']}")
    try:
        route = procedure.side_route(wanted)
    except KeyError:
        raise Refused(f'"{wanted}" is not a side route of {procedure.name}') from None
    taken = state.side_route(route.id)
    if kind is EventKind.SIDE_ROUTE_STARTED:
        if taken is not None and taken.is_open:
            raise Refused(f"{route.name} has been started on this disagreement already")
        if route.start_from is SideRouteFrom.ANY_STAGE and state.status is not Status.OPEN:
            raise Refused(f"{route.name} can be started only while the disagreement is open")
        if route.start_from is SideRouteFrom.CLOSED and state.status is Status.OPEN:
            raise Refused(f"{route.name} can be started only once the disagreement has ended")
    elif taken is None or not taken.is_open:
        raise Refused(f"{route.name} is not under way on this disagreement")
    if not side_route_sides(procedure, state, kind, actor, route):
        raise Refused(_side_route_refusal(procedure, state, kind, route))
    if kind is EventKind.SIDE_ROUTE_STARTED:
        return {"route": route.id, "side_stage": route.stages[0].id}
    assert taken is not None
    stage = route.stage(taken.stage)
    if kind is EventKind.SIDE_ROUTE_MOVED_ON:
        above = route.next_stage(stage)
        if above is None:
            raise Refused(f"{stage.name} is the last stage of {route.name}")
        return {"route": route.id, "side_stage": above.id, "from_side_stage": stage.id}
    return {"route": route.id, "side_stage": stage.id}


def _side_route_refusal(
    procedure: Procedure, state: CaseState, kind: EventKind, route: SideRoute
) -> str:
    if kind is EventKind.SIDE_ROUTE_STARTED:
        who = " or ".join(
            f"the {who} side" if who in {s.value for s in Side} else role_words(procedure, who)
            for who in route.may_start
        )
        return f"{route.name} can be started by {who} only"
    taken = state.side_route(route.id)
    stage = route.stage(taken.stage) if taken else route.stages[0]
    who = " or ".join(role_words(procedure, role) for role in stage.roles)
    return f"At {stage.name} of {route.name}, this is for the {who}"


def side_route_offers(
    procedure: Procedure, state: CaseState, actor: Actor
) -> list[tuple[SideRoute, EventKind]]:
    """What this person may do now on the procedure's side routes: the case page offers
    only these."""
    offers = []
    for route in procedure.side_routes:
        for kind in (
            EventKind.SIDE_ROUTE_STARTED,
            EventKind.SIDE_ROUTE_MOVED_ON,
            EventKind.SIDE_ROUTE_ENDED,
        ):
            try:
                take(
                    procedure,
                    state,
                    kind,
                    actor=actor,
                    at=state.raised_at,
                    route=route.id,
                    text="-",
                    reason="-",
                    outcome="-",
                )
            except Refused:
                continue
            offers.append((route, kind))
    return offers
