"""The case engine: who may do what, when, and what the record then says.

Pure tests: no Django and no database. A case's state is a fold over its events, so most
tests raise a case, take actions through ``take()`` (the one gate every caller uses), fold
the events in and look at the state or at the exact reason an action was refused.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.core.engine import (
    EVENTS,
    Actor,
    CaseState,
    Event,
    EventKind,
    Refused,
    Route,
    Status,
    allowed_actions,
    apply,
    bypass_targets,
    immediate_targets,
    raise_case,
    replay,
    take,
    version_change_refusal,
)
from parley.core.loader import load_file, load_text
from parley.core.planner import calendar_for, case_deadlines, is_overdue
from parley.core.procedure import EscalationTrigger, Procedure, Side

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
START = datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)  # Monday

# A small procedure written for these tests: no bypass, raising on another's behalf only by a
# safeguarding lead, and an immediate-risk route that leaves the stage to the raiser but only
# allows stages 2 and 3.
LADDER_TEXT = """\
parley: 1
id: example-ladder
name: Example ladder
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [children]
raise_on_behalf:
  allowed: true
  by: [safeguarding-lead]
immediate_risk:
  start: choose
  allowed_starts: [stage-2, stage-3]
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitioner]
    within: 5 working days
    steps:
      - {id: talk, name: Talk it through, by: both, action: discuss, within: 5 working days}
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    other_side: [line-manager]
    within: 5 working days
  - id: stage-3
    name: Safeguarding leads
    raising_side: [safeguarding-lead]
    other_side: [safeguarding-lead]
    within: 5 working days
  - id: stage-4
    name: Partnership chair
    raising_side: [director]
    other_side: [director]
    within: none
    resolution:
      - {kind: chair-decides, description: The chair decides.}
