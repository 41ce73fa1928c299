"""What is due when: the "if raised on" plan and the deadlines of a case in progress.

Pure tests: no Django and no database. Every expected date here was worked out by hand
from a calendar, never with the code under test, using these rules:

- N working days from day D is the N-th working day strictly after D, due at 17:00 London
  time. Weekends and England and Wales bank holidays do not count: 25 Dec 2026 (Fri),
  28 Dec 2026 (Mon, Boxing Day substitute), 1 Jan 2027 (Fri), 26 Mar 2027 (Good Friday),
  29 Mar 2027 (Easter Monday), 3 May 2027 and 31 May 2027.
- A step's clock starts when the step before it is due (or done, if it was done).
- "24 hours" counts hours on working days only: Friday 17:00 + 24 hours is Monday 17:00.
- Clocks go forward on Sunday 28 March 2027: +00:00 before, +01:00 after.

Each expected date is written with its weekday ("Wed 23 Dec 2026") so a slip shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import Actor, CaseState, EventKind, apply, raise_case, replay, take
from parley.core.loader import load_file
from parley.core.planner import (
    Deadline,
    DeadlineKind,
    Plan,
    calendar_for,
    case_deadlines,
    is_overdue,
    next_deadline,
    plan,
    stage_plan,
)
from parley.core.procedure import Procedure
from tests.actors import other_party, partnership, raiser

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"


@cache
def shipped(name: str) -> Procedure:
    return load_file(LIBRARY / f"{name}.yaml")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def day(moment: datetime | None) -> str | None:
    """ "Wed 23 Dec 2026" for a deadline at 17:00 London time; anything else is shown whole."""
    if moment is None:
        return None
    local = moment.astimezone(LONDON)
    text = f"{local:%a} {local.day} {local:%b %Y}"
    return text if local.time() == time(17, 0) else f"{text} {local:%H:%M}"


def plan_for(name: str, raised: datetime, **options: Any) -> Plan:
    procedure = shipped(name)
    return plan(procedure, calendar_for(procedure), raised, **options)


def steps(the_plan: Plan) -> list[tuple[str, str | None]]:
    return [
        (deadline.key, day(deadline.due))
        for stage in the_plan.stages
        for deadline in stage.deadlines
        if deadline.kind is DeadlineKind.STEP
    ]


def stage_ends(the_plan: Plan) -> list[tuple[str, str | None, int | None]]:
    return [
        (stage.stage.id, day(stage.ends_at), stage.cumulative_working_days)
        for stage in the_plan.stages
    ]


# The days a disagreement is raised on, in the tables below.
RAISED = {
    "monday-21-dec-2026": at(2026, 12, 21),
    "thursday-24-dec-2026": at(2026, 12, 24),  # Christmas and Boxing Day substitute next
    "wednesday-30-dec-2026": at(2026, 12, 30),  # New Year's Day next
    "monday-22-mar-2027": at(2027, 3, 22),  # Easter, and the clocks go forward
    "thursday-25-mar-2027": at(2027, 3, 25),  # the day before Good Friday; 3 May ahead
    "saturday-19-dec-2026": at(2026, 12, 19, 11),
    "friday-18-dec-2026-4pm": at(2026, 12, 18, 16),
    "saturday-27-mar-2027": at(2027, 3, 27, 10),
    "friday-7-may-2027-4pm": at(2027, 5, 7, 16),  # 31 May ahead
}


def table(rows: Mapping[str, tuple[str, ...]]) -> list[object]:
    return [pytest.param(RAISED[name], expected, id=name) for name, expected in rows.items()]


# --- TWSP (Appendix 1): 2 + 3 + 2 | 2 + 2 | 24h + 2 | 2 + 2 | 2 + 5 working days ---------

TWSP_STEPS = (
    "stage-1/raise",
    "stage-1/resolve",
    "stage-1/confirm",
    "stage-2/resolve",
    "stage-2/confirm",
    "stage-3/refer",
    "stage-3/dialogue",
    "stage-4/raise-with-representative",
    "stage-4/meet",
    "stage-5/write-to-executive",
    "stage-5/decision",
)
TWSP_CUMULATIVE = (7, 11, 14, 18, 25)

# Working days 2, 5, 7 | 9, 11 | 12, 14 | 16, 18 | 20, 25 after the day raised.
TWSP_TABLE = {
    "monday-21-dec-2026": (
        "Wed 23 Dec 2026", "Wed 30 Dec 2026", "Mon 4 Jan 2027",
        "Wed 6 Jan 2027", "Fri 8 Jan 2027",
        "Mon 11 Jan 2027", "Wed 13 Jan 2027",
        "Fri 15 Jan 2027", "Tue 19 Jan 2027",
        "Thu 21 Jan 2027", "Thu 28 Jan 2027",
    ),
    "thursday-24-dec-2026": (
        "Wed 30 Dec 2026", "Tue 5 Jan 2027", "Thu 7 Jan 2027",
        "Mon 11 Jan 2027", "Wed 13 Jan 2027",
        "Thu 14 Jan 2027", "Mon 18 Jan 2027",
        "Wed 20 Jan 2027", "Fri 22 Jan 2027",
        "Tue 26 Jan 2027", "Tue 2 Feb 2027",
    ),
    "wednesday-30-dec-2026": (
        "Mon 4 Jan 2027", "Thu 7 Jan 2027", "Mon 11 Jan 2027",
        "Wed 13 Jan 2027", "Fri 15 Jan 2027",
        "Mon 18 Jan 2027", "Wed 20 Jan 2027",
        "Fri 22 Jan 2027", "Tue 26 Jan 2027",
        "Thu 28 Jan 2027", "Thu 4 Feb 2027",
    ),
    "monday-22-mar-2027": (
        "Wed 24 Mar 2027", "Wed 31 Mar 2027", "Fri 2 Apr 2027",
        "Tue 6 Apr 2027", "Thu 8 Apr 2027",
        "Fri 9 Apr 2027", "Tue 13 Apr 2027",
        "Thu 15 Apr 2027", "Mon 19 Apr 2027",
        "Wed 21 Apr 2027", "Wed 28 Apr 2027",
    ),
    "thursday-25-mar-2027": (
        "Wed 31 Mar 2027", "Mon 5 Apr 2027", "Wed 7 Apr 2027",
        "Fri 9 Apr 2027", "Tue 13 Apr 2027",
        "Wed 14 Apr 2027", "Fri 16 Apr 2027",
        "Tue 20 Apr 2027", "Thu 22 Apr 2027",
        "Mon 26 Apr 2027", "Tue 4 May 2027",
    ),
    "saturday-19-dec-2026": (
        "Tue 22 Dec 2026", "Tue 29 Dec 2026", "Thu 31 Dec 2026",
        "Tue 5 Jan 2027", "Thu 7 Jan 2027",
        "Fri 8 Jan 2027", "Tue 12 Jan 2027",
        "Thu 14 Jan 2027", "Mon 18 Jan 2027",
        "Wed 20 Jan 2027", "Wed 27 Jan 2027",
    ),
    "friday-18-dec-2026-4pm": (
        "Tue 22 Dec 2026", "Tue 29 Dec 2026", "Thu 31 Dec 2026",
        "Tue 5 Jan 2027", "Thu 7 Jan 2027",
        "Fri 8 Jan 2027", "Tue 12 Jan 2027",
        "Thu 14 Jan 2027", "Mon 18 Jan 2027",
        "Wed 20 Jan 2027", "Wed 27 Jan 2027",
    ),
    "saturday-27-mar-2027": (
        "Wed 31 Mar 2027", "Mon 5 Apr 2027", "Wed 7 Apr 2027",
        "Fri 9 Apr 2027", "Tue 13 Apr 2027",
        "Wed 14 Apr 2027", "Fri 16 Apr 2027",
        "Tue 20 Apr 2027", "Thu 22 Apr 2027",
        "Mon 26 Apr 2027", "Tue 4 May 2027",
    ),
    "friday-7-may-2027-4pm": (
        "Tue 11 May 2027", "Fri 14 May 2027", "Tue 18 May 2027",
        "Thu 20 May 2027", "Mon 24 May 2027",
        "Tue 25 May 2027", "Thu 27 May 2027",
        "Tue 1 Jun 2027", "Thu 3 Jun 2027",
        "Mon 7 Jun 2027", "Mon 14 Jun 2027",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("raised", "expected"), table(TWSP_TABLE))
def test_twsp_plan_gives_each_step_its_latest_date(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    assert steps(plan_for("twsp", raised)) == list(zip(TWSP_STEPS, expected, strict=True))


@pytest.mark.parametrize(("raised", "expected"), table(TWSP_TABLE))
def test_twsp_stages_end_after_7_11_14_18_and_25_working_days(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    last_steps = (expected[2], expected[4], expected[6], expected[8], expected[10])
    stages = ("stage-1", "stage-2", "stage-3", "stage-4", "stage-5")

    assert stage_ends(plan_for("twsp", raised)) == list(
        zip(stages, last_steps, TWSP_CUMULATIVE, strict=True)
    )


def test_twsp_each_stage_starts_when_the_one_before_runs_out() -> None:
    the_plan = plan_for("twsp", RAISED["monday-21-dec-2026"])

    assert [day(stage.entered_at) for stage in the_plan.stages] == [
        "Mon 21 Dec 2026 09:00",
        "Mon 4 Jan 2027",
        "Fri 8 Jan 2027",
        "Wed 13 Jan 2027",
        "Tue 19 Jan 2027",
    ]
    assert the_plan.overall is None  # TWSP has no overall limit beyond its table


def test_twsp_the_24_hour_step_after_a_friday_runs_to_monday_at_5pm() -> None:
    the_plan = plan_for("twsp", RAISED["monday-21-dec-2026"])
    (refer,) = [d for d in the_plan.stages[2].deadlines if d.step == "refer"]

    assert (day(the_plan.stages[2].entered_at), day(refer.due)) == (
        "Fri 8 Jan 2027",
        "Mon 11 Jan 2027",
    )
    assert refer.rule == "24 hours"


def test_twsp_explains_the_days_it_skipped() -> None:
    the_plan = plan_for("twsp", RAISED["thursday-24-dec-2026"])
    (raise_step,) = [d for d in the_plan.stages[0].deadlines if d.step == "raise"]

    assert raise_step.explanation.sentence() == (
        "2 working days from Thursday 24 December 2026: 25 and 28 December are bank holidays."
    )


def test_twsp_deadlines_are_5pm_london_time_on_either_side_of_the_clock_change() -> None:
    the_plan = plan_for("twsp", RAISED["monday-22-mar-2027"])
    dues = {
        d.key: d.due.astimezone(LONDON).isoformat() for s in the_plan.stages for d in s.deadlines
    }

    assert dues["stage-1/raise"] == "2027-03-24T17:00:00+00:00"
    assert dues["stage-1/resolve"] == "2027-03-31T17:00:00+01:00"
    assert dues["stage-5/decision"] == "2027-04-28T17:00:00+01:00"


# --- Bedfordshire Channel: 5 working days a stage, 20 in all; OSCT undated ---------------

BEDFORDSHIRE_STEPS = ("stage-1/respond", "stage-2/respond", "stage-3/respond", "stage-4/convene")

# Working days 5, 10, 15, 20 after the day raised; the overall limit is the 20th.
BEDFORDSHIRE_TABLE = {
    "monday-21-dec-2026": (
        "Wed 30 Dec 2026", "Thu 7 Jan 2027", "Thu 14 Jan 2027", "Thu 21 Jan 2027",
    ),
    "thursday-24-dec-2026": (
        "Tue 5 Jan 2027", "Tue 12 Jan 2027", "Tue 19 Jan 2027", "Tue 26 Jan 2027",
    ),
    "wednesday-30-dec-2026": (
        "Thu 7 Jan 2027", "Thu 14 Jan 2027", "Thu 21 Jan 2027", "Thu 28 Jan 2027",
    ),
    "monday-22-mar-2027": (
        "Wed 31 Mar 2027", "Wed 7 Apr 2027", "Wed 14 Apr 2027", "Wed 21 Apr 2027",
    ),
    "thursday-25-mar-2027": (
        "Mon 5 Apr 2027", "Mon 12 Apr 2027", "Mon 19 Apr 2027", "Mon 26 Apr 2027",
    ),
    "saturday-19-dec-2026": (
        "Tue 29 Dec 2026", "Wed 6 Jan 2027", "Wed 13 Jan 2027", "Wed 20 Jan 2027",
    ),
    "friday-18-dec-2026-4pm": (
        "Tue 29 Dec 2026", "Wed 6 Jan 2027", "Wed 13 Jan 2027", "Wed 20 Jan 2027",
    ),
    "saturday-27-mar-2027": (
        "Mon 5 Apr 2027", "Mon 12 Apr 2027", "Mon 19 Apr 2027", "Mon 26 Apr 2027",
    ),
    "friday-7-may-2027-4pm": (
        "Fri 14 May 2027", "Fri 21 May 2027", "Fri 28 May 2027", "Mon 7 Jun 2027",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("raised", "expected"), table(BEDFORDSHIRE_TABLE))
def test_bedfordshire_plan_gives_five_working_days_a_stage(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    the_plan = plan_for("bedfordshire-channel", raised)

    assert steps(the_plan) == list(zip(BEDFORDSHIRE_STEPS, expected, strict=True))
    assert stage_ends(the_plan) == [
        ("stage-1", expected[0], 5),
        ("stage-2", expected[1], 10),
        ("stage-3", expected[2], 15),
        ("stage-4", expected[3], 20),
        ("stage-5", None, None),  # the Home Office referral has no timescale
    ]


@pytest.mark.parametrize(("raised", "expected"), table(BEDFORDSHIRE_TABLE))
def test_bedfordshire_overall_limit_is_20_working_days_from_the_first_formal_stage(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    overall = plan_for("bedfordshire-channel", raised).overall

    assert overall is not None
    assert (day(overall.due), overall.rule) == (expected[3], "20 working days")


def test_bedfordshire_plan_starts_at_formal_stage_one_not_the_informal_stage() -> None:
    the_plan = plan_for("bedfordshire-channel", RAISED["monday-21-dec-2026"])

    assert the_plan.stages[0].stage.id == "stage-1"
    assert day(the_plan.stages[-1].entered_at) == "Thu 21 Jan 2027"


def test_bedfordshire_plan_from_the_informal_stage_leaves_everything_after_it_undated() -> None:
    the_plan = plan_for(
        "bedfordshire-channel", RAISED["monday-21-dec-2026"], start_stage="informal"
    )

    assert [(s.stage.id, day(s.entered_at), s.ends_at) for s in the_plan.stages][:2] == [
        ("informal", "Mon 21 Dec 2026 09:00", None),
        ("stage-1", None, None),
    ]
    assert steps(the_plan) == []
    assert the_plan.overall is None


# --- Torbay Channel: 5 working days at each of stages 1 to 3; the CSP Board Chair undated ---

TORBAY_CHANNEL_TABLE = {name: dates[:3] for name, dates in BEDFORDSHIRE_TABLE.items()}


@pytest.mark.parametrize(("raised", "expected"), table(TORBAY_CHANNEL_TABLE))
def test_torbay_channel_plan_gives_five_working_days_at_each_of_the_first_three_stages(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    the_plan = plan_for("torbay-channel", raised)

    # The steps have no limits of their own, the stages do; only the raiser's feedback has
    # a guide date (para 13, Parley's choice): within each stage's 5 working days.
    assert [key for key, _ in steps(the_plan)] == [
        "stage-1/feedback", "stage-2/feedback", "stage-3/feedback", "stage-4/feedback",
    ]  # fmt: skip
    assert all(d.advisory for s in the_plan.stages for d in s.deadlines if d.step == "feedback")
    assert stage_ends(the_plan) == [
        ("stage-1", expected[0], 5),
        ("stage-2", expected[1], 10),
        ("stage-3", expected[2], 15),
        ("stage-4", None, None),
    ]
    assert day(the_plan.stages[3].entered_at) == expected[2]
    assert the_plan.overall is None


# --- Torbay children: no timescales at all -------------------------------------------------


@pytest.mark.parametrize("raised", list(RAISED.values()), ids=list(RAISED))
def test_torbay_children_plan_has_no_dates_after_the_day_raised(raised: datetime) -> None:
    the_plan = plan_for("torbay-children", raised)

    assert [(s.stage.id, s.entered_at, s.deadlines, s.ends_at) for s in the_plan.stages] == [
        ("stage-1", raised, (), None),
        ("stage-2", None, (), None),
        ("stage-3", None, (), None),
        ("stage-4", None, (), None),
        ("stage-5", None, (), None),
    ]
    assert the_plan.overall is None


# --- Wirral: a working week at stage 1, one working day to reach a manager, then advisory ---

WIRRAL_STEPS = (
    "stage-2/contact-manager",
    "stage-2/resolve",
    "stage-3/meeting",
    "stage-4/determination",
)

# Stage 1 ends after 5 working days | stage 2's steps: working days 6 and 11 |
# stage 3's meeting and stage 4's determination: working days 16 and 21.
WIRRAL_TABLE = {
    "monday-21-dec-2026": (
        "Wed 30 Dec 2026",
        "Thu 31 Dec 2026", "Fri 8 Jan 2027",
        "Fri 15 Jan 2027", "Fri 22 Jan 2027",
    ),
    "thursday-24-dec-2026": (
        "Tue 5 Jan 2027",
        "Wed 6 Jan 2027", "Wed 13 Jan 2027",
        "Wed 20 Jan 2027", "Wed 27 Jan 2027",
    ),
    "wednesday-30-dec-2026": (
        "Thu 7 Jan 2027",
        "Fri 8 Jan 2027", "Fri 15 Jan 2027",
        "Fri 22 Jan 2027", "Fri 29 Jan 2027",
    ),
    "monday-22-mar-2027": (
        "Wed 31 Mar 2027",
        "Thu 1 Apr 2027", "Thu 8 Apr 2027",
        "Thu 15 Apr 2027", "Thu 22 Apr 2027",
    ),
    "thursday-25-mar-2027": (
        "Mon 5 Apr 2027",
        "Tue 6 Apr 2027", "Tue 13 Apr 2027",
        "Tue 20 Apr 2027", "Tue 27 Apr 2027",
    ),
    "saturday-19-dec-2026": (
        "Tue 29 Dec 2026",
        "Wed 30 Dec 2026", "Thu 7 Jan 2027",
        "Thu 14 Jan 2027", "Thu 21 Jan 2027",
    ),
    "friday-18-dec-2026-4pm": (
        "Tue 29 Dec 2026",
        "Wed 30 Dec 2026", "Thu 7 Jan 2027",
        "Thu 14 Jan 2027", "Thu 21 Jan 2027",
    ),
    "saturday-27-mar-2027": (
        "Mon 5 Apr 2027",
        "Tue 6 Apr 2027", "Tue 13 Apr 2027",
        "Tue 20 Apr 2027", "Tue 27 Apr 2027",
    ),
    "friday-7-may-2027-4pm": (
        "Fri 14 May 2027",
        "Mon 17 May 2027", "Mon 24 May 2027",
        "Tue 1 Jun 2027", "Tue 8 Jun 2027",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("raised", "expected"), table(WIRRAL_TABLE))
def test_wirral_plan_gives_a_working_week_then_one_day_to_reach_a_manager(
    raised: datetime, expected: tuple[str, ...]
) -> None:
    the_plan = plan_for("wirral-children", raised)

    assert steps(the_plan) == list(zip(WIRRAL_STEPS, expected[1:], strict=True))
    assert stage_ends(the_plan) == [
        ("stage-1", expected[0], 5),
        ("stage-2", expected[2], 11),
        ("stage-3", expected[3], 16),
        ("stage-4", expected[4], 21),
    ]


def test_wirral_only_the_step_the_document_times_is_binding() -> None:
    the_plan = plan_for("wirral-children", RAISED["monday-21-dec-2026"])

    assert [
        (d.key, d.advisory) for s in the_plan.stages for d in s.deadlines if d.kind.value == "step"
    ] == [
        ("stage-2/contact-manager", False),
        ("stage-2/resolve", True),
        ("stage-3/meeting", True),
        ("stage-4/determination", True),
    ]


# --- the immediate-risk route ------------------------------------------------------------


def test_twsp_immediate_risk_starts_at_stage_3_due_the_same_working_day() -> None:
    the_plan = plan_for("twsp", at(2026, 12, 21, 9), immediate_risk=True)

    assert the_plan.immediate_risk
    assert steps(the_plan) == [
        ("stage-3/refer", "Mon 21 Dec 2026"),
        ("stage-3/dialogue", "Wed 23 Dec 2026"),
        ("stage-4/raise-with-representative", "Wed 30 Dec 2026"),
        ("stage-4/meet", "Mon 4 Jan 2027"),
        ("stage-5/write-to-executive", "Wed 6 Jan 2027"),
        ("stage-5/decision", "Wed 13 Jan 2027"),
    ]
    # Stage 3 still runs to its own 3 working days (Thursday 24 December).
    assert stage_ends(the_plan) == [
        ("stage-3", "Thu 24 Dec 2026", 3),
        ("stage-4", "Mon 4 Jan 2027", 7),
        ("stage-5", "Wed 13 Jan 2027", 14),
    ]


@pytest.mark.parametrize(
    ("raised", "due"),
    [
        pytest.param(at(2026, 12, 21, 16, 59), "Mon 21 Dec 2026", id="monday-before-5pm"),
        pytest.param(at(2026, 12, 21, 17, 0), "Tue 22 Dec 2026", id="monday-at-5pm"),
        pytest.param(at(2026, 12, 21, 18, 0), "Tue 22 Dec 2026", id="monday-after-5pm"),
        pytest.param(at(2026, 12, 24, 18, 0), "Tue 29 Dec 2026", id="christmas-eve-after-5pm"),
        pytest.param(at(2026, 12, 26, 10, 0), "Tue 29 Dec 2026", id="boxing-day"),
        pytest.param(at(2026, 12, 31, 17, 30), "Mon 4 Jan 2027", id="new-years-eve-after-5pm"),
        pytest.param(at(2027, 3, 27, 10, 0), "Tue 30 Mar 2027", id="easter-saturday"),
    ],
)
def test_twsp_immediate_risk_first_step_is_due_by_5pm_on_a_working_day(
    raised: datetime, due: str
) -> None:
    first = plan_for("twsp", raised, immediate_risk=True).stages[0].deadlines[0]

    assert (first.key, day(first.due)) == ("stage-3/refer", due)
    assert first.rule == "the same working day"


def test_twsp_immediate_risk_raised_after_5pm_says_why_the_deadline_is_the_next_day() -> None:
    first = plan_for("twsp", at(2026, 12, 24, 18), immediate_risk=True).stages[0].deadlines[0]

    assert first.due.isoformat() == "2026-12-29T17:00:00+00:00"
    assert first.explanation.sentence() == (
        "Same working day (ends 5pm) as 6pm on Thursday 24 December 2026: "
        "that is after 5pm, so the deadline is the next working day; "
        "25 and 28 December are bank holidays."
    )


def test_immediate_risk_first_step_after_the_clock_change_is_at_5pm_summer_time() -> None:
    first = plan_for("twsp", at(2027, 3, 27, 10), immediate_risk=True).stages[0].deadlines[0]

    assert first.due.isoformat() == "2027-03-30T17:00:00+01:00"


def test_immediate_risk_with_a_chosen_stage_starts_there() -> None:
    the_plan = plan_for(
        "torbay-children", at(2026, 12, 21), immediate_risk=True, start_stage="stage-3"
    )

    assert [s.stage.id for s in the_plan.stages] == ["stage-3", "stage-4", "stage-5"]
    # Raising it at Stage Three is the manager raising it with their equivalent: the step
    # the same working day binds is the managers' attempt to resolve it, as on the case.
    assert steps(the_plan) == [("stage-3/managers-discuss", "Mon 21 Dec 2026")]


def test_wirral_immediate_risk_starts_with_managers_the_same_working_day() -> None:
    the_plan = plan_for("wirral-children", at(2026, 12, 21, 9), immediate_risk=True)

    # Raising it at stage 2 is contacting the other agency's manager (done by raising it);
    # the same working day then binds the managers' attempt to resolve it, a guide only as
    # the document gives stage 2 no timescale.
    first, second = the_plan.stages[0].deadlines[:2]
    assert (first.key, first.met_at) == ("stage-2/contact-manager", at(2026, 12, 21, 9))
    assert (second.key, day(second.due), second.advisory) == (
        "stage-2/resolve", "Mon 21 Dec 2026", True,
    )  # fmt: skip


# --- the deadlines of a case in progress ---------------------------------------------------

RITA = raiser("rita", "operations-manager")
OMAR = other_party("omar", "service-manager", "operations-manager")
CORA = partnership("cora", "channel-chair")  # Bedfordshire's Channel Chair


def case(
    procedure: Procedure,
    raised: datetime,
    *actions: tuple[EventKind, Actor, datetime, dict[str, Any]],
    **options: Any,
) -> CaseState:
    """Raise a case and take each (kind, actor, when, fields) in turn."""
    state = replay(raise_case(procedure, actor=RITA, at=raised, **options), procedure)
    for kind, actor, when, fields in actions:
        for event in take(procedure, state, kind, actor=actor, at=when, **fields):
            state = apply(state, event, procedure)
    return state


def listed(deadlines: list[Deadline]) -> list[tuple[str, str | None, str | None, bool]]:
    return [(d.key, day(d.due), day(d.met_at), d.advisory) for d in deadlines]


def twsp_deadlines(state: CaseState) -> list[Deadline]:
    return case_deadlines(shipped("twsp"), calendar_for(shipped("twsp")), state)


def test_a_step_done_early_starts_the_next_steps_clock_from_when_it_was_done() -> None:
    twsp = shipped("twsp")
    state = case(
        twsp,
        at(2026, 12, 21, 10),
        (EventKind.RESPONSE_RECORDED, OMAR, at(2026, 12, 22, 11), {"text": "Reviewed"}),
        (
            EventKind.DISCUSSION_RECORDED,
            RITA,
            at(2026, 12, 22, 15),
            {"text": "Agreed", "agreed": True},
        ),
    )

    # Raised (so "raise" done) Monday 10:00; the response came Tuesday 11:00. The response
    # clock ran from Monday (3 working days: Thursday); the confirmation's from Tuesday
    # (2 working days: Thursday), not from the latest dates of the plan (30 Dec, 4 Jan).
    assert listed(twsp_deadlines(state)) == [
        ("stage-1/raise", "Wed 23 Dec 2026", "Mon 21 Dec 2026 10:00", False),
        ("stage-1/resolve", "Thu 24 Dec 2026", "Tue 22 Dec 2026 11:00", False),
        ("stage-1/confirm", "Thu 24 Dec 2026", None, False),
        ("stage-1", "Mon 4 Jan 2027", None, False),
        ("cap:resolve-by-discussion", "Thu 7 Jan 2027", None, True),
    ]


def test_a_confirmation_deadline_appears_only_once_there_is_an_agreement() -> None:
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (EventKind.RESPONSE_RECORDED, OMAR, at(2026, 12, 22, 11), {"text": "Reviewed"}),
    )

    assert [d.key for d in twsp_deadlines(state)] == [
        "stage-1/raise",
        "stage-1/resolve",
        "stage-1",
        "cap:resolve-by-discussion",
    ]


def test_a_case_is_overdue_only_once_an_unmet_binding_deadline_has_passed() -> None:
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (EventKind.RESPONSE_RECORDED, OMAR, at(2026, 12, 22, 11), {"text": "Reviewed"}),
        (
            EventKind.DISCUSSION_RECORDED,
            RITA,
            at(2026, 12, 22, 15),
            {"text": "Agreed", "agreed": True},
        ),
    )
    deadlines = twsp_deadlines(state)

    assert not is_overdue(deadlines, at(2026, 12, 24, 17, 0))
    assert is_overdue(deadlines, at(2026, 12, 24, 17, 1))
    upcoming = next_deadline(deadlines)
    assert upcoming is not None and upcoming.key == "stage-1/confirm"


def test_a_met_deadline_is_never_overdue() -> None:
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (EventKind.RESPONSE_RECORDED, OMAR, at(2026, 12, 29, 11), {"text": "Late, but done"}),
    )
    resolve_step = [d for d in twsp_deadlines(state) if d.key == "stage-1/resolve"][0]

    assert day(resolve_step.due) == "Thu 24 Dec 2026"
    assert not resolve_step.is_overdue(at(2027, 1, 20))


def test_advisory_deadlines_never_count_as_overdue() -> None:
    # TWSP's advisory 10-working-day cap over stages 1 and 2 runs out on Thursday 7 January;
    # escalated to stage 2 that morning, the stage's own deadlines are days away.
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (EventKind.ESCALATED, RITA, at(2027, 1, 7, 10), {"reason": "no-agreement"}),
    )
    deadlines = twsp_deadlines(state)

    assert listed(deadlines) == [
        ("cap:resolve-by-discussion", "Thu 7 Jan 2027", None, True),
        ("stage-2/resolve", "Mon 11 Jan 2027", None, False),
        ("stage-2", "Wed 13 Jan 2027", None, False),
    ]
    assert deadlines[0].is_overdue(at(2027, 1, 8))
    assert not is_overdue(deadlines, at(2027, 1, 8))
    assert is_overdue(deadlines, at(2027, 1, 11, 17, 1))


def test_wirral_advisory_steps_never_make_a_case_overdue() -> None:
    wirral = shipped("wirral-children")
    state = case(
        wirral,
        at(2026, 12, 21, 10),
        (EventKind.ESCALATED, RITA, at(2026, 12, 22, 10), {"reason": "no-agreement"}),
        (EventKind.DISCUSSION_RECORDED, RITA, at(2026, 12, 22, 12), {"text": "Called their lead"}),
    )
    deadlines = case_deadlines(wirral, calendar_for(wirral), state)

    assert listed(deadlines) == [
        ("stage-2/contact-manager", "Wed 23 Dec 2026", "Tue 22 Dec 2026 12:00", False),
        ("stage-2/resolve", "Thu 31 Dec 2026", None, True),
    ]
    assert not is_overdue(deadlines, at(2027, 3, 1))


def test_the_overall_limit_counts_from_the_first_formal_stage() -> None:
    bedfordshire = shipped("bedfordshire-channel")
    informal = case(bedfordshire, at(2026, 12, 21, 10), informal=True)
    formal = case(
        bedfordshire,
        at(2026, 12, 21, 10),
        (EventKind.ESCALATED, CORA, at(2026, 12, 30, 10), {"reason": "no-agreement"}),
        informal=True,
    )
    calendar = calendar_for(bedfordshire)

    assert case_deadlines(bedfordshire, calendar, informal) == []
    assert listed(case_deadlines(bedfordshire, calendar, formal)) == [
        ("stage-1/respond", "Thu 7 Jan 2027", None, False),
        ("stage-1", "Thu 7 Jan 2027", None, False),
        ("overall", "Thu 28 Jan 2027", None, False),
    ]


def escalate_bedfordshire(procedure: Procedure, state: CaseState, when: datetime) -> CaseState:
    """Escalate for an unsatisfactory response, as Bedfordshire's stages allow."""
    actions: tuple[tuple[EventKind, Actor, dict[str, Any]], ...] = (
        (EventKind.RESPONSE_RECORDED, OMAR, {"text": "Answer"}),
        (EventKind.RESPONSE_JUDGED_UNSATISFACTORY, RITA, {"text": "Not enough"}),
        (
            EventKind.ESCALATED,
            CORA,
            {"reason": "response-unsatisfactory" if state.stage != "stage-4" else "no-agreement"},
        ),
    )
    for kind, actor, fields in actions:
        for event in take(procedure, state, kind, actor=actor, at=when, **fields):
            state = apply(state, event, procedure)
    return state


