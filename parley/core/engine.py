"""Which action is allowed for whom, and the events each implies.

A case's state is a fold over its append-only events (:func:`replay`). Taking an action
(:func:`take`) never changes anything: it checks the action against the procedure and the
state and returns the events to append, or raises :class:`Refused` with a reason a person
can read. The web, API, CLI and tests all go through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from parley.core.procedure import (
    Debrief,
    EscalationTrigger,
    Procedure,
    Side,
    Stage,
    StepAction,
    Track,
)


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


@dataclass(frozen=True)
class EventSpec:
    """What one kind of event means: the rules for taking it live here, as data."""

    label: str
    sides: frozenset[Side]  # who may take it; BOTH is implied by either side
    statuses: frozenset[Status]
    completes: frozenset[StepAction] = frozenset()
    required: tuple[str, ...] = ()  # fields that must be filled in, in words
    system: bool = False  # recorded by Parley itself, never offered to a person


_ANY_PARTY = frozenset({Side.RAISING, Side.OTHER, Side.PARTNERSHIP})
_OPEN = frozenset({Status.OPEN})
_NOT_ENDED = frozenset({Status.OPEN, Status.RESOLVED})

EVENTS: Mapping[EventKind, EventSpec] = {
    EventKind.RAISED: EventSpec(
        "Disagreement raised", frozenset({Side.RAISING}), frozenset(), frozenset({StepAction.RAISE})
    ),
    EventKind.IMMEDIATE_RISK_DECLARED: EventSpec(
        "Immediate risk: escalated the same working day", _ANY_PARTY, _OPEN, required=("text",)
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
    EventKind.FEEDBACK_GIVEN: EventSpec(
        "Feedback given to the person who raised it", _ANY_PARTY, _NOT_ENDED, required=("text",)
    ),
    EventKind.DEBRIEF_RECORDED: EventSpec(
        "Debrief recorded", _ANY_PARTY, frozenset({Status.RESOLVED}), required=("text",)
    ),
    EventKind.LEARNING_REFERRED: EventSpec(
        "Policy or learning issue referred", _ANY_PARTY, _NOT_ENDED, required=("text",)
    ),
    EventKind.NOTE_ADDED: EventSpec("Note added", _ANY_PARTY, _NOT_ENDED, required=("text",)),
    EventKind.EVIDENCE_ATTACHED: EventSpec(
        "Evidence attached", _ANY_PARTY, _NOT_ENDED, required=("filename",)
    ),
    EventKind.CLOSED: EventSpec(
        "Closed", frozenset({Side.RAISING, Side.PARTNERSHIP}), frozenset({Status.RESOLVED})
    ),
    EventKind.WITHDRAWN: EventSpec(
        "Withdrawn by the person who raised it",
        frozenset({Side.RAISING}),
        _OPEN,
        required=("reason",),
    ),
    EventKind.DEADLINES_MOVED: EventSpec(
        "Deadlines moved by a calendar change", frozenset(), _NOT_ENDED, system=True
    ),
}

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
}


class Refused(Exception):
    """An action the procedure or the case's state does not allow, with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Actor:
    """A person acting on a case, in the capacities they hold on it."""

    id: str
    sides: frozenset[Side]
    roles: frozenset[str] = frozenset()

    def is_on(self, side: Side) -> bool:
        if side is Side.BOTH:
            return bool(self.sides & {Side.RAISING, Side.OTHER})
        return side in self.sides


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime
    actor: str
    stage: str
    data: Mapping[str, Any] = field(default_factory=dict)


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
        )
        return _complete_steps(raised, start, event, procedure)
    if state is None:
        raise ValueError("a case's record starts with the event that raised it")
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
        return dataclasses.replace(state, feedback_count=state.feedback_count + 1)
    if kind is EventKind.DEBRIEF_RECORDED:
        return dataclasses.replace(state, debriefed=True)
    if kind is EventKind.LEARNING_REFERRED:
        return dataclasses.replace(state, learning_referrals=state.learning_referrals + 1)
    changed = state
    if kind is EventKind.RESPONSE_RECORDED:
        changed = dataclasses.replace(changed, responded=True, unsatisfactory=False)
    if event.data.get("agreed") is True:
        changed = dataclasses.replace(changed, agreed=True)
    return _complete_steps(changed, stage, event, procedure)


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
        return dataclasses.replace(state, completed=(*state.completed, (step.id, event.at)))
    return state


