"""A stage's time limit shortened for one case, and limits in calendar days that end on a
day nobody works.

Pure tests: no Django and no database. Dates counted by hand (England and Wales):
25 December 2026 is a Friday, Boxing Day falls on Saturday 26 December and its bank
holiday is Monday 28 December; 1 January 2027 is a Friday.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import (
    CaseState,
    EventKind,
    Refused,
    allowed_actions,
    apply,
    raise_case,
    replay,
    take,
)
from parley.core.loader import check_text, load_file, load_text
from parley.core.planner import Deadline, calendar_for, case_deadlines, plan, stage_ends
from parley.core.procedure import Procedure, Side
from tests.actors import other_party, partnership, raiser

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
RITA = raiser("rita")
OMAR = other_party("omar")
PAT = partnership("pat", "business-manager")
RAISED = datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)  # Monday
WHY = "the child is due to be discharged home on 23 December"


@cache
def twsp() -> Procedure:
    return load_file(LIBRARY / "twsp.yaml")


def day(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    text = f"{local:%a} {local.day} {local:%b %Y}"
    return text if local.time() == time(17, 0) else f"{text} {local:%H:%M}"


def raised(procedure: Procedure) -> CaseState:
    return replay(raise_case(procedure, actor=RITA, at=RAISED), procedure)


def deadlines(procedure: Procedure, state: CaseState) -> list[Deadline]:
    return case_deadlines(procedure, calendar_for(procedure), state)


def shorten(procedure: Procedure, state: CaseState, by: Any, **fields: Any) -> CaseState:
    ends = stage_ends(deadlines(procedure, state), state.stage)
    at = datetime(2026, 12, 21, 15, 0, tzinfo=LONDON)
    for event in take(
        procedure, state, EventKind.LIMIT_SHORTENED, actor=by, at=at, stage_ends=ends, **fields
    ):
        state = apply(state, event, procedure)
    return state


# --- A: "whichever is shortest" ---------------------------------------------------------


def test_twsp_stages_may_be_shortened_citing_section_2_4_and_the_stage_text() -> None:
    for stage in twsp().track().stages:
        assert stage.may_shorten is not None, stage.id
        assert stage.may_shorten.by == {Side.RAISING, Side.OTHER, Side.PARTNERSHIP}
        assert "Section 2.4" in stage.may_shorten.source.cite
        assert "whichever is shortest" in stage.may_shorten.source.cite


def test_a_shorter_limit_moves_the_stage_and_any_later_step_to_the_new_day() -> None:
    procedure = twsp()
    state = raised(procedure)
    # Written: 7 working days from Monday 21 December: 22, 23, 24, 29, 30, 31 December and
    # 4 January. Raising did the raise step; the response step: 3 working days from
    # Monday: 22, 23, 24 December.
    before = {d.key: day(d.due) for d in deadlines(procedure, state)}
    assert before["stage-1"] == "Mon 4 Jan 2027"
    assert before["stage-1/resolve"] == "Thu 24 Dec 2026"

    state = shorten(procedure, state, OMAR, due="2026-12-23", reason=WHY)

    after = {d.key: d for d in deadlines(procedure, state)}
    assert day(after["stage-1"].due) == "Wed 23 Dec 2026"
    assert day(after["stage-1/resolve"].due) == "Wed 23 Dec 2026"
    assert day(after["stage-1/raise"].due) == "Wed 23 Dec 2026"  # no later: left as it was
    assert after["stage-1/raise"].explanation.note == ""
    assert after["stage-1"].explanation.sentence() == (
        "7 working days from Monday 21 December 2026: shortened to Wednesday 23 December "
        f"2026 because {WHY}."
    )
    assert "the stage's time limit was shortened to Wednesday 23 December 2026" in (
        after["stage-1/resolve"].explanation.sentence()
    )
    assert after["stage-1"].rule == "7 working days"  # the written limit, as the document has it
    assert after["stage-1"].shortened == (f"Shortened to Wednesday 23 December 2026 because {WHY}")
    assert after["stage-1/raise"].shortened == ""
    assert "Section 2.4" in after["stage-1"].source
    # A fixed day: a calendar change does not move it by the working-day arithmetic.
    assert after["stage-1"].working_days is None


def test_a_shorter_limit_is_never_longer_than_the_written_one() -> None:
    procedure = twsp()
    state = raised(procedure)
    with pytest.raises(Refused) as refused:
        shorten(procedure, state, RITA, due="2027-01-04", reason=WHY)
    assert refused.value.reason == (
        "The new last day must be before Monday 4 January 2027, when the stage's time limit "
        "ends now: a time limit can be made shorter, never longer"
    )
    shorter = shorten(procedure, state, RITA, due="2026-12-30", reason=WHY)
    with pytest.raises(Refused, match="never longer"):
        shorten(procedure, shorter, RITA, due="2026-12-31", reason=WHY)


def test_a_shorter_limit_needs_a_real_date_not_in_the_past_and_a_reason() -> None:
    procedure = twsp()
    state = raised(procedure)
    with pytest.raises(Refused, match="Enter the reason"):
        shorten(procedure, state, RITA, due="2026-12-23", reason="")
    with pytest.raises(Refused, match="Enter the new last day of the stage"):
        shorten(procedure, state, RITA, reason=WHY)
    with pytest.raises(Refused, match="must be a real date"):
        shorten(procedure, state, RITA, due="2026-12-32", reason=WHY)
    with pytest.raises(Refused, match="cannot be in the past"):
        shorten(procedure, state, RITA, due="2026-12-18", reason=WHY)


def test_only_the_people_holding_the_stage_now_may_shorten_it() -> None:
    procedure = twsp()
    state = raised(procedure)
    with pytest.raises(Refused, match="It is not yours to do at this stage"):
        shorten(procedure, state, PAT, due="2026-12-23", reason=WHY)
    at = datetime(2026, 12, 21, 15, 0, tzinfo=LONDON)
    assert EventKind.LIMIT_SHORTENED in allowed_actions(
        procedure, state, OMAR, at=at, overdue=False
    )
    assert EventKind.LIMIT_SHORTENED not in allowed_actions(
        procedure, state, PAT, at=at, overdue=False
    )


ONE_SIDE = """\
parley: 1
id: example-shorten
name: Example procedure
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [adults]
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitioner]
    within: 5 working days
    may_shorten:
      by: [raising]
      source: Section 3
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    other_side: [line-manager]
    within: 5 working days