def test_the_overall_limit_is_still_shown_at_a_stage_with_no_timescale() -> None:
    bedfordshire = shipped("bedfordshire-channel")
    state = case(bedfordshire, at(2026, 12, 21, 10))
    for stage in range(4):
        state = escalate_bedfordshire(bedfordshire, state, at(2026, 12, 22 + stage, 10))
    deadlines = case_deadlines(bedfordshire, calendar_for(bedfordshire), state)

    assert state.stage == "stage-5"
    assert listed(deadlines) == [("overall", "Thu 21 Jan 2027", None, False)]


def test_a_cap_is_shown_only_while_the_case_is_at_one_of_its_stages() -> None:
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (EventKind.ESCALATED, RITA, at(2026, 12, 22, 10), {"reason": "no-agreement"}),
        (EventKind.ESCALATED, RITA, at(2026, 12, 23, 10), {"reason": "no-agreement"}),
    )

    assert state.stage == "stage-3"
    assert not [d for d in twsp_deadlines(state) if d.kind is DeadlineKind.CAP]


def test_the_immediate_risk_deadline_applies_only_at_the_stage_the_route_went_to() -> None:
    twsp = shipped("twsp")
    state = case(twsp, at(2026, 12, 21, 10), immediate_risk=True)
    assert listed(twsp_deadlines(state))[0] == ("stage-3/refer", "Mon 21 Dec 2026", None, False)

    escalated = case(
        twsp,
        at(2026, 12, 21, 10),
        (EventKind.ESCALATED, RITA, at(2026, 12, 22, 10), {"reason": "no-agreement"}),
        immediate_risk=True,
    )
    first = twsp_deadlines(escalated)[0]
    assert (first.key, first.rule, day(first.due)) == (
        "stage-4/raise-with-representative",
        "2 working days",
        "Thu 24 Dec 2026",
    )