def _side_fits(step_side: Side, sides: frozenset[Side]) -> bool:
    if step_side is Side.BOTH:
        return bool(sides & {Side.RAISING, Side.OTHER, Side.PARTNERSHIP})
    return step_side in sides or Side.PARTNERSHIP in sides


# --- taking actions ---------------------------------------------------------------------


def raise_case(
    procedure: Procedure,
    *,
    actor: Actor,
    at: datetime,
    track: str | None = None,
    immediate_risk: bool = False,
    start_stage: str | None = None,
    informal: bool = False,
    on_behalf_of: str = "",
) -> list[Event]:
    """The event that starts a case: where it starts depends on the route in."""
    try:
        chosen_track = procedure.track(track)
    except KeyError:
        raise Refused(f'"{track}" is not a route of {procedure.name}') from None
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
            if start_stage not in options:
                raise Refused(f'"{start_stage}" is not a stage this route may start at')
            stage = chosen_track.stage(start_stage)
        else:
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
    return [Event(EventKind.RAISED, at, actor.id, stage.id, data)]


def take(
    procedure: Procedure,
    state: CaseState,
    kind: EventKind,
    *,
    actor: Actor,
    at: datetime,
    overdue: bool = False,
    **fields: Any,
) -> list[Event]:
    """Check an action against the rules and return the events it implies.

    ``overdue`` says whether a deadline of the current stage has passed; the caller
    works it out from the planner so this stays free of the calendar.
    """
    spec = EVENTS[kind]
    if spec.system or kind is EventKind.RAISED:
        raise Refused(f"{spec.label} is recorded by Parley itself")
    track = procedure.track(state.track)
    stage = track.stage(state.stage)
    if state.status not in spec.statuses:
        raise Refused(_status_refusal(state, spec))
    if not (actor.sides & spec.sides):
        raise Refused(f"{spec.label}: this is not yours to do on this disagreement")
    for name in spec.required:
        if not str(fields.get(name) or "").strip():
            raise Refused(f"Enter {FIELD_WORDS.get(name, name)}")
    if fields.get("agreed") is not None and kind not in AGREEMENT_EVENTS:
        raise Refused(f"{spec.label} cannot record an agreement")
    data: dict[str, Any] = {k: v for k, v in fields.items() if v not in (None, "")}
    data["sides"] = sorted(side.value for side in actor.sides)
    if kind is EventKind.ESCALATED:
        data.update(_check_escalation(procedure, track, stage, state, actor, overdue, fields))
    elif kind is EventKind.BYPASSED:
        data.update(_check_bypass(procedure, track, stage, actor, fields))
    elif kind is EventKind.IMMEDIATE_RISK_DECLARED:
        if state.route is Route.IMMEDIATE_RISK:
            raise Refused("This disagreement is already on the immediate-risk route")
        data.update(_check_immediate(procedure, track, stage, fields))
    elif kind is EventKind.RESPONSE_JUDGED_UNSATISFACTORY and not state.responded:
        raise Refused("There is no response at this stage to judge yet")
    elif kind is EventKind.RESOLVED:
        _check_resolution(procedure, fields)
    elif kind is EventKind.DEBRIEF_RECORDED and procedure.outcome.debrief is Debrief.NONE:
        raise Refused(f"{procedure.name} has no debrief")
    elif kind is EventKind.CLOSED and not state.resolved_at:
        raise Refused("A disagreement cannot be closed without a written outcome")
    elif kind is EventKind.WITHDRAWN and actor.id != state.raised_by:
        raise Refused("Only the person who raised the disagreement can withdraw it")
    elif kind is EventKind.FEEDBACK_GIVEN and actor.id == state.raised_by:
        raise Refused("Feedback is given to the person who raised it, not by them")
    return [Event(kind, at, actor.id, state.stage, data)]


def _status_refusal(state: CaseState, spec: EventSpec) -> str:
    if state.status is Status.OPEN:
        if spec.statuses == {Status.RESOLVED}:
            return f"{spec.label}: the disagreement must be resolved first"
        return f"{spec.label} is not possible while the disagreement is open"
    return f"{spec.label} is not possible: the disagreement is {state.status.value}"


