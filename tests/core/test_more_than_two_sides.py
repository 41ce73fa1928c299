"""More than two sides: the person the disagreement is about (told, their views
recorded), advisers consulted at any stage, and a meeting of every agency involved.
Pure: the engine, the loader and the roles' sight, on the Pan-Sussex procedure."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import (
    Actor,
    CaseState,
    Event,
    EventKind,
    Refused,
    allowed_actions,
    raise_case,
    replay,
    take,
    views_due,
)
from parley.core.loader import check_text, load_file
from parley.core.procedure import Procedure, Side
from parley.core.roles import actor_of, role_of, sees, sight_rules
from tests.actors import other_party, partnership, raiser

LONDON = ZoneInfo("Europe/London")
START = datetime(2027, 1, 11, 10, tzinfo=LONDON)
SUSSEX = Path(__file__).resolve().parents[1] / "procedures" / "pan-sussex-children.yaml"
MINIMAL = Path(__file__).resolve().parent / "fixtures" / "procedures" / "minimal.yaml"

RITA = raiser("rita")
OTTO = other_party("otto")
DOCTOR = partnership("dr-dee", "designated-doctor")
NURSE = partnership("nina", "designated-nurse")


def sussex() -> Procedure:
    return load_file(SUSSEX)


def case(procedure: Procedure, *steps: tuple[EventKind, Actor, dict[str, str]]) -> CaseState:
    events: list[Event] = list(raise_case(procedure, actor=RITA, at=START))
    at = START
    for kind, actor, fields in steps:
        at += timedelta(hours=1)
        state = replay(events, procedure)
        events += take(procedure, state, kind, actor=actor, at=at, **fields)
    return replay(events, procedure)


def test_the_procedure_reads_its_participant_advisers_and_meeting() -> None:
    procedure = sussex()
    assert procedure.subject is not None and procedure.subject.views
    assert [a.role for a in procedure.advisers] == ["designated-doctor", "designated-nurse"]
    # An adviser's role extends the roles table: held partnership-wide, no sight of its own.
    doctor = role_of(procedure, "designated-doctor")
    assert (doctor.label, doctor.sight.value, doctor.held.value) == (
        "Designated doctor",
        "none",
        "partnership",
    )
    assert [s.id for s in procedure.track().stages if s.meeting] == ["stage-4"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("participants: {parent: {views: true}}", '"parent" is not a participant'),
        ("participants: {subject: {told: [later]}}", '"later" is not when someone is told'),
        ("advisers: [{role: line-manager}]", "an adviser needs a role of its own"),
        ("advisers: [{role: gp}, {role: gp}]", "listed twice"),
    ],
)
def test_the_loader_refuses_what_it_cannot_run(text: str, message: str) -> None:
    result = check_text(MINIMAL.read_text() + "\n" + text + "\n", "minimal.yaml")
    assert any(message in str(p) for p in result.errors), [str(p) for p in result.problems]


def test_a_meeting_is_of_every_agency_involved() -> None:
    broken = SUSSEX.read_text().replace("of: every-agency-involved", "of: some")
    result = check_text(broken, "pan-sussex-children.yaml")
    assert any("every-agency-involved" in str(p) for p in result.errors)


def test_the_holder_is_told_to_tell_the_child_until_their_views_are_recorded() -> None:
    procedure = sussex()
    state = case(procedure)
    assert views_due(procedure, state) == (
        "The child or young person, or their representative: tell them of the disagreement "
        "and record their views"
    )
    state = case(procedure, (EventKind.VIEWS_RECORDED, RITA, {"text": "Wants to stay at school"}))
    assert views_due(procedure, state) == ""
    # Told again of the outcome (told: [raised, outcome]).
    state = case(
        procedure,
        (EventKind.VIEWS_RECORDED, RITA, {"text": "Wants to stay at school"}),
        (EventKind.RESOLVED, RITA, {"outcome": "Agreed", "outstanding": "None"}),
    )
    assert "tell them of the outcome" in views_due(procedure, state)


def test_views_are_recorded_only_where_the_procedure_asks_and_by_the_holders() -> None:
    with pytest.raises(Refused, match="does not record the views"):
        case(load_file(MINIMAL), (EventKind.VIEWS_RECORDED, RITA, {"text": "x"}))
    with pytest.raises(Refused):
        case(sussex(), (EventKind.VIEWS_RECORDED, DOCTOR, {"text": "x"}))


def test_an_adviser_is_asked_then_records_advice_on_that_case_alone() -> None:
    procedure = sussex()
    fresh = case(procedure)
    # Not asked: the doctor may do nothing, not even give advice.
    assert allowed_actions(procedure, fresh, DOCTOR, at=START, overdue=False) == []
    with pytest.raises(Refused, match="only an adviser asked about this disagreement"):
        case(procedure, (EventKind.ADVICE_RECORDED, DOCTOR, {"text": "x"}))
    with pytest.raises(Refused, match="names no such adviser"):
        case(procedure, (EventKind.ADVICE_REQUESTED, RITA, {"adviser": "gp", "text": "?"}))
    ask = (EventKind.ADVICE_REQUESTED, RITA, {"adviser": "designated-doctor", "text": "Bruising?"})
    asked = case(procedure, ask)
    assert asked.advisers_asked == ("designated-doctor",)
    # Asked: advice, and nothing else; the nurse, not asked, still nothing.
    assert allowed_actions(procedure, asked, DOCTOR, at=START, overdue=False) == [
        EventKind.ADVICE_RECORDED
    ]
    assert allowed_actions(procedure, asked, NURSE, at=START, overdue=False) == []
    advised = case(procedure, ask, (EventKind.ADVICE_RECORDED, DOCTOR, {"text": "Refer to CP"}))
    assert advised.advice_count == 1


def test_an_adviser_sees_only_the_cases_they_were_asked_about() -> None:
    procedure = sussex()
    rules = sight_rules(procedure)
    assert not sees(procedure, DOCTOR, highest_stage_number=4, rules=rules)
    assert sees(
        procedure,
        DOCTOR,
        highest_stage_number=1,
        rules=rules,
        advisers_asked=("designated-doctor",),
    )
    assert not sees(
        procedure,
        NURSE,
        highest_stage_number=1,
        rules=rules,
        advisers_asked=("designated-doctor",),
    )


def test_agencies_involved_see_the_case_from_the_meeting() -> None:
    procedure = sussex()
    rules = sight_rules(procedure)
    lead = actor_of(
        person_id="lee",
        assignments=[("safeguarding-lead", "school")],
        raising_agency="police",
        other_agency="health",
        raised_by="rita",
        involved_agencies=["school"],
    )
    worker = actor_of(
        person_id="pat",
        assignments=[("practitioner", "school")],
        raising_agency="police",
        other_agency="health",
        raised_by="rita",
        involved_agencies=["school"],
    )
    assert lead.involved == frozenset({"safeguarding-lead"})
    assert not sees(procedure, lead, highest_stage_number=3, rules=rules)
    assert sees(procedure, lead, highest_stage_number=4, rules=rules)
    assert not sees(procedure, worker, highest_stage_number=4, rules=rules)


def test_the_holders_add_the_agencies_involved_once_each() -> None:
    procedure = sussex()
    add = (EventKind.AGENCY_INVOLVED, RITA, {"agency": "school"})
    assert case(procedure, add).agencies_involved == ("school",)
    with pytest.raises(Refused, match="already"):
        case(procedure, add, add)
    with pytest.raises(Refused, match="no meeting of every agency involved"):
        case(load_file(MINIMAL), add)
    assert Side.PARTNERSHIP  # the sides are the engine's own; nothing else changes