def test_a_resolved_case_has_no_deadlines() -> None:
    state = case(
        shipped("twsp"),
        at(2026, 12, 21, 10),
        (
            EventKind.RESOLVED,
            OMAR,
            at(2026, 12, 22, 10),
            {"outcome": "Agreed", "outstanding": "None"},
        ),
    )

    assert twsp_deadlines(state) == []


# --- across the clock change (Sunday 28 March 2027) -----------------------------------------


@pytest.mark.parametrize(
    ("entered", "refer", "dialogue"),
    [
        pytest.param(
            at(2027, 3, 25, 17),
            "2027-03-30T17:00:00+01:00",
            "2027-04-01T17:00:00+01:00",
            id="thursday-5pm-before-good-friday",
        ),
        pytest.param(
            at(2027, 3, 25, 9),
            "2027-03-30T09:00:00+01:00",  # 09:00 on the wall, an hour less in UTC
            "2027-04-01T17:00:00+01:00",
            id="thursday-9am-before-good-friday",
        ),
        pytest.param(
            at(2027, 3, 24, 17),
            "2027-03-25T17:00:00+00:00",
            "2027-03-31T17:00:00+01:00",
            id="wednesday-5pm-before-good-friday",
        ),
        # Entered on a day that does not count, the 24 hours are the whole of the next
        # working day (Tuesday 30 March), ending when it closes at 5pm, not at midnight.
        pytest.param(
            at(2027, 3, 26, 10),
            "2027-03-30T17:00:00+01:00",
            None,
            id="good-friday",
        ),
        pytest.param(
            at(2027, 3, 27, 10),
            "2027-03-30T17:00:00+01:00",
            None,
            id="saturday-before-the-change",
        ),
        pytest.param(
            at(2027, 3, 28, 10),
            "2027-03-30T17:00:00+01:00",
            None,
            id="sunday-of-the-change",
        ),
    ],
)
def test_the_24_hour_step_across_easter_and_the_clock_change(
    entered: datetime, refer: str, dialogue: str | None
) -> None:
    twsp = shipped("twsp")
    deadlines = stage_plan(twsp, calendar_for(twsp), twsp.track().stage("stage-3"), entered)
    dues = {d.key: d.due.astimezone(LONDON).isoformat() for d in deadlines}

    assert dues["stage-3/refer"] == refer
    if dialogue is not None:
        assert dues["stage-3/dialogue"] == dialogue