"""


def test_may_shorten_names_the_sides_that_may_and_a_stage_without_it_may_not() -> None:
    procedure = load_text(ONE_SIDE)
    state = raised(procedure)
    with pytest.raises(Refused) as refused:
        shorten(procedure, state, OMAR, due="2026-12-23", reason=WHY)
    assert refused.value.reason == (
        "At stage 1, Practitioners, the time limit can be shortened only by the raising "
        "agency, holding the stage now. It is not yours to do at this stage."
    )
    at = datetime(2026, 12, 22, 9, 0, tzinfo=LONDON)
    (escalated,) = take(
        procedure, state, EventKind.ESCALATED, actor=RITA, at=at, reason="no-agreement"
    )
    moved = apply(
        shorten(procedure, state, RITA, due="2026-12-23", reason=WHY), escalated, procedure
    )
    # A new stage starts with its written limit: the shorter one was for stage 1.
    assert moved.shortened_to is None
    # 5 working days from Tuesday 22 December: 23, 24, 29, 30, 31 December.
    assert day(stage_ends_of(procedure, moved)) == "Thu 31 Dec 2026"
    with pytest.raises(Refused) as refused:
        shorten(procedure, moved, RITA, due="2026-12-23", reason=WHY)
    assert refused.value.reason == (
        "Shortening the time limit is not something anyone does at stage 2, Managers: "
        "Example procedure does not allow it"
    )


def stage_ends_of(procedure: Procedure, state: CaseState) -> datetime:
    return next(d.due for d in deadlines(procedure, state) if d.key == state.stage)


def test_may_shorten_is_checked_when_the_file_is() -> None:
    text = ONE_SIDE.replace("by: [raising]", "by: [raisin]").replace(
        "    within: 5 working days\n    may_shorten", "    within: none\n    may_shorten"
    )
    messages = [str(p) for p in check_text(text).errors]
    assert any('"raisin" is not a side' in m for m in messages), messages
    assert any("has no time limit to shorten" in m for m in messages), messages


# --- B: calendar days that end on a day nobody works -----------------------------------

CALENDAR_DAYS = """\
parley: 1
id: example-calendar-days
name: Example procedure
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [adults]
calendar:
  region: england-and-wales
{setting}stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitioner]
    within: 10 calendar days
    source: Section 3
