"""Questions the person raising a disagreement answers: read from the file, checked when
the case is raised, kept on the raised event and replayed onto the case's state."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import Actor, Raising, Refused, raise_case, replay
from parley.core.loader import check_text, load_file
from parley.core.planner import calendar_for, plan
from parley.core.procedure import Option, QuestionKind, Side

LONDON = ZoneInfo("Europe/London")
FIXTURE = Path(__file__).parent / "fixtures" / "procedures" / "brookvale-dissent.yaml"
RAISED = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)
RITA = Actor("rita", frozenset({(Side.RAISING, "practitioner")}), frozenset({Side.RAISING}))


def _raise(answers: dict[str, str]) -> list:
    procedure = load_file(FIXTURE)
    return raise_case(procedure, actor=RITA, at=RAISED, answers=answers)


def test_the_questions_are_read_in_order_with_their_kinds_and_options() -> None:
    procedure = load_file(FIXTURE)

    assert [(q.id, q.kind, q.required) for q in procedure.questions] == [
        ("conference-ended", QuestionKind.DATE, False),
        ("child-subject-of-plan", QuestionKind.YES_NO, True),
        ("concern", QuestionKind.CHOICE, False),
    ]
    concern = procedure.question("concern")
    assert concern.options[1] == Option("category", "The category of abuse")
    assert procedure.question("conference-ended").names == "the end of the conference"
    assert procedure.question("conference-ended").source.cite == "Section 4"


def test_the_answers_are_kept_on_the_raised_event_and_replayed_onto_the_case() -> None:
    procedure = load_file(FIXTURE)
    answers = {"conference-ended": "2026-12-01", "child-subject-of-plan": "Yes"}

    (event,) = raise_case(procedure, actor=RITA, at=RAISED, answers=answers)

    assert event.data["answers"] == {
        "conference-ended": "2026-12-01",
        "child-subject-of-plan": "yes",
    }
    assert replay([event], procedure).answers == event.data["answers"]


def test_answers_come_through_the_raising_too() -> None:
    procedure = load_file(FIXTURE)
    raising = Raising("a", "b", "summary", answers={"child-subject-of-plan": "no"})

    (event,) = raise_case(procedure, actor=RITA, at=RAISED, raising=raising)

    assert event.data["answers"] == {"child-subject-of-plan": "no"}


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"child-subject-of-plan": "yes", "colour": "red"}, '"colour" is not a question'),
        (
            {"child-subject-of-plan": "yes", "conference-ended": "2026-02-30"},
            "Enter a real date for “When did the child protection conference end?”",
        ),
        (
            {"child-subject-of-plan": "yes", "conference-ended": "2026-12-03"},
            "must be today or in the past",
        ),
        ({}, "Answer “Is the child the subject of a child protection plan?”"),
        ({"child-subject-of-plan": "perhaps"}, "with yes or no"),
        (
            {"child-subject-of-plan": "no", "concern": "weather"},
            "choose one of: The decision about a child protection plan, The category of abuse",
        ),
    ],
)
def test_answers_that_cannot_be_kept_are_refused_in_plain_english(
    answers: dict[str, str], reason: str
) -> None:
    with pytest.raises(Refused) as refused:
        _raise(answers)

    assert reason in refused.value.reason


def test_a_date_answered_as_today_is_accepted() -> None:
    (event,) = _raise({"child-subject-of-plan": "yes", "conference-ended": "2026-12-02"})

    assert event.data["answers"]["conference-ended"] == "2026-12-02"


def test_a_procedure_without_questions_keeps_no_answers() -> None:
    procedure = load_file(Path(__file__).parent / "fixtures" / "procedures" / "minimal.yaml")

    (event,) = raise_case(procedure, actor=RITA, at=RAISED)

    assert "answers" not in event.data
    assert replay([event], procedure).answers == {}


def test_the_plan_takes_the_answers() -> None:
    procedure = load_file(FIXTURE)

    made = plan(
        procedure, calendar_for(procedure), RAISED, answers={"conference-ended": "2026-12-01"}
    )

    assert made.stages[0].stage.id == "stage-1"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("{id: q, text: Which one, kind: choice, options: [{id: a, label: A}]}", "give at least 2"),
        ("{id: q, text: When, kind: date, options: [{id: a, label: A}]}", "only a choice"),
        ("{id: q, text: When, kind: colour}", '"colour" is not a kind'),
        ("{id: q, kind: date}", 'a question needs "text"'),
    ],
)
def test_a_question_written_wrongly_is_refused(question: str, message: str) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "questions:\n", f"questions:\n  - {question}\n", 1
    )

    result = check_text(text, "brookvale.yaml")

    assert any(message in str(p) for p in result.errors), [str(p) for p in result.problems]