def test_a_working_day_deadline_after_the_change_is_5pm_summer_time_4pm_utc() -> None:
    twsp = shipped("twsp")
    deadlines = stage_plan(twsp, calendar_for(twsp), twsp.track().stage("stage-1"), at(2027, 3, 25))
    raise_step = deadlines[0]

    assert raise_step.due.isoformat() == "2027-03-31T17:00:00+01:00"
    assert raise_step.due == datetime(2027, 3, 31, 16, 0, tzinfo=UTC)


def test_no_step_of_twsp_stage_3_falls_due_after_the_stage_when_entered_on_a_saturday() -> None:
    twsp = shipped("twsp")
    deadlines = stage_plan(
        twsp, calendar_for(twsp), twsp.track().stage("stage-3"), at(2027, 1, 9, 10)
    )
    stage_due = next(d.due for d in deadlines if d.kind is DeadlineKind.STAGE)

    # Saturday 9 January 2027: 3 working days is Wednesday 13 January; the steps (24 hours,
    # counted as one working day, then 2 working days) should fit inside it.
    assert day(stage_due) == "Wed 13 Jan 2027"
    assert all(d.due <= stage_due for d in deadlines)


def test_a_limit_across_stages_is_named_in_words_not_the_files_ids():
    procedure = shipped("twsp")
    calendar = calendar_for(procedure)
    raised = datetime(2026, 11, 23, 10, tzinfo=LONDON)
    state = replay(raise_case(procedure, actor=RITA, at=raised), procedure)
    caps = [d for d in case_deadlines(procedure, calendar, state) if d.key.startswith("cap:")]
    assert caps, "TWSP caps stages 1 and 2 together (its Appendix 1 table)"
    assert [d.label for d in caps] == ["Time limit for stages 1 and 2"]


def test_twsp_the_24_hour_referral_entered_at_the_weekend_is_by_5pm_on_monday() -> None:
    """Never "midnight on Tuesday": the hours end when the working day closes."""
    twsp = shipped("twsp")
    deadlines = stage_plan(
        twsp, calendar_for(twsp), twsp.track().stage("stage-3"), at(2027, 1, 9, 10)
    )
    refer = next(d for d in deadlines if d.key == "stage-3/refer")
    assert refer.due.astimezone(LONDON).isoformat() == "2027-01-11T17:00:00+00:00"
    assert "the hours run to the end of that working day" in refer.explanation.sentence()
