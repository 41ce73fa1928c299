"""The arithmetic behind the board's report: periods, time against limits, suppression.

Pure core: no Django, no clock. The reports app runs the queries and hands the rows here;
the tests check these functions against slow, obvious versions.

- **Periods.** ``2026-Q3`` is July to September 2026, ``2026-H1`` January to June 2026,
  ``2026`` the calendar year, ``FY2026-27`` the financial year April 2026 to March 2027,
  ``2026-07`` a month; anything else is a custom period of whole days. A period's end is
  exclusive and every boundary is a local midnight, so "in the period" is a comparison of
  local dates.
- **Time at a stage** is counted in working days from the day a case reached the stage to
  the day it left. A stage's limit is its own ``within``, or, where the document gives
  only step limits, the longest chain of them. A stage is within its timescale when it was
  left on or before the day its limit ran out: a step finished late on the last day still
  counts as on time, since reports work in days.
- **Suppression.** Counts from 1 to ``threshold - 1`` are hidden in anything shared
  (primary suppression). Where parts add up to a published total, a lone hidden part could
  be worked out by subtraction, so another part is hidden too (secondary suppression),
  repeated until no sum has exactly one hidden member. Zeros are shown: "none" says
  nothing about anyone.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from parley.core import engine, planner
from parley.core.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar
from parley.core.durations import Duration, Unit
from parley.core.engine import Event, EventKind, Route
from parley.core.procedure import Cadence, Procedure, Stage, StepAnchor
from parley.core.words import MONTHS, long_date

# --- periods ----------------------------------------------------------------------------

MAX_CUSTOM_DAYS = 3 * 366  # three years: longer than any board's reporting period
TREND_PERIODS = 4  # the periods before this one that a report compares against


class PeriodError(ValueError):
    """A period that cannot be read; the message is plain English."""


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half-year"
    YEAR = "year"
    FINANCIAL_YEAR = "financial-year"
    CUSTOM = "custom"


@dataclass(frozen=True, order=True)
class Period:
    """From ``start`` up to, not including, ``end``: local dates."""

    start: date
    end: date
    kind: PeriodKind = PeriodKind.CUSTOM

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def code(self) -> str:
        """What goes in a link: ``?period=2026-Q3``."""
        s = self.start
        if self.kind is PeriodKind.MONTH:
            return f"{s.year}-{s.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.HALF:
            return f"{s.year}-H{1 if s.month == 1 else 2}"
        if self.kind is PeriodKind.YEAR:
            return str(s.year)
        if self.kind is PeriodKind.FINANCIAL_YEAR:
            return f"FY{s.year}-{(s.year + 1) % 100:02d}"
        return f"{s.isoformat()}..{self.last_day.isoformat()}"

    @property
    def label(self) -> str:
        """How people say it: "July to September 2026"."""
        s, last = self.start, self.last_day
        if self.kind is PeriodKind.MONTH:
            return f"{MONTHS[s.month - 1]} {s.year}"
        if self.kind in (PeriodKind.QUARTER, PeriodKind.HALF):
            return f"{MONTHS[s.month - 1]} to {MONTHS[last.month - 1]} {s.year}"
        if self.kind is PeriodKind.YEAR:
            return str(s.year)
        if self.kind is PeriodKind.FINANCIAL_YEAR:
            return f"April {s.year} to March {s.year + 1}"
        return f"{long_date(s)} to {long_date(last)}"

    @property
    def noun(self) -> str:
        return {
            PeriodKind.MONTH: "month",
            PeriodKind.QUARTER: "quarter",
            PeriodKind.HALF: "half-year",
            PeriodKind.YEAR: "year",
            PeriodKind.FINANCIAL_YEAR: "year",
            PeriodKind.CUSTOM: "period",
        }[self.kind]

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def bounds(self, zone: str | ZoneInfo) -> tuple[datetime, datetime]:
        """The period as two aware moments: local midnight at each end."""
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return (
            datetime.combine(self.start, time(), tzinfo=tz),
            datetime.combine(self.end, time(), tzinfo=tz),
        )

    def previous(self) -> Period:
        """The period of the same kind and length just before this one.

        A custom period of whole months steps back by whole months (1 April to 30
        September steps back to 1 October to 31 March); any other by its number of days.
        """
        if self.kind is PeriodKind.CUSTOM:
            months = _whole_months(self.start, self.end)
            if months:
                return Period(_add_months(self.start, -months), self.start, self.kind)
            return Period(self.start - timedelta(days=self.days), self.start, self.kind)
        months = _KIND_MONTHS[self.kind]
        return Period(_add_months(self.start, -months), self.start, self.kind)

    def with_earlier(self, count: int = TREND_PERIODS) -> tuple[Period, ...]:
        """This period and the ``count`` before it, oldest first, within the calendar's years."""
        periods = [self]
        while len(periods) <= count and periods[-1].start.year > FIRST_YEAR:
            earlier = periods[-1].previous()
            if earlier.start.year < FIRST_YEAR:
                break
            periods.append(earlier)
        return tuple(reversed(periods))