"""

# Everyone who acts in these tests. Rita raised the case and holds every rung of her own
# agency, so she acts at every stage for the raising side; Omar is the professional named
# in the other agency and holds every rung of his; Rory is a line manager on Rita's side
# who did not raise it; Pat is the partnership's business manager, who only looks.
EVERY_ROLE = frozenset(
    {
        "practitioner", "line-manager", "safeguarding-lead", "senior-manager", "director",
        "channel-panel-member",
    }
)  # fmt: skip


def holding(side: Side, roles: Iterable[str]) -> frozenset[tuple[Side, str]]:
    return frozenset((side, role) for role in roles)


RITA = Actor("rita", holding(Side.RAISING, EVERY_ROLE), frozenset({Side.RAISING}))
RORY = Actor("rory", holding(Side.RAISING, {"line-manager"}))
OMAR = Actor("omar", holding(Side.OTHER, EVERY_ROLE), frozenset({Side.OTHER}))
PAT = Actor("pat", holding(Side.PARTNERSHIP, {"business-manager"}))
CHAIR = Actor("chair", holding(Side.PARTNERSHIP, {"board-chair", "channel-chair"}))
EXECUTIVE = Actor("exec", holding(Side.PARTNERSHIP, {"twsp-executive"}))
NOBODY = Actor("nobody")


@cache
def shipped(name: str) -> Procedure:
    return load_file(LIBRARY / f"{name}.yaml")


@cache
def ladder() -> Procedure:
    return load_text(LADDER_TEXT, "example-ladder.yaml")


# --- a case, as a list of events ---------------------------------------------------------


@dataclass(frozen=True)
class Case:
    procedure: Procedure
    events: tuple[Event, ...]
    state: CaseState
    now: datetime

    @classmethod
    def raised(cls, procedure: Procedure, actor: Actor = RITA, **options: Any) -> Case:
        events = tuple(raise_case(procedure, actor=actor, at=START, **options))
        return cls(procedure, events, replay(events, procedure), START)

    def do(
        self,
        kind: EventKind,
        actor: Actor,
        *,
        after: timedelta = timedelta(hours=1),
        overdue: bool = False,
        **fields: Any,
    ) -> Case:
        now = self.now + after
        new = take(self.procedure, self.state, kind, actor=actor, at=now, overdue=overdue, **fields)
        state = self.state
        for event in new:
            state = apply(state, event, self.procedure)
        return Case(self.procedure, (*self.events, *new), state, now)

    def refusal(
        self, kind: EventKind, actor: Actor, *, overdue: bool = False, **fields: Any
    ) -> str:
        with pytest.raises(Refused) as refused:
            self.do(kind, actor, overdue=overdue, **fields)
        return refused.value.reason

    def done(self) -> list[str]:
        return [step_id for step_id, _ in self.state.completed]

    def __repr__(self) -> str:
        kinds = ", ".join(event.kind.value for event in self.events)
        return f"Case({self.procedure.id}: {kinds}; now at {self.state.stage}, {self.state.status})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's reports
        printer.text(repr(self))


def twsp_case(**options: Any) -> Case:
    return Case.raised(shipped("twsp"), **options)


def escalate(case: Case, to_stage: str) -> Case:
    while case.state.stage != to_stage:
        case = case.do(EventKind.ESCALATED, RITA, reason="no-agreement")
    return case


def resolve(case: Case, actor: Actor = OMAR) -> Case:
    return case.do(
        EventKind.RESOLVED, actor, outcome="Strategy meeting on Friday", outstanding="None"
    )


# --- replay ------------------------------------------------------------------------------


def test_replaying_the_events_gives_the_state_built_up_step_by_step() -> None:
    case = twsp_case()
    steps: list[CaseState] = [case.state]
    actions: list[tuple[EventKind, Actor, dict[str, Any]]] = [
        (EventKind.RESPONSE_RECORDED, OMAR, {"text": "We will not reopen the referral"}),
        (EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, {"text": "Risk is not addressed"}),
        (EventKind.ESCALATED, RITA, {"reason": "response-unsatisfactory"}),
        (EventKind.DISCUSSION_RECORDED, RORY, {"text": "Managers spoke", "agreed": True}),
        (EventKind.RESPONSE_RECORDED, OMAR, {"text": "Confirmed by email"}),
        (EventKind.FEEDBACK_GIVEN, RORY, {"text": "Told Rita the outcome"}),
        (EventKind.RESOLVED, OMAR, {"outcome": "Referral reopened", "outstanding": "None"}),
        (EventKind.DEBRIEF_RECORDED, RITA, {"text": "Debrief held"}),
        (EventKind.CLOSED, RITA, {}),
    ]
    for kind, actor, fields in actions:
        case = case.do(kind, actor, **fields)
        steps.append(case.state)

    assert replay(case.events, case.procedure) == case.state
    for count, state in enumerate(steps, start=1):
        assert replay(case.events[:count], case.procedure) == state
    assert case.state.status is Status.CLOSED
    assert case.state.stages_reached == ("stage-1", "stage-2")
    assert case.state.resolved_stage == "stage-2"
    assert case.state.feedback_count == 1 and case.state.debriefed


def test_a_record_must_start_with_the_event_that_raised_it() -> None:
    case = twsp_case().do(EventKind.NOTE_ADDED, RITA, text="A note")

    with pytest.raises(ValueError, match="starts with the event that raised it"):
        replay(case.events[1:], case.procedure)
    with pytest.raises(ValueError, match="starts with the event that raised it"):
        replay([], case.procedure)


# --- who may do what, in which state: the EVENTS table -----------------------------------

ANY = frozenset({Side.RAISING, Side.OTHER, Side.PARTNERSHIP})
OPEN = frozenset({Status.OPEN})
NOT_ENDED = frozenset({Status.OPEN, Status.RESOLVED})

# Written out by hand from the engine's documentation, so a change to EVENTS is noticed.
# The sides each action is for and the states it may be taken in. Who on those sides may
# take it at a given stage is the roles table's answer: tests/core/test_action_matrix.py.
WHO_MAY: dict[EventKind, tuple[frozenset[Side], frozenset[Status]]] = {
    EventKind.RAISED: (frozenset({Side.RAISING}), frozenset()),
    EventKind.IMMEDIATE_RISK_DECLARED: (ANY, OPEN),
    EventKind.DISCUSSION_RECORDED: (ANY, OPEN),
    EventKind.RESPONSE_RECORDED: (frozenset({Side.OTHER, Side.PARTNERSHIP}), OPEN),
    EventKind.RESPONSE_JUDGED_UNSATISFACTORY: (frozenset({Side.RAISING, Side.PARTNERSHIP}), OPEN),
    EventKind.REFERRED: (ANY, OPEN),
    EventKind.MEETING_HELD: (ANY, OPEN),
    EventKind.DECISION_MADE: (frozenset({Side.PARTNERSHIP}), OPEN),
    EventKind.ESCALATED: (ANY, OPEN),
    EventKind.BYPASSED: (ANY, OPEN),
    EventKind.RESOLVED: (ANY, OPEN),
    EventKind.FEEDBACK_GIVEN: (ANY, NOT_ENDED),
    EventKind.DEBRIEF_RECORDED: (ANY, frozenset({Status.RESOLVED})),
    EventKind.LEARNING_REFERRED: (ANY, NOT_ENDED),
    EventKind.NOTE_ADDED: (ANY, NOT_ENDED),
    EventKind.EVIDENCE_ATTACHED: (ANY, NOT_ENDED),
    EventKind.CLOSED: (frozenset({Side.RAISING, Side.PARTNERSHIP}), frozenset({Status.RESOLVED})),
    EventKind.WITHDRAWN: (frozenset({Side.RAISING}), OPEN),
    EventKind.DEADLINES_MOVED: (frozenset(), NOT_ENDED),
    EventKind.VERSION_CHANGED: (frozenset(), NOT_ENDED),
    EventKind.FORM_ACKNOWLEDGED: (
        frozenset({Side.PARTNERSHIP}),
        frozenset({Status.RESOLVED, Status.CLOSED}),
    ),
    EventKind.BODY_INFORMED: (frozenset({Side.PARTNERSHIP}), NOT_ENDED),
    # Where the stage says who may (may_shorten): TWSP lets every side holding it.
    EventKind.LIMIT_SHORTENED: (ANY, OPEN),
    # Where the stage gives priorities: none of the shipped procedures does.
    EventKind.PRIORITY_SET: (ANY, OPEN),
    EventKind.VIEWS_RECORDED: (ANY, NOT_ENDED),
    EventKind.ADVICE_REQUESTED: (ANY, OPEN),
    EventKind.ADVICE_RECORDED: (frozenset({Side.PARTNERSHIP}), NOT_ENDED),
    EventKind.AGENCY_INVOLVED: (ANY, OPEN),
    # A side route runs beside the case, even once it has ended: each route says when it
    # may start (tests/core/test_routing.py).
    EventKind.SIDE_ROUTE_STARTED: (ANY, frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED})),
    EventKind.SIDE_ROUTE_MOVED_ON: (ANY, frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED})),
    EventKind.SIDE_ROUTE_ENDED: (ANY, frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED})),
}
RECORDED_BY_PARLEY = {EventKind.RAISED, EventKind.DEADLINES_MOVED, EventKind.VERSION_CHANGED}

# Fields that satisfy every kind's own checks on a TWSP case at stage 1 with a response in.
FIELDS: dict[EventKind, dict[str, Any]] = {
    EventKind.IMMEDIATE_RISK_DECLARED: {"text": "Child seen with injuries"},
    EventKind.DISCUSSION_RECORDED: {"text": "Spoke by phone"},
    EventKind.RESPONSE_RECORDED: {"text": "Our answer"},
    EventKind.RESPONSE_JUDGED_UNSATISFACTORY: {"text": "It does not address the risk"},
    EventKind.REFERRED: {"text": "Form sent"},
    EventKind.MEETING_HELD: {"text": "Met on Teams"},
    EventKind.DECISION_MADE: {"text": "Decision made"},
    EventKind.ESCALATED: {"reason": "no-agreement"},
    EventKind.BYPASSED: {"to_stage": "stage-3", "reason": "Manager on long-term leave"},
    EventKind.RESOLVED: {"outcome": "Agreed plan", "outstanding": "None"},
    EventKind.FEEDBACK_GIVEN: {"text": "Told the raiser"},
    EventKind.DEBRIEF_RECORDED: {"text": "Debrief held"},
    EventKind.LEARNING_REFERRED: {"text": "Threshold guidance unclear"},
    EventKind.NOTE_ADDED: {"text": "A note"},
    EventKind.EVIDENCE_ATTACHED: {"filename": "letter.pdf"},
    EventKind.CLOSED: {},
    EventKind.WITHDRAWN: {"reason": "Resolved outside the process"},
    EventKind.RAISED: {},
    EventKind.DEADLINES_MOVED: {},
    EventKind.VERSION_CHANGED: {},
    EventKind.FORM_ACKNOWLEDGED: {"form": "outcome"},
    EventKind.BODY_INFORMED: {"text": "Told the Care Quality Commission"},
    # A day after every walk's moments; the day the stage ends is the door's to give.
    EventKind.LIMIT_SHORTENED: {"due": "2099-12-31", "reason": "The child goes home soon"},
    EventKind.PRIORITY_SET: {"priority": "urgent"},
    EventKind.VIEWS_RECORDED: {"text": "Wants to stay with her aunt"},
    EventKind.ADVICE_REQUESTED: {"adviser": "designated-doctor", "text": "Is this bruising?"},
    EventKind.ADVICE_RECORDED: {"text": "Refer for a child protection medical"},
    EventKind.AGENCY_INVOLVED: {"agency": "school"},
    EventKind.SIDE_ROUTE_STARTED: {"route": "complaint", "text": "Handled badly"},
    EventKind.SIDE_ROUTE_MOVED_ON: {"route": "complaint", "reason": "Not satisfied"},
    EventKind.SIDE_ROUTE_ENDED: {"route": "complaint", "outcome": "Upheld"},
}

# Colleagues on each side who did not raise it, each holding every role of their place.
BY_SIDE = {
    "raising": Actor("colleague-r", holding(Side.RAISING, EVERY_ROLE)),
    "other": Actor("colleague-o", holding(Side.OTHER, EVERY_ROLE)),
    "partnership": Actor("colleague-p", holding(Side.PARTNERSHIP, EVERY_ROLE)),
    "none": Actor("colleague-n"),
}


@cache
def case_in(status: Status) -> Case:
    responded = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="Our answer")
    if status is Status.OPEN:
        return responded
    if status is Status.WITHDRAWN:
        return responded.do(EventKind.WITHDRAWN, RITA, reason="Sorted informally")
    resolved = resolve(responded)
    return resolved if status is Status.RESOLVED else resolved.do(EventKind.CLOSED, RITA)


def test_the_events_table_says_what_the_specification_says() -> None:
    assert {kind: (spec.sides, spec.statuses) for kind, spec in EVENTS.items()} == WHO_MAY
    assert {kind for kind, spec in EVENTS.items() if spec.system} == {
        EventKind.RAISED,
        EventKind.DEADLINES_MOVED,
        EventKind.VERSION_CHANGED,
    }


def test_only_the_person_who_raised_it_can_withdraw_it() -> None:
    assert twsp_case().refusal(EventKind.WITHDRAWN, BY_SIDE["raising"], reason="Sorted") == (
        "Only the person who raised the disagreement can withdraw it"
    )
    assert (
        twsp_case().do(EventKind.WITHDRAWN, RITA, reason="Sorted").state.status is Status.WITHDRAWN
    )


def test_an_agreement_can_only_be_recorded_with_a_discussion_response_or_meeting() -> None:
    assert twsp_case().refusal(EventKind.NOTE_ADDED, RITA, text="x", agreed=True) == (
        "Note added cannot record an agreement"
    )


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (EventKind.DISCUSSION_RECORDED, "what happened"),
        (EventKind.ESCALATED, "the reason"),
        (EventKind.BYPASSED, "the stage to go to"),
        (EventKind.EVIDENCE_ATTACHED, "the file"),
        (EventKind.WITHDRAWN, "the reason"),
    ],
    ids=str,
)
def test_a_required_field_left_blank_is_asked_for_in_words(kind: EventKind, words: str) -> None:
    assert twsp_case().refusal(kind, RITA) == f"Enter {words}"
    assert twsp_case().refusal(kind, RITA, text="   ", reason=" ") == f"Enter {words}"


# --- specific refusals, with their exact reasons ----------------------------------------


def test_cannot_close_without_written_outcome() -> None:
    case = twsp_case()

    assert case.refusal(EventKind.CLOSED, RITA) == (
        "Closed: the disagreement must be resolved first"
    )
    assert case.refusal(EventKind.RESOLVED, OMAR, outstanding="None") == (
        "Enter the written outcome agreed between the parties"
    )
    assert resolve(case).do(EventKind.CLOSED, RITA).state.status is Status.CLOSED


def test_cannot_resolve_without_outstanding_issues_answer() -> None:
    reason = twsp_case().refusal(EventKind.RESOLVED, OMAR, outcome="Agreed plan", outstanding="")

    assert reason == 'Enter how any outstanding issues will be pursued, or "None" if there are none'


def test_no_bypass_where_procedure_does_not_allow_it() -> None:
    case = Case.raised(ladder())

    reason = case.refusal(EventKind.BYPASSED, RITA, to_stage="stage-3", reason="Urgent")

    assert reason == "Example ladder does not allow stages to be bypassed"


@pytest.mark.parametrize("name", ["torbay-channel", "torbay-children", "wirral-children"])
def test_no_bypass_in_shipped_procedures_that_do_not_provide_one(name: str) -> None:
    case = Case.raised(shipped(name))

    reason = case.refusal(EventKind.BYPASSED, RITA, to_stage="stage-3", reason="Urgent")

    assert reason == f"{shipped(name).name} does not allow stages to be bypassed"


def test_bypass_needs_a_reason() -> None:
    # From stage 3, where TWSP allows its exceptional referral and names RITA's roles.
    case = escalate(twsp_case(), "stage-3")
    assert case.refusal(EventKind.BYPASSED, RITA, to_stage="stage-5") == (
        "Enter the reason for bypassing a stage"
    )


def test_bypass_only_by_the_roles_the_procedure_names() -> None:
    # Line managers act at stage 1 of this ladder, but only a safeguarding lead may bypass.
    text = (
        LADDER_TEXT.replace(
            "    raising_side: [practitioner]\n",
            "    raising_side: [practitioner, line-manager]\n",
            1,
        )
        + "bypass:\n  allowed: true\n  by: [safeguarding-lead]\n"
    )
    case = Case.raised(load_text(text, "bypass-by.yaml"))

    reason = case.refusal(EventKind.BYPASSED, RORY, to_stage="stage-3", reason="Urgent")

    assert reason == "Only these roles may bypass a stage: Designated or named safeguarding lead"


def test_bypass_to_the_next_stage_is_refused_escalate_instead() -> None:
    case = escalate(twsp_case(), "stage-3")
    reason = case.refusal(EventKind.BYPASSED, RITA, to_stage="stage-4", reason="Urgent")

    assert reason == "Choose a stage beyond the next one; to go to the next stage, escalate"


def test_bypass_from_the_last_but_one_stage_has_nowhere_to_go() -> None:
    case = escalate(twsp_case(), "stage-4")

    reason = case.refusal(EventKind.BYPASSED, RITA, to_stage="stage-5", reason="Urgent")

    # TWSP allows only the exceptional referral from the end of stage 3 to the Executive.
    assert reason == (
        "TWSP Resolution and Escalation Process does not allow a stage to be bypassed from "
        "Assistant director or director"
    )


def test_bypass_goes_to_the_chosen_stage_and_records_where_from() -> None:
    case = escalate(twsp_case(), "stage-3")

    bypassed = case.do(EventKind.BYPASSED, RITA, to_stage="stage-5", reason="Exceptional")

    assert bypassed.state.stage == "stage-5"
    assert bypassed.state.stages_reached == ("stage-1", "stage-2", "stage-3", "stage-5")
    assert bypassed.events[-1].data["from_stage"] == "stage-3"
    assert bypass_targets(case.procedure, case.state) == ["stage-5"]


def test_no_escalation_past_the_top() -> None:
    case = escalate(twsp_case(), "stage-5")

    assert case.refusal(EventKind.ESCALATED, RITA, reason="no-agreement") == (
        "TWSP Executive is the top of the ladder: there is nowhere higher to go"
    )


def test_escalation_for_deadline_passed_refused_before_deadline() -> None:
    case = twsp_case()

    assert case.refusal(EventKind.ESCALATED, RITA, reason="deadline-passed") == (
        "No deadline at this stage has passed yet"
    )
    escalated = case.do(EventKind.ESCALATED, RITA, reason="deadline-passed", overdue=True)
    assert escalated.state.stage == "stage-2"


def test_escalation_for_unsatisfactory_needs_a_judgement_first() -> None:
    case = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="Our answer")

    assert case.refusal(EventKind.ESCALATED, RITA, reason="response-unsatisfactory") == (
        "Judge the response unsatisfactory first, saying why"
    )
    judged = case.do(EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, text="Misses the risk")
    assert judged.do(EventKind.ESCALATED, RITA, reason="response-unsatisfactory").state.stage == (
        "stage-2"
    )


def test_a_new_response_needs_judging_again_before_escalating_for_it() -> None:
    case = (
        twsp_case()
        .do(EventKind.RESPONSE_RECORDED, OMAR, text="First answer")
        .do(EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, text="Misses the risk")
        .do(EventKind.RESPONSE_RECORDED, OMAR, text="Second answer")
    )

    assert case.refusal(EventKind.ESCALATED, RITA, reason="response-unsatisfactory") == (
        "Judge the response unsatisfactory first, saying why"
    )


def test_escalation_only_for_the_reasons_the_stage_gives() -> None:
    case = Case.raised(shipped("bedfordshire-channel"))

    assert case.refusal(EventKind.ESCALATED, CHAIR, reason="no-agreement") == (
        "At this stage (Manager of the service) the procedure does not move a case up for "
        "no agreement"
    )
    assert case.refusal(EventKind.ESCALATED, CHAIR, reason="because") == (
        '"because" is not a reason to escalate'
    )
    # Section 3, stage 1: only the Channel Chair "may proceed" to the next level.
    assert case.refusal(EventKind.ESCALATED, RITA, reason="deadline-passed", overdue=True) == (
        "At stage 1, Manager of the service, only the Channel panel chair may move it on"
    )


def test_cannot_judge_unsatisfactory_without_a_response() -> None:
    assert twsp_case().refusal(EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, text="Poor") == (
        "There is no response at this stage to judge yet"
    )


def test_a_response_at_an_earlier_stage_cannot_be_judged_at_the_next() -> None:
    case = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="Our answer")
    case = case.do(EventKind.ESCALATED, RITA, reason="no-agreement")

    assert case.refusal(EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, text="Poor") == (
        "There is no response at this stage to judge yet"
    )


def test_raiser_cannot_give_feedback_to_themselves() -> None:
    case = twsp_case()

    assert case.refusal(EventKind.FEEDBACK_GIVEN, RITA, text="I told myself") == (
        "Feedback is given to the person who raised it, not by them"
    )
    assert case.do(EventKind.FEEDBACK_GIVEN, OMAR, text="Told Rita").state.feedback_count == 1


def test_no_debrief_where_the_procedure_has_none() -> None:
    text = LADDER_TEXT + "outcome:\n  debrief: none\n"
    case = resolve(Case.raised(load_text(text, "no-debrief.yaml")))

    assert case.refusal(EventKind.DEBRIEF_RECORDED, RITA, text="Debrief") == (
        "Example ladder has no debrief"
    )


# --- raising: where a case starts -------------------------------------------------------


def test_a_case_starts_at_the_first_formal_stage() -> None:
    assert twsp_case().state.stage == "stage-1"
    assert Case.raised(shipped("bedfordshire-channel")).state.stage == "stage-1"


def test_immediate_risk_starts_at_procedure_stage() -> None:
    case = twsp_case(immediate_risk=True)

    assert (case.state.stage, case.state.route) == ("stage-3", Route.IMMEDIATE_RISK)
    assert case.state.immediate_stage == "stage-3"
    assert case.state.stages_reached == ("stage-3",)


def test_immediate_risk_with_discretion_needs_a_chosen_stage() -> None:
    children = shipped("torbay-children")

    with pytest.raises(Refused) as refused:
        raise_case(children, actor=RITA, at=START, immediate_risk=True)
    assert refused.value.reason == "choose the stage to start at: this procedure leaves it to you"

    case = Case.raised(children, immediate_risk=True, start_stage="stage-4")
    assert (case.state.stage, case.state.immediate_stage) == ("stage-4", "stage-4")


def test_immediate_risk_with_discretion_only_starts_where_the_procedure_allows() -> None:
    with pytest.raises(Refused) as refused:
        raise_case(ladder(), actor=RITA, at=START, immediate_risk=True, start_stage="stage-4")

    assert refused.value.reason == '"stage-4" is not a stage this route may start at'


def test_immediate_risk_where_the_procedure_has_no_such_route() -> None:
    text = LADDER_TEXT.replace(
        "immediate_risk:\n  start: choose\n  allowed_starts: [stage-2, stage-3]\n", ""
    )

    with pytest.raises(Refused) as refused:
        raise_case(load_text(text, "x.yaml"), actor=RITA, at=START, immediate_risk=True)

    assert refused.value.reason == "Example ladder has no immediate-risk route"


def test_informal_start_only_where_procedure_has_informal_stage() -> None:
    with pytest.raises(Refused) as refused:
        raise_case(shipped("twsp"), actor=RITA, at=START, informal=True)
    assert refused.value.reason == "TWSP Resolution and Escalation Process has no informal stage"

    case = Case.raised(shipped("bedfordshire-channel"), informal=True)
    assert case.state.stage == "informal"


def test_raise_on_a_track_the_procedure_does_not_have_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        raise_case(shipped("twsp"), actor=RITA, at=START, track="adults")

    assert (
        refused.value.reason == '"adults" is not a route of TWSP Resolution and Escalation Process'
    )


def test_raise_on_behalf_allowed_to_the_roles_the_procedure_names() -> None:
    lead = Actor("lena", holding(Side.RAISING, {"safeguarding-lead"}))

    case = Case.raised(ladder(), actor=lead, on_behalf_of="A school nurse")

    assert case.events[0].data["on_behalf_of"] == "A school nurse"
    assert case.state.raised_by == "lena"


def test_raise_on_behalf_refused_to_other_roles() -> None:
    with pytest.raises(Refused) as refused:
        raise_case(ladder(), actor=RORY, at=START, on_behalf_of="A school nurse")

    assert refused.value.reason == (
        "only these roles may raise on another's behalf: Designated or named safeguarding lead"
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_raise_on_behalf_refused_where_the_procedure_does_not_provide_for_it(name: str) -> None:
    with pytest.raises(Refused) as refused:
        raise_case(shipped(name), actor=RITA, at=START, on_behalf_of="A colleague")

    assert refused.value.reason == (
        f"{shipped(name).name} does not provide for raising on another's behalf"
    )


# --- declaring immediate risk on an open case -------------------------------------------


def test_immediate_risk_declared_mid_case_moves_the_case_up_to_the_route_stage() -> None:
    case = twsp_case().do(EventKind.IMMEDIATE_RISK_DECLARED, OMAR, text="Child seen with injuries")

    assert (case.state.stage, case.state.route) == ("stage-3", Route.IMMEDIATE_RISK)
    assert case.state.stages_reached == ("stage-1", "stage-3")
    assert case.state.immediate_stage == "stage-3"


def test_immediate_risk_is_not_declared_down_the_ladder() -> None:
    case = escalate(twsp_case(), "stage-4")

    assert case.refusal(EventKind.IMMEDIATE_RISK_DECLARED, RITA, text="Injuries") == (
        "The immediate-risk route goes up the ladder, not down it"
    )


def test_immediate_risk_is_not_declared_again_on_a_case_already_on_that_route() -> None:
    # Declaring it again would restart the stage and its same-working-day clock.
    case = twsp_case(immediate_risk=True)

    assert case.refusal(EventKind.IMMEDIATE_RISK_DECLARED, RITA, text="Still at risk") == (
        "This disagreement is already on the immediate-risk route"
    )


def test_immediate_risk_with_discretion_declared_mid_case_needs_an_allowed_stage() -> None:
    case = Case.raised(ladder())

    assert case.refusal(EventKind.IMMEDIATE_RISK_DECLARED, RITA, text="Injuries") == (
        "Choose the stage to escalate to"
    )
    assert (
        case.refusal(EventKind.IMMEDIATE_RISK_DECLARED, RITA, text="Injuries", to_stage="stage-4")
        == '"stage-4" is not a stage this route may start at'
    )
    assert immediate_targets(case.procedure, case.state) == ["stage-2", "stage-3"]
    moved = case.do(EventKind.IMMEDIATE_RISK_DECLARED, RITA, text="Injuries", to_stage="stage-3")
    assert moved.state.stage == "stage-3"


# --- completing steps -------------------------------------------------------------------


def test_raising_the_case_completes_the_raise_step_of_the_first_stage() -> None:
    case = twsp_case()

    assert case.state.completed == (("raise", START),)


def test_a_response_completes_the_earliest_open_step_it_fits() -> None:
    case = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="We reviewed the file")

    assert case.done() == ["raise", "resolve"]
    assert case.state.completed_at("resolve") == START + timedelta(hours=1)


def test_a_confirmation_step_counts_only_after_an_agreement() -> None:
    case = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="We reviewed the file")

    not_agreed = case.do(EventKind.RESPONSE_RECORDED, OMAR, text="Here it is in writing")
    assert not_agreed.done() == ["raise", "resolve"]

    agreed = case.do(EventKind.RESPONSE_RECORDED, OMAR, text="Confirmed by email", agreed=True)
    assert agreed.done() == ["raise", "resolve", "confirm"]
    assert agreed.state.agreed


def test_an_agreement_recorded_in_a_discussion_lets_the_next_response_confirm() -> None:
    case = escalate(twsp_case(), "stage-2")
    case = case.do(EventKind.DISCUSSION_RECORDED, RORY, text="Managers agreed", agreed=True)
    assert case.done() == ["resolve"] and case.state.agreed

    case = case.do(EventKind.RESPONSE_RECORDED, OMAR, text="Outcome confirmed in writing")

    assert case.done() == ["resolve", "confirm"]


def test_a_referral_then_a_discussion_complete_the_steps_of_stage_three() -> None:
    case = escalate(twsp_case(), "stage-3")

    case = case.do(EventKind.REFERRED, RITA, text="TWSP form sent to the senior manager")
    assert case.done() == ["refer"]
    case = case.do(EventKind.DISCUSSION_RECORDED, OMAR, text="Senior managers spoke")
    assert case.done() == ["refer", "dialogue"]


def test_a_step_of_one_side_is_not_completed_by_the_other_side() -> None:
    # Torbay Channel stage 2: "consult-manager" is the raising side's; "negotiate" is both's.
    case = escalate(Case.raised(shipped("torbay-channel")), "stage-2")

    case = case.do(EventKind.DISCUSSION_RECORDED, OMAR, text="Our managers talked")
    assert case.done() == ["negotiate"]
    case = case.do(EventKind.DISCUSSION_RECORDED, RORY, text="I asked my manager")
    assert case.done() == ["negotiate", "consult-manager"]


def test_the_partnership_takes_its_own_step() -> None:
    # Bedfordshire stage 1: the Channel Chair discusses the response with the professional.
    case = Case.raised(shipped("bedfordshire-channel"), actor=CHAIR)

    case = case.do(EventKind.DISCUSSION_RECORDED, CHAIR, text="Went through the response")

    # "consult" (the line manager and the Chair, before the alert) is done by raising it.
    assert case.done() == ["consult", "discuss-response"]


def test_an_action_can_name_the_step_it_completes() -> None:
    case = escalate(Case.raised(shipped("torbay-channel")), "stage-2")

    case = case.do(
        EventKind.DISCUSSION_RECORDED, RORY, text="Professionals meeting", step="negotiate"
    )

    assert case.done() == ["negotiate"]


def test_a_step_is_completed_once_and_a_note_completes_nothing() -> None:
    case = twsp_case().do(EventKind.NOTE_ADDED, OMAR, text="Called back")
    assert case.done() == ["raise"]

    case = case.do(EventKind.DISCUSSION_RECORDED, RITA, text="Raised it again")
    assert case.done() == ["raise"]


def test_escalating_starts_the_next_stage_with_nothing_done() -> None:
    case = twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="Answer", agreed=True)

    escalated = case.do(EventKind.ESCALATED, RITA, reason="no-agreement")

    assert escalated.state.completed == ()
    assert not (escalated.state.agreed or escalated.state.responded)
    assert escalated.state.stage_entered_at == escalated.now
    assert escalated.state.entered("stage-2") == escalated.now


def test_resolving_at_the_top_completes_the_decision_step() -> None:
    case = escalate(twsp_case(), "stage-5")

    resolved = resolve(case, EXECUTIVE)

    assert resolved.done() == ["decision"]
    assert (resolved.state.status, resolved.state.resolved_stage) == (Status.RESOLVED, "stage-5")


# --- what the case page offers ----------------------------------------------------------

ACTORS = (RITA, RORY, OMAR, PAT, NOBODY)
TRIGGERS = [trigger.value for trigger in EscalationTrigger]


def field_choices(procedure: Procedure, state: CaseState, kind: EventKind) -> list[dict[str, Any]]:
    """Every plausible way of filling in an action: one of them works if any does."""
    stages = [stage.id for stage in procedure.track(state.track).stages]
    if kind is EventKind.ESCALATED:
        return [{"reason": trigger} for trigger in TRIGGERS]
    if kind is EventKind.BYPASSED:
        return [{"to_stage": stage, "reason": "Urgent"} for stage in stages]
    if kind is EventKind.IMMEDIATE_RISK_DECLARED:
        return [{"text": "Injuries", "to_stage": stage} for stage in stages]
    if kind is EventKind.FORM_ACKNOWLEDGED:
        return [{"form": form.id} for form in procedure.forms] or [FIELDS[kind]]
    return [FIELDS[kind]]


def accepted(
    procedure: Procedure,
    state: CaseState,
    kind: EventKind,
    actor: Actor,
    at: datetime,
    overdue: bool,
) -> bool:
    for fields in field_choices(procedure, state, kind):
        try:
            take(procedure, state, kind, actor=actor, at=at, overdue=overdue, **fields)
        except Refused:
            continue
        return True
    return False


def offered_matches_accepted(
    procedure: Procedure, state: CaseState, actor: Actor, at: datetime, overdue: bool
) -> None:
    offered = set(allowed_actions(procedure, state, actor, at=at, overdue=overdue))
    would_take = {
        kind for kind in EventKind if accepted(procedure, state, kind, actor, at, overdue)
    }
    assert offered == would_take, (actor.id, state.stage, state.status, state.route)


def interesting_cases() -> Iterable[Case]:
    yield twsp_case()
    yield twsp_case(immediate_risk=True)
    yield twsp_case().do(EventKind.RESPONSE_RECORDED, OMAR, text="Answer")
    yield escalate(twsp_case(), "stage-4")
    yield escalate(twsp_case(), "stage-5")
    yield resolve(twsp_case())
    yield resolve(twsp_case()).do(EventKind.CLOSED, RITA)
    yield twsp_case().do(EventKind.WITHDRAWN, RITA, reason="Sorted")
    yield Case.raised(shipped("bedfordshire-channel"), informal=True)
    yield Case.raised(shipped("torbay-children"), immediate_risk=True, start_stage="stage-2")
    yield Case.raised(ladder())


@pytest.mark.parametrize("overdue", [False, True], ids=["on-time", "overdue"])
@pytest.mark.parametrize("actor", ACTORS, ids=lambda actor: actor.id)
def test_the_actions_offered_are_exactly_those_take_accepts(actor: Actor, overdue: bool) -> None:
    for case in interesting_cases():
        offered_matches_accepted(case.procedure, case.state, actor, case.now, overdue)


def test_nothing_is_offered_to_someone_with_no_part_in_the_case() -> None:
    assert allowed_actions(shipped("twsp"), twsp_case().state, NOBODY, at=START, overdue=True) == []


# --- random walks -----------------------------------------------------------------------

KINDS = [kind for kind in EventKind if kind not in RECORDED_BY_PARLEY]
ENDINGS = {EventKind.RESOLVED, EventKind.WITHDRAWN}


@st.composite
def raised_cases(draw: st.DrawFn) -> Case:
    procedure = shipped(draw(st.sampled_from(SHIPPED)))
    options: dict[str, Any] = {}
    route = draw(st.sampled_from(["standard", "informal", "immediate"]))
    if route == "informal" and procedure.track().stages[0].informal:
        options["informal"] = True
    elif route == "immediate" and procedure.immediate_risk is not None:
        options["immediate_risk"] = True
        if procedure.immediate_risk.raiser_chooses:
            options["start_stage"] = draw(st.sampled_from(procedure.immediate_risk.allowed_starts))
    return Case.raised(procedure, **options)


def ladder_position(procedure: Procedure, state: CaseState, stage_id: str) -> int:
    return [stage.id for stage in procedure.track(state.track).stages].index(stage_id)


def check_invariants(before: Case, after: Case) -> None:
    procedure, state = after.procedure, after.state
    track = procedure.track(state.track)
    assert track.has_stage(state.stage)
    assert replay(after.events, procedure) == state
    # The ladder is only ever climbed.
    assert state.stages_reached[: len(before.state.stages_reached)] == before.state.stages_reached
    positions = [ladder_position(procedure, state, s) for s in state.stages_reached]
    assert positions == sorted(positions)
    assert state.stages_reached[-1] == state.stage
    assert [s for s, _ in state.stage_entries] == list(state.stages_reached)
    # Once a case leaves "open" it never comes back; only a resolved case is closed.
    if before.state.status is not Status.OPEN:
        assert state.status is not Status.OPEN
    if state.status is Status.CLOSED:
        assert before.state.status in (Status.RESOLVED, Status.CLOSED)
        outcomes = [e.data.get("outcome", "") for e in after.events if e.kind is EventKind.RESOLVED]
        assert len(outcomes) == 1
        # A written outcome where the procedure asks for one (Bedfordshire does not).
        if procedure.outcome.written_confirmation:
            assert str(outcomes[0]).strip()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(start=raised_cases(), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_random_walks_keep_the_record_consistent(start: Case, seed: int) -> None:
    """Random actors try random actions; only accepted ones go on the record.

    Most tries are among the actions the actor is offered (so walks climb the ladder and
    end); the rest are any action at all with any fields, or none, to be refused.
    """
    rng = random.Random(seed)  # uniform choices; a failure prints the seed to replay it
    calendar = calendar_for(start.procedure)
    case = start
    for _ in range(rng.randint(1, 40)):
        actor = rng.choice(ACTORS)
        after = timedelta(hours=rng.choice([0, 1, 4, 20, 24 * 3, 24 * 8]))
        now = case.now + after
        overdue = is_overdue(case_deadlines(case.procedure, calendar, case.state), now)
        offered = allowed_actions(case.procedure, case.state, actor, at=now, overdue=overdue)
        # Endings are offered less often, so that walks go somewhere first.
        endings = [kind for kind in offered if kind in ENDINGS]
        usual = [kind for kind in offered if kind not in ENDINGS]
        roll = rng.random()
        if endings and roll < 0.04:
            kind = rng.choice(endings)
        elif usual and roll < 0.85:
            kind = rng.choice(usual)
        else:
            kind = rng.choice(KINDS)
        fields = rng.choice([*field_choices(case.procedure, case.state, kind), {}])
        if kind in (EventKind.RESPONSE_RECORDED, EventKind.DISCUSSION_RECORDED):
            fields = {**fields, "agreed": rng.random() < 0.3}

        offered_matches_accepted(case.procedure, case.state, actor, now, overdue)
        try:
            moved = case.do(kind, actor, after=after, overdue=overdue, **fields)
        except Refused as refused:
            assert refused.reason.strip()
            continue
        check_invariants(case, moved)
        case = moved

    if case.state.status in (Status.CLOSED, Status.WITHDRAWN):
        # Nothing more, but acknowledging a form sent to someone when the case was
        # resolved (Wirral's proformas), which may come after it is closed.
        late = {EventKind.FORM_ACKNOWLEDGED}
        for actor in ACTORS:
            offered = allowed_actions(case.procedure, case.state, actor, at=case.now, overdue=True)
            assert set(offered) <= late
            for kind in set(EventKind) - late:
                assert not accepted(case.procedure, case.state, kind, actor, case.now, True)


def test_a_closed_or_withdrawn_case_accepts_nothing_from_anyone() -> None:
    for case in (resolve(twsp_case()).do(EventKind.CLOSED, RITA), case_in(Status.WITHDRAWN)):
        for actor in (*ACTORS, *BY_SIDE.values()):
            assert (
                allowed_actions(case.procedure, case.state, actor, at=case.now, overdue=True) == []
            )
            for kind in EventKind:
                assert not accepted(case.procedure, case.state, kind, actor, case.now, True)


def test_a_case_moves_to_a_version_only_if_its_whole_record_reads_under_it() -> None:
    import dataclasses

    case = twsp_case()
    old = case.procedure
    same = dataclasses.replace(old, version="2027-1")
    assert version_change_refusal(case.events, same) is None
    track = old.track()
    fewer = dataclasses.replace(
        old,
        version="2027-2",
        tracks=(dataclasses.replace(track, stages=track.stages[1:]),),
    )
    assert version_change_refusal(case.events, fewer) == (
        f'it has been at "{track.stages[0].id}", which is not a stage of version 2027-2'
    )
