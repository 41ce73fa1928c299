"""Routing by the raiser's answers: the way up a stage's ``next`` takes, notifications that
go only where a condition holds, and side routes out of the ladder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import (
    CaseState,
    Event,
    EventKind,
    Refused,
    apply,
    raise_case,
    replay,
    side_route_offers,
    take,
)
from parley.core.loader import check_text, load_file
from parley.core.notify import NoticeKind, change_notices
from parley.core.planner import calendar_for, plan, side_route_deadlines, side_route_plan
from parley.core.procedure import Procedure
from tests.actors import other_party, partnership, raiser

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "procedures"
LONDON = ZoneInfo("Europe/London")
RAISER = raiser("rita")
OTHER = other_party("omar")
EXECUTIVE = partnership("eve", "partnership-executive")
SCRUTINEER = partnership("sam", "independent-scrutineer")


def joint() -> Procedure:
    return load_file(FIXTURES / "riverside-joint.yaml")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def raised(procedure: Procedure, answers: dict[str, str]) -> list[Event]:
    answers = {"subject": "child", **answers}
    return raise_case(procedure, actor=RAISER, at=at("2027-03-01T10:00"), answers=answers)


def escalate(procedure: Procedure, events: list[Event], when: str) -> list[Event]:
    state = replay(events, procedure)
    return events + take(
        procedure, state, EventKind.ESCALATED, actor=RAISER, at=at(when), reason="no-agreement"
    )


def climb(answers: dict[str, str]) -> CaseState:
    procedure = joint()
    events = raised(procedure, answers)
    for day in ("2027-03-02T10:00", "2027-03-03T10:00", "2027-03-04T10:00"):
        if replay(events, procedure).stage in ("children-board", "adults-board", "directors"):
            break
        events = escalate(procedure, events, day)
    return replay(events, procedure)


# --- the way up chosen by the answers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "top"),
    [
        ({"subject": "child"}, "children-board"),
        ({"subject": "adult"}, "adults-board"),
        ({"subject": "adult", "urgent": "yes"}, "directors"),
        ({"subject": "adult", "urgent": "no"}, "adults-board"),
    ],
)
def test_escalation_takes_the_way_up_the_answers_choose(answers: dict[str, str], top: str) -> None:
    state = climb(answers)

    assert state.stage == top


def test_the_stages_a_choice_leads_to_are_the_same_rung() -> None:
    track = joint().track()

    assert [(s.id, s.number) for s in track.stages] == [
        ("stage-1", 1),
        ("stage-2", 2),
        ("stage-3", 3),
        ("children-board", 4),
        ("adults-board", 4),
        ("directors", 3),
    ]


def test_a_top_stage_reached_by_a_choice_refuses_to_go_higher() -> None:
    procedure = joint()
    state = climb({"subject": "adult"})

    with pytest.raises(Refused, match="top of the ladder"):
        take(
            procedure,
            state,
            EventKind.ESCALATED,
            actor=RAISER,
            at=at("2027-03-05T10:00"),
            reason="no-agreement",
        )


def test_the_plan_follows_the_way_the_answers_choose() -> None:
    procedure = joint()
    calendar = calendar_for(procedure)

    adult = plan(procedure, calendar, at("2027-03-01T10:00"), answers={"subject": "adult"})
    urgent = plan(procedure, calendar, at("2027-03-01T10:00"), answers={"urgent": "yes"})
    unanswered = plan(procedure, calendar, at("2027-03-01T10:00"))

    assert [p.stage.id for p in adult.stages] == ["stage-1", "stage-2", "stage-3", "adults-board"]
    assert [p.stage.id for p in urgent.stages] == ["stage-1", "stage-2", "directors"]
    assert [p.stage.id for p in unanswered.stages][-1] == "children-board"


# --- notifications only where a condition holds ----------------------------------------------


@pytest.mark.parametrize(("involved", "told"), [("yes", True), ("no", False), (None, False)])
def test_the_reviewing_officer_is_told_only_where_one_is_involved(
    involved: str | None, told: bool
) -> None:
    procedure = joint()
    answers = {"reviewing-officer": involved} if involved else {}
    events = raised(procedure, answers)
    before = replay(events, procedure)
    events = escalate(procedure, events, "2027-03-02T10:00")
    after = replay(events, procedure)

    notices = change_notices(procedure, before, after, events[-1:], case="C1", first_sequence=2)
    named = [n for n in notices if n.kind is NoticeKind.NAMED_ALERT]

    assert bool([n for n in named if "reviewing-officer" in n.recipient.roles]) is told


# --- side routes -------------------------------------------------------------------------------


def test_a_party_starts_the_complaint_route_and_it_runs_beside_the_case() -> None:
    procedure = joint()
    events = raised(procedure, {"subject": "child"})
    state = replay(events, procedure)

    assert (procedure.side_route("complaint"), EventKind.SIDE_ROUTE_STARTED) in side_route_offers(
        procedure, state, RAISER
    )
    events += take(
        procedure,
        state,
        EventKind.SIDE_ROUTE_STARTED,
        actor=RAISER,
        at=at("2027-03-02T10:00"),
        route="complaint",
        text="Nobody answered us",
    )
    state = replay(events, procedure)
    (taken,) = state.side_routes

    assert (taken.route, taken.stage, taken.is_open) == ("complaint", "complaint-executive", True)
    assert state.stage == "stage-1"  # the case itself has not moved


def test_a_side_route_is_taken_on_and_ended_by_those_it_names() -> None:
    procedure = joint()
    events = raised(procedure, {})
    events += take(
        procedure,
        replay(events, procedure),
        EventKind.SIDE_ROUTE_STARTED,
        actor=OTHER,
        at=at("2027-03-02T10:00"),
        route="complaint",
        text="x",
    )
    state = replay(events, procedure)

    with pytest.raises(Refused, match="Partnership executive"):
        take(
            procedure,
            state,
            EventKind.SIDE_ROUTE_ENDED,
            actor=RAISER,
            at=at("2027-03-03T10:00"),
            route="complaint",
            outcome="done",
        )
    events += take(
        procedure,
        state,
        EventKind.SIDE_ROUTE_MOVED_ON,
        actor=OTHER,
        at=at("2027-03-30T10:00"),
        route="complaint",
        reason="Not satisfied",
    )
    state = replay(events, procedure)
    assert state.side_route("complaint").stage == "complaint-scrutineer"  # type: ignore[union-attr]

    events += take(
        procedure,
        state,
        EventKind.SIDE_ROUTE_ENDED,
        actor=SCRUTINEER,
        at=at("2027-04-05T10:00"),
        route="complaint",
        outcome="Upheld",
    )
    state = replay(events, procedure)
    assert state.side_route("complaint").is_open is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("who", "words"),
    [
        (partnership("pat", "partnership-executive"), "started by the raising side or"),
        (RAISER, None),
    ],
)
def test_only_those_a_side_route_names_may_start_it(who: object, words: str | None) -> None:
    procedure = joint()
    state = replay(raised(procedure, {}), procedure)

    if words is None:
        take(
            procedure,
            state,
            EventKind.SIDE_ROUTE_STARTED,
            actor=who,  # type: ignore[arg-type]
            at=at("2027-03-02T10:00"),
            route="complaint",
            text="x",
        )
    else:
        with pytest.raises(Refused, match=words):
            take(
                procedure,
                state,
                EventKind.SIDE_ROUTE_STARTED,
                actor=who,  # type: ignore[arg-type]
                at=at("2027-03-02T10:00"),
                route="complaint",
                text="x",
            )


def test_a_side_route_has_its_own_deadlines_kept_apart_from_the_case() -> None:
    procedure = joint()
    events = raised(procedure, {})
    events += take(
        procedure,
        replay(events, procedure),
        EventKind.SIDE_ROUTE_STARTED,
        actor=RAISER,
        at=at("2027-03-22T10:00"),
        route="complaint",
        text="x",
    )
    state = replay(events, procedure)

    (deadline,) = side_route_deadlines(procedure, calendar_for(procedure), state)

    # 20 working days from Monday 22 March 2027, past Good Friday (26 March) and Easter
    # Monday (29 March): 23, 24, 25, 30, 31 March; 1, 2, 5 to 9, 12 to 16, 19 to 22 April.
    assert deadline.due == at("2027-04-21T17:00")
    assert deadline.key == "complaint:complaint-executive"


def test_the_side_routes_plan_dates_each_of_its_stages() -> None:
    procedure = joint()

    first, second = side_route_plan(
        procedure, calendar_for(procedure), "complaint", at("2027-03-22T10:00")
    )

    assert first.ends_at == at("2027-04-21T17:00")
    assert second.ends_at == at("2027-05-20T17:00")  # 20 more, past the 3 May bank holiday


def test_a_side_route_from_closed_waits_for_the_case_to_end() -> None:
    text = (FIXTURES / "riverside-joint.yaml").read_text(encoding="utf-8")
    procedure = check_text(text.replace("from: any-stage", "from: closed")).procedure
    assert procedure is not None
    state = replay(raised(procedure, {}), procedure)

    with pytest.raises(Refused, match="only once the disagreement has ended"):
        take(
            procedure,
            state,
            EventKind.SIDE_ROUTE_STARTED,
            actor=RAISER,
            at=at("2027-03-02T10:00"),
            route="complaint",
            text="x",
        )


def test_side_route_events_never_move_the_case() -> None:
    procedure = joint()
    events = raised(procedure, {})
    state = replay(events, procedure)
    (started,) = take(
        procedure,
        state,
        EventKind.SIDE_ROUTE_STARTED,
        actor=RAISER,
        at=at("2027-03-02T10:00"),
        route="complaint",
        text="x",
    )

    after = apply(state, started, procedure)

    assert (after.stage, after.stage_entered_at, after.completed) == (
        state.stage,
        state.stage_entered_at,
        state.completed,
    )


def test_with_no_answer_a_case_goes_the_way_it_goes_otherwise() -> None:
    stage = joint().track().stage("stage-3")

    assert stage.next_for({}) == "children-board"
    assert stage.next_for({"subject": "adult"}) == "adults-board"


# --- the loader refuses routes it cannot take ---------------------------------------------


def _checked(old: str, new: str) -> list[str]:
    text = (FIXTURES / "riverside-joint.yaml").read_text(encoding="utf-8")
    assert old in text
    return [str(p) for p in check_text(text.replace(old, new, 1), "joint.yaml").problems]


ADULTS_WAY = 95  # the line of "- when: {subject: adult}" under stage-3's next


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "stage: adults-board\n",
            "stage: adult-board\n",
            f'joint.yaml, line {ADULTS_WAY}: stage "stage-3" goes next to "adult-board", which '
            'is not a stage of this procedure; did you mean "adults-board"?',
        ),
        (
            "{subject: adult}",
            "{subjects: adult}",
            f'joint.yaml, line {ADULTS_WAY}: the condition asks about "subjects", which is not '
            'one of the procedure\'s "questions"; did you mean "subject"?',
        ),
        (
            "{subject: adult}",
            "{subject: adults}",
            f'joint.yaml, line {ADULTS_WAY}: "adults" is not an answer to "subject": its '
            'options are child, adult; did you mean "adult"?',
        ),
        (
            "only_if: {reviewing-officer: yes}",
            "only_if: {reviewing-officer: maybe}",
            'joint.yaml, line 78: the answer to "reviewing-officer" is "yes" or "no", not "maybe"',
        ),
        (
            "      - stage: children-board\n",
            "      - when: {subject: child}\n        stage: children-board\n",
            'joint.yaml, line 98: the last way up from stage "stage-3" is where a case goes when '
            'no condition holds: leave out its "when"',
        ),
    ],
)
def test_the_loader_refuses_a_route_it_cannot_take_with_its_line(
    old: str, new: str, problem: str
) -> None:
    assert problem in _checked(old, new)


def test_a_top_stage_written_above_another_says_next_none() -> None:
    text = (FIXTURES / "riverside-joint.yaml").read_text(encoding="utf-8")

    procedure = check_text(text.replace("    next: none\n", "", 1)).procedure

    # Without it the children's chair would go on to the stage written below it.
    assert procedure is not None
    assert procedure.track().stage("children-board").next == "adults-board"
    assert joint().track().stage("children-board").next is None


def test_the_fixture_loads_with_no_problem() -> None:
    result = check_text((FIXTURES / "riverside-joint.yaml").read_text(encoding="utf-8"))

    assert [str(p) for p in result.problems] == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "      - id: complaint-executive\n",
            "      - id: stage-2\n",
            'stage "stage-2" of side route "complaint" has the id of another stage: give it '
            "its own",
        ),
        (
            "may_start: [raising, other]",
            "may_start: [raising, complainant]",
            '"complainant" is not a role Parley knows',
        ),
        (
            "        partnership_side: [independent-scrutineer]\n",
            "",
            'stage "complaint-scrutineer" of side route "complaint" needs to say who acts',
        ),
    ],
)
def test_the_loader_refuses_a_side_route_it_cannot_run(old: str, new: str, problem: str) -> None:
    assert any(problem in found for found in _checked(old, new))


def test_a_side_routes_stage_is_told_when_the_route_reaches_it() -> None:
    procedure = joint()
    events = raised(procedure, {})
    before = replay(events, procedure)
    events += take(
        procedure,
        before,
        EventKind.SIDE_ROUTE_STARTED,
        actor=RAISER,
        at=at("2027-03-02T10:00"),
        route="complaint",
        text="x",
    )
    after = replay(events, procedure)

    notices = change_notices(procedure, before, after, events[-1:], case="C1", first_sequence=2)

    (told,) = [n for n in notices if n.kind is NoticeKind.NAMED_ALERT]
    assert told.recipient.roles == frozenset({"partnership-executive"})
    assert "it has reached Partnership executive" in told.why


def test_procedures_show_lists_each_way_up_and_the_side_routes() -> None:
    from parley.commands import ladder_text

    text = ladder_text(joint())

    assert (
        "  Goes next to: Chair of the Safeguarding Adults Board, if the answer to “Is the "
        "disagreement about a child or an adult?” is “An adult”"
    ) in text
    assert "  Goes next to: Chair of the Safeguarding Children Partnership, otherwise" in text
    assert "Side route: Complaint about the partnership's handling (from any-stage)" in text
    assert "  2. Independent scrutineer — 20 working days" in text