def _check_escalation(
    procedure: Procedure,
    track: Track,
    stage: Stage,
    state: CaseState,
    actor: Actor,
    overdue: bool,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    if stage.next is None:
        raise Refused(f"{stage.name} is the top of the ladder: there is nowhere higher to go")
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
    return {"to_stage": stage.next, "from_stage": stage.id}


def _trigger_words(trigger: EscalationTrigger) -> str:
    return {
        EscalationTrigger.DEADLINE_PASSED: "the deadline passing with no response",
        EscalationTrigger.RESPONSE_UNSATISFACTORY: "a response judged unsatisfactory",
        EscalationTrigger.NO_AGREEMENT: "no agreement",
    }[trigger]


def _check_bypass(
    procedure: Procedure, track: Track, stage: Stage, actor: Actor, fields: Mapping[str, Any]
) -> dict[str, Any]:
    rule = procedure.bypass
    if not rule.allowed:
        raise Refused(f"{procedure.name} does not allow stages to be bypassed")
    if rule.by and not (actor.roles & set(rule.by)):
        who = ", ".join(procedure.role_label(role) for role in rule.by)
        raise Refused(f"Only these roles may bypass a stage: {who}")
    if rule.reason_required and not str(fields.get("reason") or "").strip():
        raise Refused("Enter the reason for bypassing a stage")
    if rule.from_stages and stage.id not in rule.from_stages:
        raise Refused(f"{procedure.name} does not allow a stage to be bypassed from {stage.name}")
    target = str(fields.get("to_stage") or "")
    later = _bypassable(procedure, track, stage)
    if target not in later:
        if not later:
            raise Refused("There is no stage this procedure lets you bypass to from here")
        raise Refused("Choose a stage beyond the next one; to go to the next stage, escalate")
    return {"to_stage": target, "from_stage": stage.id}


def _bypassable(procedure: Procedure, track: Track, stage: Stage) -> list[str]:
    rule = procedure.bypass
    if rule.from_stages and stage.id not in rule.from_stages:
        return []
    later = [s.id for s in track.ladder_from(stage)][2:]
    return [s for s in later if not rule.to_stages or s in rule.to_stages]


def _check_immediate(
    procedure: Procedure, track: Track, stage: Stage, fields: Mapping[str, Any]
) -> dict[str, Any]:
    risk = procedure.immediate_risk
    if risk is None:
        raise Refused(f"{procedure.name} has no immediate-risk route")
    target = str(fields.get("to_stage") or "") if risk.raiser_chooses else risk.start
    if not target:
        raise Refused("Choose the stage to escalate to")
    if risk.raiser_chooses and risk.allowed_starts and target not in risk.allowed_starts:
        raise Refused(f'"{target}" is not a stage this route may start at')
    ladder = [s.id for s in track.ladder_from(stage)]
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
    }
    allowed: list[EventKind] = []
    for kind, spec in EVENTS.items():
        if spec.system or kind is EventKind.RAISED:
            continue
        fields = dict(probe)
        if kind is EventKind.ESCALATED:
            if not _any_escalation(procedure, state, actor, at, overdue):
                continue
            allowed.append(kind)
            continue
        if kind is EventKind.BYPASSED:
            fields["to_stage"] = next(iter(bypass_targets(procedure, state)), "")
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
                procedure, state, EventKind.ESCALATED, actor=actor, at=at, overdue=overdue,
                reason=trigger.value,
            )  # fmt: skip
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
                procedure, state, EventKind.ESCALATED, actor=actor, at=at, overdue=overdue,
                reason=trigger.value,
            )  # fmt: skip
        except Refused:
            continue
        reasons.append(trigger)
    return reasons


def bypass_targets(procedure: Procedure, state: CaseState) -> list[str]:
    track = procedure.track(state.track)
    return _bypassable(procedure, track, track.stage(state.stage))


def immediate_targets(procedure: Procedure, state: CaseState) -> list[str]:
    risk = procedure.immediate_risk
    if risk is None:
        return []
    track = procedure.track(state.track)
    ladder = [s.id for s in track.ladder_from(track.stage(state.stage))]
    if risk.raiser_chooses:
        options = risk.allowed_starts or ladder
        return [s for s in ladder if s in options]
    return [risk.start] if risk.start in ladder else []


def event_label(kind: EventKind) -> str:
    return EVENTS[kind].label