_KIND_MONTHS = {
    PeriodKind.MONTH: 1,
    PeriodKind.QUARTER: 3,
    PeriodKind.HALF: 6,
    PeriodKind.YEAR: 12,
    PeriodKind.FINANCIAL_YEAR: 12,
}


def between_words(raising: str, other: str) -> str:
    """Who a disagreement was between, for the reports: "raised by → raised with", or, for
    a challenge inside one agency (a single-agency procedure), that agency once."""
    if raising == other:
        return f"{raising}, inside the agency"
    return f"{raising} → {other}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, month_calendar.monthrange(year, month + 1)[1]))


def _whole_months(start: date, end: date) -> int:
    """How many months from ``start`` to ``end`` if both are the 1st of a month, else 0."""
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _check_period_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR - 1:
        raise PeriodError(f"Reports cover {FIRST_YEAR} to {LAST_YEAR - 1}; {year} is outside that")


def month_period(year: int, month: int) -> Period:
    _check_period_year(year)
    start = date(year, month, 1)
    return Period(start, _add_months(start, 1), PeriodKind.MONTH)


def quarter_period(year: int, quarter: int) -> Period:
    _check_period_year(year)
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return Period(start, _add_months(start, 3), PeriodKind.QUARTER)


def half_period(year: int, half: int) -> Period:
    _check_period_year(year)
    start = date(year, 1 if half == 1 else 7, 1)
    return Period(start, _add_months(start, 6), PeriodKind.HALF)


def year_period(year: int) -> Period:
    _check_period_year(year)
    return Period(date(year, 1, 1), date(year + 1, 1, 1), PeriodKind.YEAR)


def financial_year_period(year: int) -> Period:
    """April ``year`` to March ``year + 1``: the year partnerships' annual reports cover."""
    _check_period_year(year)
    return Period(date(year, 4, 1), date(year + 1, 4, 1), PeriodKind.FINANCIAL_YEAR)


def custom_period(start: date, last_day: date) -> Period:
    """From ``start`` to ``last_day``, both included."""
    if last_day < start:
        raise PeriodError("The end date must be the same as or after the start date")
    _check_period_year(start.year)
    _check_period_year(last_day.year)
    end = last_day + timedelta(days=1)
    if (end - start).days > MAX_CUSTOM_DAYS:
        raise PeriodError("A report can cover up to 3 years: choose a shorter period")
    return Period(start, end, PeriodKind.CUSTOM)


_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-H([12])$"), "half"),
    (re.compile(r"^FY(\d{4})-(\d{2})$"), "financial"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"), "custom"),
)

PERIOD_EXAMPLES = '"2026-Q3", "2026-H1", "2026", "FY2026-27" or "2026-07"'


