"""WorkingCalendar: every expected date below was worked out by hand from the published
bank holidays and a wall calendar, not produced by the code under test."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.core.calendar import REGIONS, SkippedDay, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
EW = WorkingCalendar()
SCOTLAND = WorkingCalendar(region="scotland")
NI = WorkingCalendar(region="northern-ireland")
CLOSED_CHRISTMAS_EVE = WorkingCalendar(closures={date(2026, 12, 24): "Office closure"})
CALENDARS = {"england-and-wales": EW, "scotland": SCOTLAND, "northern-ireland": NI}


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# --- the bank holidays the package must give us ---------------------------------------------


def test_christmas_day_2026_is_a_friday_bank_holiday() -> None:
    assert date(2026, 12, 25).weekday() == 4
    assert EW.why_not_working(date(2026, 12, 25)) == "Christmas Day (bank holiday)"


def test_boxing_day_2026_is_observed_on_monday_28_december() -> None:
    assert EW.why_not_working(date(2026, 12, 26)) == "Saturday"
    assert EW.why_not_working(date(2026, 12, 28)) == "Boxing Day (substitute day)"
    assert EW.is_working_day(date(2026, 12, 29))


def test_easter_2027_is_good_friday_26_march_and_easter_monday_29_march() -> None:
    assert EW.why_not_working(date(2027, 3, 26)) == "Good Friday (bank holiday)"
    assert EW.why_not_working(date(2027, 3, 29)) == "Easter Monday (bank holiday)"


def test_easter_monday_is_not_a_bank_holiday_in_scotland() -> None:
    assert not SCOTLAND.is_working_day(date(2027, 3, 26))
    assert SCOTLAND.is_working_day(date(2027, 3, 29))


def test_wales_has_the_same_bank_holidays_as_england_in_the_package() -> None:
    years = range(2020, 2041)
    england = holidays.country_holidays("GB", subdiv="ENG", years=years)
    wales = holidays.country_holidays("GB", subdiv="WLS", years=years)
    assert dict(england.items()) == dict(wales.items())


@pytest.mark.parametrize(
    ("calendar", "day", "reason"),
    [
        (EW, date(2026, 10, 10), "Saturday"),
        (EW, date(2026, 10, 11), "Sunday"),
        (EW, date(2026, 10, 12), None),
        (EW, date(2027, 1, 1), "New Year's Day (bank holiday)"),
        (EW, date(2027, 5, 3), "Early May bank holiday"),
        (EW, date(2027, 5, 31), "Spring bank holiday"),
        (EW, date(2027, 1, 4), None),
        (SCOTLAND, date(2026, 1, 2), "2nd January (bank holiday)"),
        (SCOTLAND, date(2027, 1, 4), "2nd January (substitute day)"),
        (
            SCOTLAND,
            date(2023, 1, 2),
            "New Year's Day (substitute day)",
        ),
        (SCOTLAND, date(2026, 11, 30), "St Andrew's Day (bank holiday)"),
        (EW, date(2026, 11, 30), None),
        (NI, date(2027, 3, 17), "St Patrick's Day (bank holiday)"),
        (NI, date(2027, 7, 12), "Battle of the Boyne (Orangemen's Day)"),
        (NI, date(2026, 7, 13), "Battle of the Boyne (Orangemen's Day) (substitute day)"),
        (EW, date(2027, 7, 12), None),
        (CLOSED_CHRISTMAS_EVE, date(2026, 12, 24), "Office closure (partnership closure day)"),
        (EW, date(2026, 12, 24), None),
    ],
)
def test_why_not_working_names_the_weekend_day_holiday_or_closure(
    calendar: WorkingCalendar, day: date, reason: str | None
) -> None:
    assert calendar.why_not_working(day) == reason
    assert calendar.is_working_day(day) is (reason is None)


def test_an_unnamed_closure_day_is_still_explained() -> None:
    calendar = WorkingCalendar(closures={date(2026, 12, 24): ""})
    assert calendar.why_not_working(date(2026, 12, 24)) == "Partnership closure day"


def test_a_closure_on_a_bank_holiday_is_reported_as_the_bank_holiday() -> None:
    calendar = WorkingCalendar(closures={date(2026, 12, 25): "Office closure"})
    assert calendar.why_not_working(date(2026, 12, 25)) == "Christmas Day (bank holiday)"


# --- adding working days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "n", "expected"),
    [
        # Plain weeks: Friday 9 October 2026, no holidays nearby.
        (EW, date(2026, 10, 9), 1, date(2026, 10, 12)),
        (EW, date(2026, 10, 9), 5, date(2026, 10, 16)),
        (EW, date(2026, 10, 12), 0, date(2026, 10, 12)),
        (EW, date(2026, 10, 10), 0, date(2026, 10, 12)),
        (EW, date(2026, 10, 10), 1, date(2026, 10, 12)),
        (EW, date(2026, 10, 11), 5, date(2026, 10, 16)),
        # Christmas 2026: 25 Dec Fri, 26-27 weekend, 28 Dec substitute Boxing Day.
        (EW, date(2026, 12, 22), 5, date(2026, 12, 31)),
        (EW, date(2026, 12, 24), 1, date(2026, 12, 29)),
        # New Year: 1 Jan 2027 is a Friday.
        (EW, date(2026, 12, 22), 6, date(2027, 1, 4)),
        (EW, date(2026, 12, 30), 2, date(2027, 1, 4)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (EW, date(2027, 3, 25), 1, date(2027, 3, 30)),
        (EW, date(2027, 3, 24), 5, date(2027, 4, 2)),
        # May bank holidays 2027: Monday 3 May and Monday 31 May.
        (EW, date(2027, 4, 30), 1, date(2027, 5, 4)),
        (EW, date(2027, 5, 28), 1, date(2027, 6, 1)),
        # Scotland: 2 January is a bank holiday too, and St Andrew's Day.
        (SCOTLAND, date(2025, 12, 31), 1, date(2026, 1, 5)),
        (EW, date(2025, 12, 31), 1, date(2026, 1, 2)),
        (SCOTLAND, date(2026, 12, 31), 1, date(2027, 1, 5)),
        (EW, date(2026, 12, 31), 1, date(2027, 1, 4)),
        (SCOTLAND, date(2026, 11, 27), 1, date(2026, 12, 1)),
        (EW, date(2026, 11, 27), 1, date(2026, 11, 30)),
        # Northern Ireland: St Patrick's Day and the Twelfth (observed Monday in 2026).
        (NI, date(2027, 3, 16), 1, date(2027, 3, 18)),
        (EW, date(2027, 3, 16), 1, date(2027, 3, 17)),
        (NI, date(2027, 7, 9), 1, date(2027, 7, 13)),
        (NI, date(2026, 7, 10), 1, date(2026, 7, 14)),
        # A partnership closing on Christmas Eve 2026.
        (CLOSED_CHRISTMAS_EVE, date(2026, 12, 22), 5, date(2027, 1, 4)),
        (CLOSED_CHRISTMAS_EVE, date(2026, 12, 23), 1, date(2026, 12, 29)),
    ],
)
def test_add_working_days_counts_from_the_day_after_the_event(
    calendar: WorkingCalendar, start: date, n: int, expected: date
) -> None:
    assert calendar.add_working_days(start, n) == expected
    if n:
        assert calendar.working_days_between(start, expected) == n


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 12, 22), date(2026, 12, 31), 5),
        (date(2026, 12, 31), date(2026, 12, 22), -5),
        (date(2026, 12, 22), date(2026, 12, 22), 0),
        (date(2026, 12, 26), date(2026, 12, 28), 0),
        (date(2026, 10, 9), date(2026, 10, 12), 1),
        (date(2026, 12, 22), date(2027, 1, 4), 6),
    ],
)
def test_working_days_between_counts_days_after_a_up_to_and_including_b(
    a: date, b: date, expected: int
) -> None:
    assert EW.working_days_between(a, b) == expected


def test_next_and_previous_working_day_jump_christmas_and_new_year() -> None:
    assert EW.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert EW.previous_working_day(date(2026, 12, 29)) == date(2026, 12, 24)
    assert EW.previous_working_day(date(2027, 1, 4)) == date(2026, 12, 31)
    assert EW.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_with_closures_returns_a_new_calendar_and_leaves_the_old_one_alone() -> None:
    later = EW.with_closures({date(2026, 12, 24): "Office closure"})
    assert later == CLOSED_CHRISTMAS_EVE
    assert EW.is_working_day(date(2026, 12, 24))
    assert not later.is_working_day(date(2026, 12, 24))
    both = later.with_closures({date(2026, 12, 31): "Stock take"})
    assert dict(both.closures) == {
        date(2026, 12, 24): "Office closure",
        date(2026, 12, 31): "Stock take",
    }


def test_calendars_with_the_same_settings_are_equal_hashable_and_picklable() -> None:
    again = WorkingCalendar(closures={date(2026, 12, 24): "Office closure"})
    assert again == CLOSED_CHRISTMAS_EVE
    assert hash(again) == hash(CLOSED_CHRISTMAS_EVE)
    assert again != EW
    assert pickle.loads(pickle.dumps(again)) == again


# --- hours that run only on working days ---------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (london(2026, 10, 9, 15), 24, london(2026, 10, 12, 15)),
        (london(2026, 12, 24, 15), 24, london(2026, 12, 29, 15)),
        # On a Saturday the clock starts at 00:00 Monday and runs out at the end of Monday.
        (london(2026, 10, 10, 10), 24, london(2026, 10, 13, 0)),
        (london(2026, 10, 12, 9), 0, london(2026, 10, 12, 9)),
        (london(2026, 10, 12, 9), 48, london(2026, 10, 14, 9)),
        (london(2026, 10, 12, 9, 30), 8, london(2026, 10, 12, 17, 30)),
        # Clocks go back on Sunday 25 October 2026: 15:00 BST Friday -> 15:00 GMT Monday.
        (london(2026, 10, 23, 15), 24, london(2026, 10, 26, 15)),
        # Clocks go forward on Sunday 28 March 2027, inside the Easter weekend.
        (london(2027, 3, 25, 15), 24, london(2027, 3, 30, 15)),
        # 00:30 UTC on 25 October 2026 is the first 01:30 of that Sunday: clock starts Monday.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 24, london(2026, 10, 27, 0)),
        # The same instant given in UTC gives the same local answer.
        (datetime(2026, 10, 23, 14, tzinfo=UTC), 24, london(2026, 10, 26, 15)),
    ],
)
def test_add_hours_stops_the_clock_on_non_working_days(
    moment: datetime, hours: int, expected: datetime
) -> None:
    result = EW.add_hours(moment, hours)
    assert result == expected
    assert result.tzinfo == LONDON
    assert (result.hour, result.minute) == (expected.hour, expected.minute)


def test_add_hours_across_the_autumn_change_keeps_wall_clock_time() -> None:
    result = EW.add_hours(london(2026, 10, 23, 15), 24)
    assert london(2026, 10, 23, 15).utcoffset() == timedelta(hours=1)
    assert result.utcoffset() == timedelta(0)
    assert result.astimezone(UTC) == datetime(2026, 10, 26, 15, tzinfo=UTC)


def test_add_hours_across_the_spring_change_keeps_wall_clock_time() -> None:
    result = EW.add_hours(london(2027, 3, 25, 15), 24)
    assert result.utcoffset() == timedelta(hours=1)
    assert result.astimezone(UTC) == datetime(2027, 3, 30, 14, tzinfo=UTC)


# --- same working day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (london(2026, 10, 12, 10), london(2026, 10, 12, 17)),
        (london(2026, 10, 12, 18), london(2026, 10, 13, 17)),
        (london(2026, 10, 12, 17), london(2026, 10, 13, 17)),
        (london(2026, 10, 16, 18), london(2026, 10, 19, 17)),
        (london(2026, 10, 17, 10), london(2026, 10, 19, 17)),
        (london(2026, 12, 24, 18), london(2026, 12, 29, 17)),
        (london(2026, 12, 25, 9), london(2026, 12, 29, 17)),
        # 15:30 UTC is 16:30 BST (before 5pm); 16:30 UTC is 17:30 BST (after).
        (datetime(2026, 10, 12, 15, 30, tzinfo=UTC), london(2026, 10, 12, 17)),
        (datetime(2026, 10, 12, 16, 30, tzinfo=UTC), london(2026, 10, 13, 17)),
    ],
)
def test_same_working_day_ends_at_5pm_or_rolls_to_the_next_working_day(
    moment: datetime, expected: datetime
) -> None:
    result = EW.same_working_day(moment)
    assert result == expected
    assert result.tzinfo == LONDON


def test_same_working_day_uses_the_calendars_own_end_of_day() -> None:
    early = WorkingCalendar(end_of_day=time(16, 30))
    assert early.same_working_day(london(2026, 10, 12, 16)) == london(2026, 10, 12, 16, 30)
    assert early.same_working_day(london(2026, 10, 12, 16, 45)) == london(2026, 10, 13, 16, 30)
    assert early.end_of_working_day(date(2026, 10, 12)) == london(2026, 10, 12, 16, 30)


# --- explanations --------------------------------------------------------------------------


def test_explanation_lists_every_skipped_day_including_weekends() -> None:
    explanation = EW.explain_add_working_days(date(2026, 12, 22), 5)
    assert explanation.result == date(2026, 12, 31)
    assert explanation.skipped == (
        SkippedDay(date(2026, 12, 25), "Christmas Day (bank holiday)", "bank holiday"),
        SkippedDay(date(2026, 12, 26), "Saturday", "weekend"),
        SkippedDay(date(2026, 12, 27), "Sunday", "weekend"),
        SkippedDay(date(2026, 12, 28), "Boxing Day (substitute day)", "bank holiday"),
    )


@pytest.mark.parametrize(
    ("calendar", "start", "n", "sentence"),
    [
        (
            EW,
            date(2026, 12, 22),
            5,
            "5 working days from Tuesday 22 December 2026: 25 and 28 December are bank holidays.",
        ),
        (EW, date(2026, 10, 9), 5, "5 working days from Friday 9 October 2026."),
        (EW, date(2026, 10, 12), 1, "1 working day from Monday 12 October 2026."),
        (
            EW,
            date(2026, 12, 22),
            10,
            "10 working days from Tuesday 22 December 2026: "
            "25 and 28 December and 1 January 2027 are bank holidays.",
        ),
        (
            EW,
            date(2026, 12, 31),
            1,
            "1 working day from Thursday 31 December 2026: 1 January 2027 is a bank holiday.",
        ),
        (
            SCOTLAND,
            date(2026, 12, 31),
            1,
            "1 working day from Thursday 31 December 2026: 1 and 4 January 2027 are bank holidays.",
        ),
        (
            CLOSED_CHRISTMAS_EVE,
            date(2026, 12, 22),
            2,
            "2 working days from Tuesday 22 December 2026: 25 and 28 December are bank holidays; "
            "24 December is a partnership closure day.",
        ),
    ],
)
def test_explanation_sentence_names_holidays_and_closures_but_not_weekends(
    calendar: WorkingCalendar, start: date, n: int, sentence: str
) -> None:
    assert calendar.explain_add_working_days(start, n).sentence() == sentence


def test_explain_add_hours_reads_in_local_time() -> None:
    explanation = EW.explain_add_hours(datetime(2026, 12, 24, 15, tzinfo=UTC), 24)
    assert explanation.result == london(2026, 12, 29, 15)
    assert explanation.sentence() == (
        "24 hours from 3pm on Thursday 24 December 2026: 25 and 28 December are bank holidays."
    )


def test_explain_add_hours_from_a_saturday_counts_the_saturday_as_skipped() -> None:
    explanation = EW.explain_add_hours(london(2026, 10, 10, 10), 24)
    assert [s.day for s in explanation.skipped] == [date(2026, 10, 10), date(2026, 10, 11)]
    assert explanation.sentence() == "24 hours from 10am on Saturday 10 October 2026."


@pytest.mark.parametrize(
    ("moment", "hours", "sentence"),
    [
        (london(2026, 10, 12, 9, 30), 1, "1 hour from 9:30am on Monday 12 October 2026."),
        (london(2026, 10, 12, 12), 2, "2 hours from midday on Monday 12 October 2026."),
        (london(2026, 10, 12, 0), 2, "2 hours from midnight on Monday 12 October 2026."),
    ],
)
def test_times_are_written_the_gov_uk_way(moment: datetime, hours: int, sentence: str) -> None:
    assert EW.explain_add_hours(moment, hours).sentence() == sentence


def test_explain_same_working_day_says_why_it_moved() -> None:
    explanation = EW.explain_same_working_day(london(2026, 12, 24, 18))
    assert explanation.result == london(2026, 12, 29, 17)
    assert explanation.sentence() == (
        "Same working day (ends 5pm) as 6pm on Thursday 24 December 2026: "
        "that is after 5pm, so the deadline is the next working day; "
        "25 and 28 December are bank holidays."
    )
    in_time = EW.explain_same_working_day(london(2026, 10, 12, 10))
    assert in_time.sentence() == "Same working day (ends 5pm) as 10am on Monday 12 October 2026."


# --- refusals ------------------------------------------------------------------------------


def test_unknown_region_is_refused_with_the_valid_ones_listed() -> None:
    with pytest.raises(ValueError, match="england-and-wales, northern-ireland, scotland"):
        WorkingCalendar(region="wales")


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown timezone"):
        WorkingCalendar(timezone="Europe/Atlantis")


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        EW.add_working_days(date(2026, 10, 12), -1)
    with pytest.raises(ValueError, match="cannot be negative"):
        EW.add_hours(london(2026, 10, 12, 9), -1)
    with pytest.raises(ValueError, match="cannot be negative"):
        EW.add_working_days_bulk([date(2026, 10, 12)], -1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: EW.same_working_day(datetime(2026, 10, 12, 10)),
        lambda: EW.add_hours(datetime(2026, 10, 12, 10), 24),
        lambda: EW.explain_same_working_day(datetime(2026, 10, 12, 10)),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_a_datetime_where_a_date_is_needed_is_refused() -> None:
    with pytest.raises(TypeError, match="A date is needed"):
        EW.is_working_day(datetime(2026, 10, 12, 10))


def test_years_outside_2000_to_2100_are_refused() -> None:
    with pytest.raises(ValueError, match="covers 2000 to 2100"):
        EW.is_working_day(date(1999, 12, 31))
    with pytest.raises(ValueError, match="covers 2000 to 2100"):
        EW.add_working_days(date(2100, 12, 30), 5)
    with pytest.raises(ValueError, match="covers 2000 to 2100"):
        EW.add_working_days_bulk([date(2100, 12, 30)], 5)


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_matches_scalar_on_thousands_of_random_dates_2020_to_2035() -> None:
    rng = np.random.default_rng(20261225)
    first, last = date(2020, 1, 1).toordinal(), date(2035, 12, 31).toordinal()
    starts = [date.fromordinal(int(o)) for o in rng.integers(first, last, size=3000)]
    counts = rng.integers(0, 40, size=3000)
    for calendar in (EW, SCOTLAND, NI, CLOSED_CHRISTMAS_EVE):
        bulk = calendar.add_working_days_bulk(starts, counts)
        scalar = [calendar.add_working_days(s, int(n)) for s, n in zip(starts, counts, strict=True)]
        assert bulk.tolist() == scalar


def test_bulk_takes_a_datetime64_array_and_a_single_count() -> None:
    starts = np.array(["2026-12-22", "2026-12-26", "2027-03-25"], dtype="datetime64[D]")
    result = EW.add_working_days_bulk(starts, 5)
    assert result.dtype == np.dtype("datetime64[D]")
    assert result.tolist() == [date(2026, 12, 31), date(2027, 1, 5), date(2027, 4, 5)]
    assert EW.add_working_days_bulk([], 5).size == 0


# --- properties against a slow, obviously correct reference -----------------------------------

REFERENCE = {
    region: holidays.country_holidays("GB", subdiv=subdivision)
    for region, subdivision in REGIONS.items()
}


def reference_is_working(region: str, closures: set[date], d: date) -> bool:
    return d.weekday() < 5 and d not in REFERENCE[region] and d not in closures


def reference_add(region: str, closures: set[date], start: date, n: int) -> date:
    d = start
    if n == 0:
        while not reference_is_working(region, closures, d):
            d += timedelta(days=1)
        return d
    while n:
        d += timedelta(days=1)
        if reference_is_working(region, closures, d):
            n -= 1
    return d


regions = st.sampled_from(sorted(REGIONS))
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 6, 30))
counts = st.integers(min_value=0, max_value=60)
closure_offsets = st.sets(st.integers(min_value=-5, max_value=90), max_size=6)
PROPERTY = settings(max_examples=200, deadline=None)


def calendar_with(region: str, start: date, offsets: set[int]) -> tuple[WorkingCalendar, set[date]]:
    closures = {start + timedelta(days=o) for o in offsets}
    return WorkingCalendar(region=region, closures=dict.fromkeys(closures, "Closed")), closures


@PROPERTY
@given(regions, starts, counts, closure_offsets)
def test_add_working_days_agrees_with_stepping_one_day_at_a_time(
    region: str, start: date, n: int, offsets: set[int]
) -> None:
    calendar, closures = calendar_with(region, start, offsets)
    assert calendar.add_working_days(start, n) == reference_add(region, closures, start, n)


@PROPERTY
@given(regions, starts, st.integers(min_value=1, max_value=60), closure_offsets)
def test_add_working_days_lands_on_a_working_day_that_working_days_between_counts_back(
    region: str, start: date, n: int, offsets: set[int]
) -> None:
    calendar, _ = calendar_with(region, start, offsets)
    result = calendar.add_working_days(start, n)
    assert result > start
    assert calendar.is_working_day(result)
    assert calendar.working_days_between(start, result) == n
    assert calendar.working_days_between(result, start) == -n


@PROPERTY
@given(regions, starts, st.integers(min_value=1, max_value=60))
def test_add_working_days_is_strictly_increasing_in_n_from_one(
    region: str, start: date, n: int
) -> None:
    calendar = CALENDARS[region]
    assert calendar.add_working_days(start, 0) <= calendar.add_working_days(start, 1)
    assert calendar.add_working_days(start, n) < calendar.add_working_days(start, n + 1)


@PROPERTY
@given(regions, starts, st.integers(min_value=0, max_value=40))
def test_working_days_between_agrees_with_counting_one_day_at_a_time(
    region: str, start: date, span: int
) -> None:
    end = start + timedelta(days=span)
    expected = sum(
        reference_is_working(region, set(), start + timedelta(days=i)) for i in range(1, span + 1)
    )
    assert CALENDARS[region].working_days_between(start, end) == expected


@PROPERTY
@given(
    regions,
    # Early enough that the latest start (about four years on) plus 60 working days still
    # falls inside the calendar's range, which ends in 2100.
    st.dates(min_value=date(2000, 1, 1), max_value=date(2095, 6, 30)),
    # Starts within a few years of each other, as in real use; it keeps the test quick.
    st.lists(st.integers(min_value=0, max_value=1500), min_size=1, max_size=20),
    counts,
    closure_offsets,
)
def test_bulk_agrees_with_scalar(
    region: str, base: date, spread: list[int], n: int, offsets: set[int]
) -> None:
    calendar, _ = calendar_with(region, base, offsets)
    many = [base + timedelta(days=d) for d in spread]
    expected = [calendar.add_working_days(s, n) for s in many]
    assert calendar.add_working_days_bulk(many, n).tolist() == expected


@PROPERTY
@given(
    regions,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 6, 30)),
    # Not midnight: k days from 00:00 run out at the *end* of a working day, which is the
    # following calendar day's 00:00 rather than the next working day's.
    st.times(min_value=time(0, 0, 1)),
    st.integers(min_value=0, max_value=20),
)
def test_whole_days_of_hours_from_a_working_day_match_working_days(
    region: str, day: date, at: time, k: int
) -> None:
    calendar = CALENDARS[region]
    start = calendar.add_working_days(day, 0)
    moment = datetime.combine(start, at, tzinfo=LONDON)
    result = calendar.add_hours(moment, 24 * k)
    expected = calendar.add_working_days(start, k)
    # Wall-clock arithmetic: same local time of day, k working days later.
    assert (result.date(), result.time()) == (expected, moment.time())


# --- hour limits end when people work -------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected", "why"),
    [
        # Entered on a Sunday: the clock runs through Monday, so the limit is by 5pm on
        # Monday, not "midnight on Tuesday".
        (london(2026, 12, 6, 10), london(2026, 12, 7, 17), "run to the end of that working day"),
        # After the working day has closed on Monday: by 5pm on Tuesday, not 6pm.
        (london(2026, 12, 7, 18), london(2026, 12, 8, 17), "run out after 5pm"),
        # Within working hours the hours keep the wall clock: Thursday 3pm, Friday 3pm.
        (london(2026, 12, 10, 15), london(2026, 12, 11, 15), ""),
    ],
)
def test_an_hours_limit_never_ends_outside_working_hours_or_at_midnight(
    moment: datetime, expected: datetime, why: str
) -> None:
    explanation = EW.explain_hours_limit(moment, 24)
    assert explanation.result == expected
    assert why in explanation.note
    if not why:
        assert explanation.note == ""
    assert explanation.sentence().startswith("24 hours from")