"""


def calendar_days(setting: str = "") -> Procedure:
    return load_text(CALENDAR_DAYS.format(setting=setting))


def stage_one(procedure: Procedure, raised_at: datetime) -> Deadline:
    (deadline,) = plan(procedure, calendar_for(procedure), raised_at).stages[0].deadlines
    return deadline


def test_calendar_days_ending_on_a_bank_holiday_move_to_the_next_working_day() -> None:
    # 10 calendar days from Wednesday 16 December 2026: Saturday 26 December (Boxing Day,
    # a weekend day). Sunday 27 and Monday 28 (the bank holiday for Boxing Day) are not
    # worked: Tuesday 29.
    procedure = calendar_days("  calendar_days_end: next-working-day\n")
    deadline = stage_one(procedure, datetime(2026, 12, 16, 10, 0, tzinfo=LONDON))
    assert day(deadline.due) == "Tue 29 Dec 2026"
    assert deadline.explanation.sentence() == (
        "10 calendar days from 10am on Wednesday 16 December 2026: the last day is Saturday "
        "26 December 2026; it moves to the next working day, Tuesday 29 December 2026; "
        "28 December is a bank holiday."
    )


def test_where_the_file_does_not_say_calendar_days_move_and_say_it_is_parleys_choice() -> None:
    procedure = calendar_days()
    deadline = stage_one(procedure, datetime(2026, 12, 16, 10, 0, tzinfo=LONDON))
    assert day(deadline.due) == "Tue 29 Dec 2026"
    assert "Parley's choice: the document does not say" in deadline.explanation.sentence()


def test_calendar_days_as_counted_end_on_the_day_counted() -> None:
    procedure = calendar_days("  calendar_days_end: as-counted\n")
    deadline = stage_one(procedure, datetime(2026, 12, 16, 10, 0, tzinfo=LONDON))
    assert day(deadline.due) == "Sat 26 Dec 2026"
    assert "it ends on Saturday 26 December 2026 as counted" in deadline.explanation.sentence()


def test_calendar_days_ending_on_a_working_day_end_there_whatever_the_setting() -> None:
    # 10 calendar days from Friday 4 December 2026: Monday 14 December.
    for setting in ("", "  calendar_days_end: as-counted\n"):
        deadline = stage_one(calendar_days(setting), datetime(2026, 12, 4, 10, 0, tzinfo=LONDON))
        assert day(deadline.due) == "Mon 14 Dec 2026"
        assert deadline.explanation.sentence() == (
            "10 calendar days from 10am on Friday 4 December 2026."
        )


def test_an_unknown_calendar_days_end_is_refused_in_plain_english() -> None:
    messages = [
        str(p)
        for p in check_text(CALENDAR_DAYS.format(setting="  calendar_days_end: next-day\n")).errors
    ]
    assert any('"next-day" is not a way for calendar days to end' in m for m in messages)


def test_shortened_day_is_kept_as_a_date() -> None:
    procedure = twsp()
    state = shorten(procedure, raised(procedure), OMAR, due="2026-12-23", reason=WHY)
    assert state.shortened_to == date(2026, 12, 23)
    assert state.shortened_because == WHY


# --- priorities that set a stage's time limit -----------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "procedures"


def at_stage_two() -> tuple[Procedure, CaseState]:
    procedure = load_file(FIXTURES / "shorter-limits.yaml")
    state = raised(procedure)
    when = datetime(2026, 12, 22, 9, 0, tzinfo=LONDON)  # Tuesday
    for event in take(
        procedure, state, EventKind.ESCALATED, actor=RITA, at=when, reason="no-agreement"
    ):
        state = apply(state, event, procedure)
    return procedure, state


def set_priority(procedure: Procedure, state: CaseState, value: str) -> CaseState:
    when = datetime(2026, 12, 22, 11, 0, tzinfo=LONDON)
    for event in take(
        procedure, state, EventKind.PRIORITY_SET, actor=OMAR, at=when, priority=value
    ):
        state = apply(state, event, procedure)
    return state


def test_the_priority_given_at_a_stage_sets_its_time_limit() -> None:
    procedure, state = at_stage_two()
    # Routine, the default: 5 working days from Tuesday 22 December: 23, 24, 29, 30, 31.
    (routine,) = [d for d in deadlines(procedure, state) if d.key == "stage-2"]
    assert day(routine.due) == "Thu 31 Dec 2026"
    assert routine.explanation.sentence() == (
        "5 working days from Tuesday 22 December 2026: the priority is Routine; 25 and 28 "
        "December are bank holidays."
    )
    assert routine.source == 'Section 4 ("other issues within 5 working days")'

    urgent = set_priority(procedure, state, "urgent")

    # Urgent: 1 working day from Tuesday 22 December: Wednesday 23.
    (due,) = [d for d in deadlines(procedure, urgent) if d.key == "stage-2"]
    assert day(due.due) == "Wed 23 Dec 2026"
    assert due.rule == "1 working day"
    assert "the priority is Urgent" in due.explanation.sentence()
    # The plan for a new case uses the default.
    the_plan = plan(procedure, calendar_for(procedure), RAISED)
    assert [d.rule for d in the_plan.stages[1].deadlines] == ["5 working days"]


def test_a_priority_is_one_the_stage_gives_and_only_where_it_gives_them() -> None:
    procedure, state = at_stage_two()
    with pytest.raises(Refused) as refused:
        set_priority(procedure, state, "soon")
    assert refused.value.reason == "Choose the priority: Urgent or Routine"
    with pytest.raises(Refused, match="already has that priority"):
        set_priority(procedure, state, "routine")
    with pytest.raises(Refused) as refused:
        set_priority(procedure, raised(procedure), "urgent")
    assert refused.value.reason == (
        "Setting a priority is not something anyone does at stage 1, Practitioners: Example "
        "procedure with shorter limits gives it no priorities"
    )
    at = datetime(2026, 12, 22, 11, 0, tzinfo=LONDON)
    assert EventKind.PRIORITY_SET in allowed_actions(procedure, state, OMAR, at=at, overdue=False)
    assert EventKind.PRIORITY_SET not in allowed_actions(
        procedure, raised(procedure), OMAR, at=at, overdue=False
    )


def test_priorities_need_one_default_whose_limit_is_the_stages() -> None:
    text = (FIXTURES / "shorter-limits.yaml").read_text(encoding="utf-8")
    two = text.replace(
        "within: 1 working day, source", "within: 1 working day, default: true, source"
    )
    assert any("mark exactly one priority" in str(p) for p in check_text(two).errors)
    other = text.replace(
        "    other_side: [line-manager]\n    priorities:",
        "    other_side: [line-manager]\n    within: 3 working days\n    priorities:",
    )
    assert any("must be the default priority" in str(p) for p in check_text(other).errors)