def parse_period(text: str) -> Period:
    """Read a period code, or say plainly what is wrong with it."""
    code = text.strip().upper()
    for pattern, kind in _CODES:
        match = pattern.match(code)
        if match is None:
            continue
        first, second = match.group(1), match.group(match.lastindex or 1)
        if kind == "quarter":
            return quarter_period(int(first), int(second))
        if kind == "half":
            return half_period(int(first), int(second))
        if kind == "year":
            return year_period(int(first))
        if kind == "financial":
            if (int(first) + 1) % 100 != int(second):
                raise PeriodError(
                    f'"{text}": a financial year runs into the next year, '
                    f"like FY{first}-{(int(first) + 1) % 100:02d}"
                )
            return financial_year_period(int(first))
        if kind == "month":
            if not 1 <= int(second) <= 12:
                raise PeriodError(f'"{text}" is not a month: months go from 01 to 12')
            return month_period(int(first), int(second))
        try:
            start, last = date.fromisoformat(first), date.fromisoformat(second)
        except ValueError:
            raise PeriodError(f'"{text}" does not give two real dates') from None
        return custom_period(start, last)
    raise PeriodError(f'"{text}" is not a period Parley understands; use {PERIOD_EXAMPLES}')


def period_containing(kind: PeriodKind, day: date) -> Period:
    if kind is PeriodKind.MONTH:
        return month_period(day.year, day.month)
    if kind is PeriodKind.QUARTER:
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if kind is PeriodKind.HALF:
        return half_period(day.year, 1 if day.month <= 6 else 2)
    if kind is PeriodKind.YEAR:
        return year_period(day.year)
    if kind is PeriodKind.FINANCIAL_YEAR:
        return financial_year_period(day.year if day.month >= 4 else day.year - 1)
    raise ValueError("a custom period is not found from a day")


# What a procedure's reporting cadence means as a period. "Annual" is the financial year
# (April to March), the year partnerships' and boards' annual reports cover.
CADENCE_PERIODS: Mapping[Cadence, PeriodKind] = {
    Cadence.MONTHLY: PeriodKind.MONTH,
    Cadence.QUARTERLY: PeriodKind.QUARTER,
    Cadence.BI_ANNUAL: PeriodKind.HALF,
    Cadence.ANNUAL: PeriodKind.FINANCIAL_YEAR,
}


def latest_complete(cadence: Cadence, today: date) -> Period:
    """The last whole period of the cadence before ``today``: the one a board sees next."""
    return period_containing(CADENCE_PERIODS[cadence], today).previous()


# --- working days in bulk ---------------------------------------------------------------

Days = npt.NDArray[np.datetime64]
Counts = npt.NDArray[np.int64]


@lru_cache(maxsize=64)
def _busdays(calendar: WorkingCalendar, first: int, last: int) -> np.busdaycalendar:
    """numpy's calendar of the same days the working calendar closes, for ``first``-``last``."""
    closed = [
        day
        for ordinal in range(date(first, 1, 1).toordinal(), date(last + 1, 1, 1).toordinal())
        if (day := date.fromordinal(ordinal)).weekday() < 5 and not calendar.is_working_day(day)
    ]
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(closed, "datetime64[D]"))


def _years(*arrays: Days) -> tuple[int, int]:
    present = [a for a in arrays if a.size]
    low = min(int(a.min().astype("datetime64[Y]").astype(np.int64)) for a in present) + 1970
    high = max(int(a.max().astype("datetime64[Y]").astype(np.int64)) for a in present) + 1970
    return max(FIRST_YEAR, low), min(LAST_YEAR, high)


def as_days(values: Sequence[date] | Days) -> Days:
    return np.asarray(values, dtype="datetime64[D]")


def working_days_between_bulk(
    calendar: WorkingCalendar, a: Sequence[date] | Days, b: Sequence[date] | Days
) -> Counts:
    """``calendar.working_days_between`` over arrays: working days d with a < d <= b."""
    first, second = as_days(a), as_days(b)
    if first.size == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = _years(first, second)
    one = np.timedelta64(1, "D")
    # numpy counts a backwards span differently from a forward one, so count every span
    # forwards and put the sign back.
    low_day, high_day = np.minimum(first, second), np.maximum(first, second)
    counted = np.busday_count(
        low_day + one, high_day + one, busdaycal=_busdays(calendar, low, high)
    )
    sign = np.where(second < first, -1, 1)
    return np.asarray(counted * sign, dtype=np.int64)


