"""Clocks that run from outside their stage (a date the raiser gave, a step of another
stage, the end of a cap), caps that the dates honour, and "48 hours (two working days)".

Every date here is counted by hand, in the comments, on the 2026 calendar of England:
Tuesday 1 December 2026 is a working day, and so is every weekday to 23 December.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.durations import DurationError, Unit, parse_duration
from parley.core.engine import Event, EventKind, replay
from parley.core.loader import check_text, load_file, load_text
from parley.core.planner import Deadline, calendar_for, case_deadlines, plan

LONDON = ZoneInfo("Europe/London")
FIXTURE = Path(__file__).parent / "fixtures" / "procedures" / "brookvale-dissent.yaml"
RAISED = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)  # Wednesday


def at(day: int, hour: int = 17, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LONDON)


def planned(answers: dict[str, str] | None = None, text: str = "") -> dict[str, Deadline]:
    procedure = load_text(text, "brookvale.yaml") if text else load_file(FIXTURE)
    made = plan(procedure, calendar_for(procedure), RAISED, answers=answers)
    found = {}
    for stage in made.stages:
        for deadline in stage.deadlines:
            found[deadline.key] = deadline
    return found


def ends(answers: dict[str, str] | None = None) -> dict[str, datetime | None]:
    procedure = load_file(FIXTURE)
    made = plan(procedure, calendar_for(procedure), RAISED, answers=answers)
    return {stage.stage.id: stage.ends_at for stage in made.stages}


# --- B: a clock from a date the raiser gave --------------------------------------------------


def test_a_limit_runs_from_the_date_the_raiser_gave_and_says_so() -> None:
    # The conference ended on Tuesday 1 December; its clock starts as that day's work ends,
    # 5pm. 72 hours on working days: Wednesday 5pm (24), Thursday 5pm (48), Friday 5pm (72).
    dissent = planned({"conference-ended": "2026-12-01"})["stage-1/dissent"]

    assert dissent.due == at(4)
    assert dissent.explanation.sentence().startswith(
        "72 hours from the end of the conference on Tuesday 1 December"
    )


def test_without_the_date_the_clock_starts_as_it_otherwise_would_and_says_so() -> None:
    # From the raise, 10am on Wednesday 2 December: Thursday 10am (24), Friday 10am (48),
    # Monday 7 December 10am (72).
    dissent = planned()["stage-1/dissent"]

    assert dissent.due == at(7, 10)
    assert "the end of the conference was not given, so the clock runs as it otherwise would" in (
        dissent.explanation.sentence()
    )


def test_a_date_long_past_gives_a_deadline_already_past() -> None:
    # Friday 20 November 5pm: Monday 23 5pm (24), Tuesday 24 (48), Wednesday 25 (72).
    dissent = planned({"conference-ended": "2026-11-20"})["stage-1/dissent"]

    assert dissent.due == at(25, month=11)
    assert dissent.is_overdue(RAISED)


# --- D: "48 hours (two working days)" -------------------------------------------------------


def test_hours_written_with_their_working_days_end_at_the_close_of_the_last_day() -> None:
    limit = parse_duration("48 hours (two working days)")

    assert (limit.unit, limit.amount, limit.describe()) == (Unit.WORKING_DAYS, 2, "2 working days")
    assert str(limit) == "48 hours (two working days)"
    # From Friday 4 December 5pm, day 0: Monday 7 (1), Tuesday 8 (2), at its close.
    assert planned({"conference-ended": "2026-12-01"})["stage-1/reply"].due == at(8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("48 hours (3 working days)", "should be the same time as"),
        ("2 working days (48 hours)", "should be the working days it means"),
        ("48 hours (two days)", "does not say which days count"),
    ],
)
def test_a_bracketed_equivalence_that_does_not_add_up_is_refused(text: str, message: str) -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration(text)

    assert message in str(refused.value)


# --- C: a cap the dates honour -----------------------------------------------------------------


def test_a_step_inside_a_cap_never_ends_after_the_cap() -> None:
    # The cap starts with stage 1, at the raise on Wednesday 2 December: 5 working days is
    # Wednesday 9 December. Stage 2 is reached on Tuesday 8 December, when the reply is due;
    # its review's 5 working days (Tuesday 15) would run past the cap, so the cap sets it.
    review = planned({"conference-ended": "2026-12-01"})["stage-2/review"]

    assert review.due == at(9)
    assert (
        "the time limit for stages 1 and 2 (5 working days) ends sooner, so it sets this date"
        in (review.explanation.sentence())
    )
    assert ends({"conference-ended": "2026-12-01"})["stage-2"] == at(9)


def test_a_stage_runs_from_the_end_of_a_cap_and_says_so() -> None:
    # 10 working days from Wednesday 9 December: Wednesday 23 December.
    stage_3 = planned({"conference-ended": "2026-12-01"})["stage-3"]

    assert stage_3.due == at(23)
    assert stage_3.explanation.sentence().startswith(
        "10 working days from the end of the time limit for stages 1 and 2, 5pm on Wednesday "
        "9 December"
    )


def test_a_stage_with_no_limit_of_its_own_inside_a_cap_ends_with_the_cap() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "        within: 5 working days\n        source: Section 5\n",
        "        source: Section 5\n",
    )

    found = planned({"conference-ended": "2026-12-01"}, text)

    assert found["stage-2"].due == at(9)
    assert "the stage has no limit of its own" in found["stage-2"].explanation.sentence()
    assert found["stage-3"].due == at(23)


def test_a_cap_over_stages_with_no_limit_is_not_said_never_to_apply() -> None:
    # The review has no limit, so stage 2 allows any time: a cap of 12 working days over
    # stages 1 and 2 (whose limits add up to 5) still applies.
    text = (
        FIXTURE.read_text(encoding="utf-8")
        .replace(
            "        within: 5 working days\n        source: Section 5\n",
            "        source: Section 5\n",
        )
        .replace(
            "      within: 5 working days\n      source: Section 5\n",
            "      within: 12 working days\n      source: Section 5\n",
        )
    )

    result = check_text(text, "brookvale.yaml")

    assert result.problems == []


def test_a_cap_over_steps_is_read_and_bounds_only_those_steps() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "      stages: [stage-1, stage-2]\n      within: 5 working days\n",
        "      stages: [stage-1.dissent, stage-1.reply]\n      within: 3 working days\n",
    )

    found = planned({"conference-ended": "2026-12-01"}, text)

    # 3 working days from Wednesday 2 December: Monday 7 December, before the reply's
    # Tuesday 8; the review is not in the cap and keeps its 5 working days from Monday 7.
    assert found["stage-1/reply"].due == at(7)
    assert found["stage-2/review"].due == at(14)
    assert found["stage-3"].due.date().isoformat() == "2026-12-21"  # 10 days from Monday 7


def test_a_clock_naming_what_is_not_there_is_refused() -> None:
    text = (
        FIXTURE.read_text(encoding="utf-8")
        .replace("after: answer:conference-ended", "after: answer:concern")
        .replace("after: cap:chair-and-review", "after: cap:chair-and-reveiw")
    )

    problems = [str(p) for p in check_text(text, "brookvale.yaml").errors]

    assert any('question "concern" is not a date question' in p for p in problems), problems
    assert any('did you mean "chair-and-review"' in p for p in problems), problems


# --- B and C on a live case ----------------------------------------------------------------


def _case(*events: Event) -> list[Deadline]:
    procedure = load_file(FIXTURE)
    raised = Event(
        EventKind.RAISED,
        RAISED,
        "rita",
        "stage-1",
        {"answers": {"conference-ended": "2026-12-01"}},
    )
    state = replay([raised, *events], procedure)
    return case_deadlines(procedure, calendar_for(procedure), state)


def test_a_live_case_honours_the_cap_and_runs_the_next_stage_from_its_end() -> None:
    at_stage_2 = _case(
        Event(EventKind.ESCALATED, at(7, 12), "rita", "stage-1", {"to_stage": "stage-2"})
    )
    # Reached on Monday 7 December: the review's 5 working days (Monday 14) run past the
    # cap, which started with the raise and ends on Wednesday 9 December.
    by_key = {d.key: d for d in at_stage_2}
    assert by_key["stage-2/review"].due == at(9)
    assert by_key["cap:chair-and-review"].due == at(9)

    at_stage_3 = _case(
        Event(EventKind.ESCALATED, at(7, 12), "rita", "stage-1", {"to_stage": "stage-2"}),
        Event(EventKind.ESCALATED, at(10, 9), "rita", "stage-2", {"to_stage": "stage-3"}),
    )
    assert {d.key: d.due for d in at_stage_3} == {"stage-3": at(23)}


def test_a_live_case_runs_a_clock_from_a_step_of_an_earlier_stage() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "        action: decide\n        within: 5 working days\n",
        "        action: decide\n        after: stage-1.reply\n        within: 3 working days\n",
    )
    procedure = load_text(text, "brookvale.yaml")
    raised = Event(EventKind.RAISED, RAISED, "rita", "stage-1", {})
    replied = Event(EventKind.RESPONSE_RECORDED, at(3, 15), "omar", "stage-1", {})
    escalated = Event(EventKind.ESCALATED, at(4, 9), "rita", "stage-1", {"to_stage": "stage-2"})
    state = replay([raised, replied, escalated], procedure)

    (review,) = [d for d in case_deadlines(procedure, calendar_for(procedure), state) if d.step]

    # 3 working days from Thursday 3 December: Tuesday 8 December, before the cap's 9th.
    assert review.due == at(8)
    assert "from “The chair replies”, 3pm on Thursday 3 December" in review.explanation.sentence()
