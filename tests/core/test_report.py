"""The report's arithmetic: periods, working days in bulk, limits, suppression, what-if.

Pure tests: no Django and no database. Expected dates were worked out by hand from a
calendar (England and Wales: Good Friday 3 April 2026, Easter Monday 6 April, early May
bank holiday 4 May, Christmas Day Friday 25 December 2026, Boxing Day substitute Monday
28 December 2026).
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.core import report as core
from parley.core.calendar import WorkingCalendar
from parley.core.engine import EventKind, apply, raise_case, replay, take
from parley.core.loader import check_text, load_file
from parley.core.procedure import Cadence, Procedure
from parley.core.report import (
    Hidden,
    Limit,
    Period,
    PeriodError,
    PeriodKind,
    custom_period,
    latest_complete,
    parse_period,
    suppress,
)
from tests.actors import other_party, raiser

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
CALENDAR = WorkingCalendar(closures={date(2026, 12, 24): "Office closure"})


@cache
def shipped(name: str) -> Procedure:
    return load_file(LIBRARY / f"{name}.yaml")


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LONDON)


# --- periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "start", "end", "label"),
    [
        ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1), "July to September 2026"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1), "January to March 2026"),
        ("2026-H1", date(2026, 1, 1), date(2026, 7, 1), "January to June 2026"),
        ("2026-H2", date(2026, 7, 1), date(2027, 1, 1), "July to December 2026"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "2026"),
        ("FY2026-27", date(2026, 4, 1), date(2027, 4, 1), "April 2026 to March 2027"),
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1), "February 2026"),
        (
            "2026-04-01..2026-09-30",
            date(2026, 4, 1),
            date(2026, 10, 1),
            "1 April 2026 to 30 September 2026",
        ),
    ],
)
def test_a_period_code_reads_as_its_dates_and_words(code, start, end, label):
    period = parse_period(code)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert parse_period(period.code) == period


def test_a_lower_case_code_is_read_too():
    assert parse_period(" fy2025-26 ") == parse_period("FY2025-26")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("2026-Q5", "is not a period"),
        ("summer", "is not a period"),
        ("FY2026-28", "runs into the next year"),
        ("2026-13", "is not a month"),
        ("2026-02-30..2026-03-01", "two real dates"),
        ("2026-06-01..2026-05-01", "must be the same as or after"),
        ("2020-01-01..2026-01-01", "up to 3 years"),
        ("1999", "outside"),
    ],
)
def test_a_period_that_cannot_be_read_says_why_in_plain_words(code, words):
    with pytest.raises(PeriodError, match=words):
        parse_period(code)


def test_the_previous_period_is_the_same_kind_just_before():
    assert parse_period("2026-Q1").previous() == parse_period("2025-Q4")
    assert parse_period("2026-H1").previous() == parse_period("2025-H2")
    assert parse_period("FY2026-27").previous() == parse_period("FY2025-26")
    assert parse_period("2026-03").previous() == parse_period("2026-02")


def test_a_custom_period_of_whole_months_steps_back_by_months():
    half = custom_period(date(2026, 4, 1), date(2026, 9, 30))
    assert half.previous() == custom_period(date(2025, 10, 1), date(2026, 3, 31))


def test_a_custom_period_of_days_steps_back_by_as_many_days():
    ten = custom_period(date(2026, 6, 11), date(2026, 6, 20))
    assert ten.previous() == custom_period(date(2026, 6, 1), date(2026, 6, 10))


def test_a_report_compares_with_the_four_periods_before_oldest_first():
    periods = parse_period("2026-Q3").with_earlier()
    assert [p.code for p in periods] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]


@pytest.mark.parametrize(
    ("cadence", "today", "expected"),
    [
        (Cadence.QUARTERLY, date(2026, 11, 23), "2026-Q3"),
        (Cadence.QUARTERLY, date(2026, 10, 1), "2026-Q3"),
        (Cadence.BI_ANNUAL, date(2026, 11, 23), "2026-H1"),
        (Cadence.ANNUAL, date(2026, 11, 23), "FY2025-26"),
        (Cadence.ANNUAL, date(2026, 3, 31), "FY2024-25"),
        (Cadence.MONTHLY, date(2026, 1, 5), "2025-12"),
    ],
)
def test_the_default_period_is_the_last_whole_one_of_the_procedures_cadence(
    cadence, today, expected
):
    assert latest_complete(cadence, today).code == expected


def test_period_bounds_are_local_midnights():
    start, end = parse_period("2026-Q2").bounds("Europe/London")
    assert start.isoformat() == "2026-04-01T00:00:00+01:00"
    assert end.isoformat() == "2026-07-01T00:00:00+01:00"


# --- working days in bulk ---------------------------------------------------------------

days_2025_2027 = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(days_2025_2027, days_2025_2027), min_size=1, max_size=30))
def test_bulk_working_days_between_agrees_with_the_calendar_one_at_a_time(pairs):
    firsts, seconds = zip(*pairs, strict=True)
    bulk = core.working_days_between_bulk(CALENDAR, list(firsts), list(seconds))
    assert list(bulk) == [CALENDAR.working_days_between(a, b) for a, b in pairs]


@settings(max_examples=100, deadline=None)
@given(starts=st.lists(days_2025_2027, min_size=1, max_size=30), n=st.integers(0, 40))
def test_bulk_adding_working_days_agrees_with_the_calendar_one_at_a_time(starts, n):
    bulk = core.add_working_days_bulk(CALENDAR, starts, n)
    assert [d.item() for d in bulk] == [CALENDAR.add_working_days(s, n) for s in starts]


def test_bulk_working_days_skip_christmas_and_a_closure_day():
    # Mon 21 Dec 2026 to Tue 29 Dec 2026: 22, 23 only (24 closed, 25 and 28 bank holidays).
    assert list(
        core.working_days_between_bulk(CALENDAR, [date(2026, 12, 21)], [date(2026, 12, 29)])
    ) == [3]


def test_bulk_working_days_of_nothing_is_nothing():
    assert core.working_days_between_bulk(CALENDAR, [], []).size == 0


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 5)), min_size=1, max_size=20))
def test_the_weighted_median_is_the_median_of_the_repeated_values(rows):
    values = np.asarray([v for v, _ in rows], dtype=np.int64)
    weights = np.asarray([w for _, w in rows], dtype=np.int64)
    repeated = [v for v, w in rows for _ in range(w)]
    assert core.weighted_median(values, weights) == statistics.median(repeated)


# --- limits -----------------------------------------------------------------------------


def test_a_stage_limit_is_the_stages_own_timescale():
    twsp = shipped("twsp")
    limits = [core.stage_limit(twsp, s) for s in twsp.track().stages]
    assert [limit.days for limit in limits] == [7, 4, 3, 4, 7]


def test_a_stage_with_only_step_limits_takes_their_longest_chain_and_says_advisory():
    wirral = shipped("wirral-children")
    stage_2 = wirral.track().stage("stage-2")
    # One working day to contact the manager, then "a working week" (advisory) to resolve.
    assert core.stage_limit(wirral, stage_2) == Limit(6, advisory=True)


def test_a_stage_with_no_timescale_has_no_limit():
    torbay = shipped("torbay-children")
    assert core.stage_limit(torbay, torbay.track().stage("stage-3")) is None


def test_the_overall_limit_is_the_procedures_or_the_stages_cumulative_duration():
    bedfordshire, twsp = shipped("bedfordshire-channel"), shipped("twsp")
    assert core.overall_limit(bedfordshire, bedfordshire.track().stage("stage-2")) == Limit(20)
    assert core.overall_limit(twsp, twsp.track().stage("stage-3")) == Limit(14)
    torbay = shipped("torbay-children")
    assert core.overall_limit(torbay, torbay.track().stage("stage-1")) is None


def test_time_at_a_stage_counts_working_days_and_judges_each_against_its_limit():
    # Entered Thu 2 Apr 2026; 4 working days: 7, 8, 9, 10 Apr (3 and 6 Apr bank holidays).
    spans = [
        (date(2026, 4, 2), date(2026, 4, 10), 2),  # on the last day: within
        (date(2026, 4, 2), date(2026, 4, 13), 1),  # the next working day: over
        (date(2026, 4, 2), date(2026, 4, 11), 1),  # Saturday after the last day: over
    ]
    timing = core.timing_of(CALENDAR, spans, Limit(4))
    assert (timing.count, timing.within, timing.late) == (4, 2, 2)
    assert timing.median_days == 4
    assert timing.share_within == 0.5


def test_time_with_no_limit_is_measured_but_not_judged():
    timing = core.timing_of(CALENDAR, [(date(2026, 5, 1), date(2026, 5, 8), 3)], None)
    assert (timing.count, timing.within, timing.late, timing.mean_days) == (3, 0, 0, 4)
    assert timing.share_within is None


# --- a case's stages --------------------------------------------------------------------

RAISER = raiser("1", "operations-manager")
OTHER = other_party("2", "service-manager", "operations-manager")


def test_stage_spans_follow_the_record_from_raising_to_resolution():
    twsp = shipped("twsp")
    events = raise_case(twsp, actor=RAISER, at=at(2026, 3, 2))
    state = replay(events, twsp)
    for kind, actor, moment, fields in (
        (EventKind.ESCALATED, RAISER, at(2026, 3, 5), {"reason": "no-agreement"}),
        (EventKind.NOTE_ADDED, OTHER, at(2026, 3, 6), {"text": "A note"}),
        (EventKind.RESOLVED, OTHER, at(2026, 3, 9), {"outcome": "Agreed", "outstanding": "None"}),
        (EventKind.CLOSED, RAISER, at(2026, 3, 10), {}),
    ):
        new = take(twsp, state, kind, actor=actor, at=moment, **fields)
        for event in new:
            state = apply(state, event, twsp)
        events += new
    spans = core.stage_spans(events)
    assert [(s.stage, s.entered_at.day, s.left_at.day, s.left_by) for s in spans] == [
        ("stage-1", 2, 5, EventKind.ESCALATED),
        ("stage-2", 5, 9, EventKind.RESOLVED),
    ]


def test_an_open_case_has_a_last_stage_not_yet_left():
    twsp = shipped("twsp")
    events = raise_case(twsp, actor=RAISER, at=at(2026, 3, 2), immediate_risk=True)
    (span,) = core.stage_spans(events)
    assert (span.stage, span.left_at, span.immediate) == ("stage-3", None, True)


# --- suppression ------------------------------------------------------------------------


def test_small_counts_are_hidden_and_zeros_are_shown():
    hidden = suppress({"a": 0, "b": 3, "c": 5, "d": 4}, [], 5)
    assert hidden == {"b": Hidden.PRIMARY, "d": Hidden.PRIMARY}


def test_a_lone_hidden_part_of_a_total_takes_the_next_smallest_with_it():
    values = {"total": 30, "a": 3, "b": 12, "c": 15}
    hidden = suppress(values, [("total", ["a", "b", "c"])], 5)
    assert hidden == {"a": Hidden.PRIMARY, "b": Hidden.SECONDARY}


def test_a_figure_worth_keeping_is_passed_over_for_a_total():
    values = {"concluded": 40, "resolved": 37, "withdrawn": 3}
    hidden = suppress(
        values, [("concluded", ["resolved", "withdrawn"])], 5, keep=lambda k: k == "resolved"
    )
    assert hidden == {"withdrawn": Hidden.PRIMARY, "concluded": Hidden.SECONDARY}


def test_suppression_follows_linked_totals_until_none_gives_a_count_away():
    # Pairs of agencies, with each agency's own total and the grand total all published.
    values = {"all": 20, "A": 10, "B": 10, "X": 12, "Y": 8, "AX": 7, "AY": 3, "BX": 5, "BY": 5}
    sums = [
        ("all", ["A", "B"]), ("all", ["X", "Y"]), ("all", ["AX", "AY", "BX", "BY"]),
        ("A", ["AX", "AY"]), ("B", ["BX", "BY"]), ("X", ["AX", "BX"]), ("Y", ["AY", "BY"]),
    ]  # fmt: skip
    hidden = suppress(values, sums, 5)
    assert hidden["AY"] is Hidden.PRIMARY
    for total, parts in sums:
        assert sum(1 for k in (total, *parts) if k in hidden) != 1


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(st.integers(0, 12), min_size=1, max_size=8), threshold=st.integers(2, 8))
def test_no_sum_is_left_with_exactly_one_hidden_member(parts, threshold):
    values = {f"p{i}": v for i, v in enumerate(parts)} | {"total": sum(parts)}
    sums = [("total", [f"p{i}" for i in range(len(parts))])]
    hidden = suppress(values, sums, threshold)
    assert all(values[k] >= threshold or values[k] == 0 for k in values if k not in hidden)
    assert sum(1 for k in ("total", *sums[0][1]) if k in hidden) != 1


def test_a_share_is_shared_only_when_neither_count_behind_it_is_small():
    assert core.share_shown(10, 0, 5)
    assert core.share_shown(10, 6, 5)
    assert not core.share_shown(10, 2, 5)


# --- procedure change, tested on the past -----------------------------------------------

TWSP_TEXT = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")
WIRRAL_TEXT = (LIBRARY / "wirral-children.yaml").read_text(encoding="utf-8")


def _past_case(procedure: Procedure, escalate_day: int) -> core.PastCase:
    events = raise_case(procedure, actor=RAISER, at=at(2026, 6, 1))  # Monday
    state = replay(events, procedure)
    for kind, moment, fields in (
        (EventKind.ESCALATED, at(2026, 6, escalate_day), {"reason": "no-agreement"}),
        (
            EventKind.RESOLVED,
            at(2026, 6, escalate_day + 1),
            {"outcome": "Agreed", "outstanding": "None"},
        ),
    ):
        new = take(procedure, state, kind, actor=RAISER, at=moment, **fields)
        for event in new:
            state = apply(state, event, procedure)
        events += new
    return core.PastCase(procedure, tuple(events))


def test_a_shorter_timescale_makes_more_past_cases_overdue_at_that_stage():
    wirral = shipped("wirral-children")
    # Stage 1: "a working week" proposed as 3 working days.
    shorter = check_text(
        WIRRAL_TEXT.replace('version: "2026-1"', 'version: "2026-proposed"').replace(
            "    within: a working week\n    escalate_when",
            "    within: 3 working days\n    escalate_when",
        ),
        "proposed.yaml",
    ).procedure
    assert shorter is not None
    assert core.stage_limit(shorter, shorter.track().stage("stage-1")) == Limit(3)
    # Raised Mon 1 Jun 2026, escalated Fri 5 Jun (4 working days) and Mon 8 Jun (5).
    cases = [_past_case(wirral, 5), _past_case(wirral, 8)]
    outcome = core.what_if(cases, shorter, calendar_before=CALENDAR, calendar_after=CALENDAR)
    stage_1 = next(s for s in outcome.stages if s.stage == "stage-1")
    assert (stage_1.reached, stage_1.overdue_before, stage_1.overdue_after) == (2, 0, 2)
    assert (outcome.cases, outcome.compared, outcome.missing_stages) == (2, 2, ())
    assert (outcome.overdue_before, outcome.overdue_after) == (0, 2)


def test_stages_missing_from_a_proposal_are_reported_and_their_cases_left_out():
    twsp = shipped("twsp")
    renamed = check_text(
        TWSP_TEXT.replace('version: "2024-3"', 'version: "2026-proposed"')
        .replace("id: stage-2\n", "id: managers\n")
        .replace("stages: [stage-1, stage-2]", "stages: [stage-1, managers]"),
        "proposed.yaml",
    ).procedure
    assert renamed is not None
    outcome = core.what_if(
        [_past_case(twsp, 5)], renamed, calendar_before=CALENDAR, calendar_after=CALENDAR
    )
    assert outcome.missing_stages == ("stage-2",)
    assert (outcome.compared, outcome.missing_cases) == (0, 1)
    assert any(s.stage == "stage-2" and s.overdue_after is None for s in outcome.stages)


def test_the_same_version_changes_nothing():
    twsp = shipped("twsp")
    cases = [_past_case(twsp, day) for day in (2, 5, 12, 15)]
    outcome = core.what_if(cases, twsp, calendar_before=CALENDAR, calendar_after=CALENDAR)
    assert all(s.overdue_before == s.overdue_after for s in outcome.stages)
    assert outcome.overdue_before == outcome.overdue_after > 0


def test_stage_words_name_the_stage_or_keep_an_unknown_id():
    twsp = shipped("twsp")
    assert core.stage_words(twsp, "stage-2") == "Stage 2: Line or team managers"
    assert core.stage_words(twsp, "gone") == "gone"


def test_period_kinds_cover_every_cadence():
    assert set(core.CADENCE_PERIODS) == set(Cadence)
    assert core.period_containing(PeriodKind.HALF, date(2026, 9, 1)).code == "2026-H2"
    assert Period(date(2026, 1, 1), date(2026, 1, 11)).days == 10
    assert parse_period("2026").contains(date(2026, 12, 31))
    assert not parse_period("2026").contains(date(2027, 1, 1))
    assert (
        parse_period("2026").last_day == date(2026, 12, 31) == date(2027, 1, 1) - timedelta(days=1)
    )


def test_a_challenge_inside_one_agency_is_counted_as_that_agency_once() -> None:
    from parley.core.report import between_words

    assert between_words("Demoshire Police", "Demoshire Academy") == (
        "Demoshire Police → Demoshire Academy"
    )
    assert between_words("Demoshire Council", "Demoshire Council") == (
        "Demoshire Council, inside the agency"
    )