def add_working_days_bulk(calendar: WorkingCalendar, starts: Sequence[date] | Days, n: int) -> Days:
    """``calendar.add_working_days`` over an array of start days, for one ``n``."""
    days = as_days(starts)
    if days.size == 0:
        return days.copy()
    low, high = _years(days)
    cal = _busdays(calendar, low, min(LAST_YEAR, high + n // 200 + 1))
    if n == 0:
        return np.asarray(np.busday_offset(days, 0, roll="forward", busdaycal=cal))
    # numpy rolls a non-working start forward and counts from there, one day too many for
    # the documents' "day 0 is the day it happened".
    late_start = ~np.is_busday(days, busdaycal=cal)
    return np.asarray(np.busday_offset(days, n - late_start, roll="forward", busdaycal=cal))


# --- limits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A stage's or a case's time limit as a number of days."""

    days: int
    calendar_days: bool = False
    advisory: bool = False

    def describe(self) -> str:
        unit = "calendar day" if self.calendar_days else "working day"
        words = f"{self.days} {unit}{'' if self.days == 1 else 's'}"
        if self.days == 0 and not self.calendar_days:
            words = "the same working day"
        return f"{words} (advisory)" if self.advisory else words


def limit_of(duration: Duration, *, advisory: bool = False) -> Limit | None:
    """A limit in days; hours round up to whole days, as the TWSP table counts them."""
    if duration.unit is Unit.NONE:
        return None
    if duration.unit is Unit.CALENDAR_DAYS:
        return Limit(duration.amount, calendar_days=True, advisory=advisory)
    return Limit(duration.working_day_equivalent(), advisory=advisory)


def stage_limit(procedure: Procedure, stage: Stage) -> Limit | None:
    """The stage's own limit, or else the longest chain of its steps' limits."""
    advisory = stage.advisory or procedure.advisory
    own = limit_of(stage.within, advisory=advisory)
    if own is not None:
        return own
    ends: dict[str, int] = {}
    previous = 0
    longest: int | None = None
    any_advisory = advisory
    for step in stage.steps:
        if step.anchor_event:
            start = ends.get(step.anchor_event, 0)
        elif step.anchor is StepAnchor.STAGE_START:
            start = 0
        else:
            start = previous
        limit = limit_of(step.within)
        end = start + (limit.days if limit else 0)
        if limit is not None:
            longest = max(longest or 0, end)
            any_advisory = any_advisory or step.advisory
        ends[step.id] = previous = end
    return None if longest is None else Limit(longest, advisory=any_advisory)


def overall_limit(procedure: Procedure, stage: Stage) -> Limit | None:
    """The limit on a whole case that ended at ``stage``: the procedure's overall limit,
    or the stage's cumulative duration (TWSP Appendix 1's "cumulative" column)."""
    found = limit_of(procedure.overall, advisory=procedure.advisory)
    if found is None and stage.cumulative is not None:
        found = limit_of(stage.cumulative, advisory=procedure.advisory)
    return found


def due_days(calendar: WorkingCalendar, starts: Sequence[date] | Days, limit: Limit) -> Days:
    """The last day within the limit for each start day."""
    days = as_days(starts)
    if limit.calendar_days:
        return days + np.timedelta64(limit.days, "D")
    return add_working_days_bulk(calendar, days, limit.days)


@dataclass(frozen=True)
class Timing:
    """How long one stage (or whole cases) took, against its limit."""

    count: int
    within: int
    late: int
    median_days: float | None
    mean_days: float | None
    limit: Limit | None

    @property
    def share_within(self) -> float | None:
        judged = self.within + self.late
        return None if judged == 0 else self.within / judged


def timing_of(
    calendar: WorkingCalendar,
    spans: Sequence[tuple[date, date, int]],
    limit: Limit | None,
) -> Timing:
    """Summarise spans given as (day entered, day left, how many)."""
    return timing_of_groups(calendar, [(limit, spans)], limit)


def timing_of_groups(
    calendar: WorkingCalendar,
    groups: Sequence[tuple[Limit | None, Sequence[tuple[date, date, int]]]],
    shown_limit: Limit | None,
) -> Timing:
    """As :func:`timing_of`, for spans judged against different limits (one per procedure
    version); ``shown_limit`` is the one the report names."""
    return timing_of_arrays(
        calendar,
        [
            (
                limit,
                as_days([s[0] for s in spans]),
                as_days([s[1] for s in spans]),
                np.asarray([s[2] for s in spans], dtype=np.int64),
            )
            for limit, spans in groups
        ],
        shown_limit,
    )


def timing_of_arrays(
    calendar: WorkingCalendar,
    groups: Sequence[tuple[Limit | None, Days, Days, Counts]],
    shown_limit: Limit | None,
) -> Timing:
    """As :func:`timing_of_groups`, each group given as arrays: the days entered, the days
    left and how many spans each (day entered, day left) pair stands for."""
    taken_parts: list[Counts] = []
    weight_parts: list[Counts] = []
    within = late = 0
    for limit, entered, left, weights in groups:
        if not entered.size:
            continue
        taken_parts.append(working_days_between_bulk(calendar, entered, left))
        weight_parts.append(weights)
        if limit is not None:
            late_here = int(weights[left > due_days(calendar, entered, limit)].sum())
            late += late_here
            within += int(weights.sum()) - late_here
    if not taken_parts:
        return Timing(0, 0, 0, None, None, shown_limit)
    taken, weights = np.concatenate(taken_parts), np.concatenate(weight_parts)
    return Timing(
        int(weights.sum()),
        within,
        late,
        weighted_median(taken, weights),
        _mean(taken, weights),
        shown_limit,
    )


def weighted_median(values: Counts, weights: Counts) -> float | None:
    """The median of ``values`` each repeated ``weights`` times; the mean of the middle two
    for an even count, as statistics.median does."""
    total = int(weights.sum())
    if total == 0:
        return None
    order = np.argsort(values, kind="stable")
    ordered, cumulative = values[order], np.cumsum(weights[order])
    low = ordered[int(np.searchsorted(cumulative, (total - 1) // 2 + 1))]
    high = ordered[int(np.searchsorted(cumulative, total // 2 + 1))]
    return (float(low) + float(high)) / 2


def _mean(values: Counts, weights: Counts) -> float | None:
    total = int(weights.sum())
    return None if total == 0 else float((values * weights).sum()) / total


# --- a case's stages, from its record ---------------------------------------------------

ENTRY_KINDS = frozenset(
    {
        EventKind.RAISED,
        EventKind.ESCALATED,
        EventKind.BYPASSED,
        EventKind.IMMEDIATE_RISK_DECLARED,
    }
)
# A stage ends when the case moves on, is resolved or is withdrawn; "closed" only follows
# a resolution, so it ends nothing.
END_KINDS = frozenset({EventKind.RESOLVED, EventKind.WITHDRAWN})
STAGE_CHANGE_KINDS = ENTRY_KINDS | END_KINDS


def entry_stage(event: Event) -> str:
    """The stage an entry event takes the case to (the event's own stage is where it was)."""
    if event.kind is EventKind.RAISED:
        return event.stage
    return str(event.data["to_stage"])


def is_immediate_entry(event: Event) -> bool:
    if event.kind is EventKind.IMMEDIATE_RISK_DECLARED:
        return True
    return event.kind is EventKind.RAISED and event.data.get("route") == Route.IMMEDIATE_RISK


@dataclass(frozen=True)
class StageSpan:
    stage: str
    entered_at: datetime
    left_at: datetime | None
    left_by: EventKind | None
    immediate: bool = False


def stage_spans(events: Iterable[Event]) -> list[StageSpan]:
    """Each stage a case was at, when it got there and when it left, in order."""
    spans: list[StageSpan] = []
    current: tuple[str, datetime, bool] | None = None
    for event in events:
        if event.kind not in STAGE_CHANGE_KINDS:
            continue
        if current is not None:
            spans.append(StageSpan(current[0], current[1], event.at, event.kind, current[2]))
            current = None
        if event.kind in ENTRY_KINDS:
            current = (entry_stage(event), event.at, is_immediate_entry(event))
    if current is not None:
        spans.append(StageSpan(current[0], current[1], None, None, current[2]))
    return spans


# --- suppression ------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


class Hidden(StrEnum):
    PRIMARY = "primary"  # the count itself is small
    SECONDARY = "secondary"  # hidden so that a small count cannot be worked out from it


def suppress(
    values: Mapping[K, int],
    sums: Iterable[tuple[K, Sequence[K]]],
    threshold: int,
    *,
    keep: Callable[[K], bool] | None = None,
) -> dict[K, Hidden]:
    """Which counts to hide, and why.

    ``sums`` says which published counts add up to which: ``(total, parts)``. Hidden
    counts are those from 1 to ``threshold - 1``; then, while some sum has exactly one
    hidden member (its total or a part), one more of its shown non-zero members is hidden:
    the smallest, passing over those ``keep`` says are worth keeping (headline figures)
    while there is any other.
    """
    hidden: dict[K, Hidden] = {
        key: Hidden.PRIMARY for key, value in values.items() if 0 < value < threshold
    }
    constraints = [(total, tuple(parts)) for total, parts in sums]

    def cost(key: K) -> tuple[bool, int]:
        return (keep is not None and keep(key), values.get(key, 0))

    changed = True
    while changed:
        changed = False
        for total, parts in constraints:
            members = (total, *parts)
            if sum(1 for key in members if key in hidden) != 1:
                continue
            candidates = [key for key in members if key not in hidden and values.get(key, 0) > 0]
            if not candidates:  # pragma: no cover - a hidden count has a shown non-zero sum
                continue
            hidden[min(candidates, key=cost)] = Hidden.SECONDARY
            changed = True
    return hidden


def share_shown(within: int, late: int, threshold: int) -> bool:
    """Whether a share (like "80% within timescale") may be shared: a percentage of a
    known number gives away the small count behind it, so both must be 0 or not small."""
    return all(n == 0 or n >= threshold for n in (within, late))


def hidden_words(reason: Hidden | None, threshold: int, *, short: bool = False) -> str:
    if reason is Hidden.PRIMARY:
        return f"<{threshold}" if short else f"fewer than {threshold}"
    if reason is Hidden.SECONDARY:
        return "[c]" if short else "not shown"
    return ""


# --- procedure change, tested on the past -----------------------------------------------


@dataclass(frozen=True)
class PastCase:
    """A concluded case's record and the procedure version it ran under."""

    procedure: Procedure
    events: tuple[Event, ...]


@dataclass(frozen=True)
class StageComparison:
    stage: str
    name: str
    number: int
    reached: int  # cases compared that reached this stage
    overdue_before: int
    overdue_after: int | None  # None: the stage is not in the proposed version


@dataclass(frozen=True)
class WhatIf:
    cases: int  # concluded cases looked at
    compared: int  # of those, cases every stage of which is in the proposed version
    overdue_before: int  # compared cases overdue at any stage, as things were
    overdue_after: int  # ... and under the proposed version
    stages: tuple[StageComparison, ...]
    missing_stages: tuple[str, ...]  # stages cases reached that the proposal does not have
    missing_cases: int
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Visit:
    stage: str
    entered_at: datetime
    left_at: datetime
    completed: tuple[tuple[str, datetime], ...]
    agreed: bool
    immediate: bool


def _visits(events: Sequence[Event], procedure: Procedure) -> list[_Visit]:
    """Replay a record, noting each stage as it was when the case left it."""
    visits: list[_Visit] = []
    state: engine.CaseState | None = None
    leaving = {
        EventKind.ESCALATED,
        EventKind.BYPASSED,
        EventKind.IMMEDIATE_RISK_DECLARED,
        EventKind.WITHDRAWN,
    }

    def note(case: engine.CaseState, left_at: datetime) -> None:
        immediate = case.route is Route.IMMEDIATE_RISK and case.immediate_stage == case.stage
        visits.append(
            _Visit(
                case.stage, case.stage_entered_at, left_at, case.completed, case.agreed, immediate
            )
        )

    for event in events:
        if state is not None and state.is_open and event.kind in leaving:
            note(state, event.at)
        state = engine.apply(state, event, procedure)
        if event.kind is EventKind.RESOLVED:
            note(state, event.at)
    return visits


def _overdue_at(
    procedure: Procedure, calendar: WorkingCalendar, track_id: str, visit: _Visit
) -> bool:
    """Whether a binding deadline of the stage passed before it was met or the case left."""
    stage = procedure.track(track_id).stage(visit.stage)
    deadlines = planner.stage_plan(
        procedure,
        calendar,
        stage,
        visit.entered_at,
        completed=dict(visit.completed),
        agreed=visit.agreed,
        immediate=visit.immediate,
    )
    return any(not d.advisory and (d.met_at or visit.left_at) > d.due for d in deadlines)


def _track_of(events: Sequence[Event], procedure: Procedure) -> str:
    raised = events[0]
    return str(raised.data.get("track") or procedure.track().id)


def what_if(
    cases: Iterable[PastCase],
    proposed: Procedure,
    *,
    calendar_before: WorkingCalendar,
    calendar_after: WorkingCalendar,
) -> WhatIf:
    """Re-run concluded cases under a proposed version: at which stages each would have
    been overdue, before and after. A case is compared only if every stage it reached is
    in the proposal (stage ids must match); the stages that are not are listed."""
    reached: dict[str, int] = defaultdict(int)
    before: dict[str, int] = defaultdict(int)
    after: dict[str, int] = defaultdict(int)
    names: dict[str, tuple[int, str]] = {}
    missing: dict[str, int] = defaultdict(int)
    total = compared = late_before = late_after = missing_cases = 0
    for case in cases:
        events = case.events
        if not events:
            continue
        total += 1
        track_id = _track_of(events, case.procedure)
        visits = _visits(events, case.procedure)
        try:
            proposed_track = proposed.track(track_id)
        except KeyError:
            proposed_track = None
        absent = sorted(
            {v.stage for v in visits}
            - ({s.id for s in proposed_track.stages} if proposed_track else set())
        )
        if absent:
            missing_cases += 1
            for stage_id in absent:
                missing[stage_id] += 1
            continue
        compared += 1
        track = case.procedure.track(track_id)
        was_late = will_be_late = False
        for visit in visits:
            stage = track.stage(visit.stage)
            names.setdefault(visit.stage, (stage.number, stage.name))
            reached[visit.stage] += 1
            if _overdue_at(case.procedure, calendar_before, track_id, visit):
                before[visit.stage] += 1
                was_late = True
        for visit in _visits(events, proposed):
            if _overdue_at(proposed, calendar_after, track_id, visit):
                after[visit.stage] += 1
                will_be_late = True
        late_before += was_late
        late_after += will_be_late
    stages = tuple(
        StageComparison(
            stage_id,
            names[stage_id][1],
            names[stage_id][0],
            reached[stage_id],
            before[stage_id],
            after[stage_id],
        )
        for stage_id in sorted(names, key=lambda s: (names[s][0], s))
    )
    gone = tuple(
        StageComparison(stage_id, stage_id, 0, count, 0, None)
        for stage_id, count in sorted(missing.items())
        if stage_id not in names
    )
    return WhatIf(
        cases=total,
        compared=compared,
        overdue_before=late_before,
        overdue_after=late_after,
        stages=stages + gone,
        missing_stages=tuple(sorted(missing)),
        missing_cases=missing_cases,
    )


def stage_words(procedure: Procedure, stage_id: str) -> str:
    """ "Stage 2: Line or team managers", or the id of a stage the procedure does not have."""
    for track in procedure.tracks:
        for stage in track.stages:
            if stage.id == stage_id:
                return f"Stage {stage.number}: {stage.name}"
    return stage_id


def stages_in_order(procedures: Iterable[Procedure]) -> list[tuple[str, int, str]]:
    """Every stage of these versions as (id, number, name), numbered order, first wins."""
    found: dict[str, tuple[int, str]] = {}
    for procedure in procedures:
        for track in procedure.tracks:
            for stage in track.stages:
                found.setdefault(stage.id, (stage.number, stage.name))
    return sorted(((k, n, name) for k, (n, name) in found.items()), key=lambda s: (s[1], s[0]))


def find_stage(procedures: Iterable[Procedure], stage_id: str) -> tuple[Procedure, Stage] | None:
    for procedure in procedures:
        for track in procedure.tracks:
            for stage in track.stages:
                if stage.id == stage_id:
                    return procedure, stage
    return None
