"""Working days, bank holidays and deadlines for UK safeguarding procedures.

Pure core: no Django, no clock, no environment. "Now" is always an argument.
Bank holidays come from the ``holidays`` package, never from a hand-typed list, and are
named as GOV.UK names them (``parley.core.holiday_names``).
"""

from __future__ import annotations

import dataclasses
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import numpy as np
import numpy.typing as npt

from parley.core.holiday_names import govuk_holidays
from parley.core.words import MONTHS, WEEKDAYS, clock, long_date

FIRST_YEAR = 2000
LAST_YEAR = 2100

# Wales is deliberately folded into "ENG": in holidays 0.109 the "WLS" subdivision yields exactly
# the same dates and names as "ENG" for 2000-2100 (a test guards this in case the package changes).
REGIONS: Mapping[str, str] = {
    "england-and-wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}

Kind = Literal["weekend", "bank holiday", "closure day"]

_DAY = timedelta(days=1)
# The kinds of skipped day a sentence names, with the verb phrase for one day and for several.
_NAMED_KINDS: tuple[tuple[Kind, str, str], ...] = (
    ("bank holiday", "is a bank holiday", "are bank holidays"),
    ("closure day", "is a partnership closure day", "are partnership closure days"),
)


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str
    kind: Kind


@dataclass(frozen=True)
class Explanation:
    """How a deadline was reached, in a form a practitioner can check by hand."""

    start: date | datetime
    rule: str
    result: date | datetime
    skipped: tuple[SkippedDay, ...]
    connective: str = "from"
    note: str = ""
    # What the clock ran from, where it is not the moment itself: "the end of the
    # conference on Tuesday 1 December".
    start_words: str = ""

    def sentence(self) -> str:
        """Plain English; weekends are understood, so only holidays and closures are named."""
        rule = self.rule[:1].upper() + self.rule[1:]
        opening = f"{rule} {self.connective} {self.start_words or _describe(self.start)}"
        clauses = [self.note] if self.note else []
        for kind, one, many in _NAMED_KINDS:
            days = [s.day for s in self.skipped if s.kind == kind]
            if days:
                verb = one if len(days) == 1 else many
                clauses.append(f"{_list_days(days, self.start.year)} {verb}")
        return opening + (": " + "; ".join(clauses) if clauses else "") + "."


class _Closures(Mapping[date, str]):
    """Immutable and hashable, so that a calendar stays a frozen value usable as a cache key."""

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[date, str]) -> None:
        for day, name in days.items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"Closure days must be dates, not {day!r}.")
            if not isinstance(name, str):
                raise TypeError(f"The name of the closure on {day} must be text, not {name!r}.")
        self._days = dict(sorted(days.items()))

    def __getitem__(self, key: date) -> str:
        return self._days[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def __hash__(self) -> int:
        return hash(tuple(self._days.items()))

    def __repr__(self) -> str:
        return repr(self._days)


@dataclass(frozen=True)
class _Year:
    closed: dict[date, tuple[str, Kind]]
    working: list[int]  # ordinals of the year's working days, ascending, for bisecting


@dataclass(frozen=True)
class _Ranks:
    """The working days of a run of years, numbered, for the bulk arithmetic."""

    origin: int  # the first day of the table, in days since 1 January 1970
    working: npt.NDArray[np.datetime64]  # every working day in the table, in order
    on_or_before: npt.NDArray[np.int64]  # for each day: the number of the last working day
    on_or_after: npt.NDArray[np.int64]  # and of the next working day (itself if working)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days for one UK region plus a partnership's own closure days.

    ``WorkingCalendar(region="scotland", closures={date(2026, 12, 24): "Office closure"})``
    """

    region: str = "england-and-wales"
    closures: Mapping[date, str] = field(default_factory=dict)
    end_of_day: time = time(17, 0)
    timezone: str = "Europe/London"
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _years: dict[int, _Year] = field(default_factory=dict, init=False, repr=False, compare=False)
    _bulk: dict[tuple[int, int], np.busdaycalendar] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _ranks: dict[tuple[int, int], _Ranks] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(
                f"Unknown region {self.region!r}. "
                f"The region must be one of: {', '.join(sorted(REGIONS))}."
            )
        if not isinstance(self.end_of_day, time) or self.end_of_day.tzinfo is not None:
            raise ValueError("end_of_day must be a plain local time such as time(17, 0).")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown timezone {self.timezone!r}.") from None
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "closures", _Closures(self.closures))

    def with_closures(self, extra: Mapping[date, str]) -> WorkingCalendar:
        """A new calendar with more closure days; an existing date takes the new name."""
        return dataclasses.replace(self, closures={**self.closures, **extra})

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return _day(d) not in self._year(d.year).closed

    def why_not_working(self, d: date) -> str | None:
        """Why ``d`` is not a working day, e.g. "Christmas Day (bank holiday)"; None if it is."""
        found = self._year(_day(d).year).closed.get(d)
        return None if found is None else found[0]

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self._nth_after(_day(d), 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        year, target = _day(d).year, d.toordinal()
        while True:
            days = self._year(year).working
            i = bisect_left(days, target)
            if i:
                return date.fromordinal(days[i - 1])
            year -= 1

    def add_working_days(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start``.

        This is what safeguarding procedures mean by "within 5 working days of X": the day of
        the event is day 0 and the result is the n-th working day strictly after it. Whether
        ``start`` is itself a working day does not matter. ``n == 0`` gives ``start`` if it is a
        working day, otherwise the next working day.
        """
        _check_count(n, "working days")
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        return self._nth_after(_day(start), n)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b, negated when b < a.

        So ``working_days_between(a, add_working_days(a, n)) == n`` for every n >= 1.
        """
        if b < a:
            return -self.working_days_between(b, a)
        total = 0
        for year in range(_day(a).year, _day(b).year + 1):
            days = self._year(year).working
            low = bisect_right(days, a.toordinal()) if year == a.year else 0
            high = bisect_right(days, b.toordinal()) if year == b.year else len(days)
            total += high - low
        return total

    # --- moments ------------------------------------------------------------------------------

    def end_of_working_day(self, d: date) -> datetime:
        return datetime.combine(_day(d), self.end_of_day, tzinfo=self._zone)

    def same_working_day(self, moment: datetime) -> datetime:
        """The deadline for "escalate on the same working day".

        Before end_of_day on a working day: that day at end_of_day. At or after it, or on a
        non-working day: the next working day at end_of_day. Aware, in the calendar's zone.
        """
        local = self._local(moment)
        day = local.date()
        if not self._within_working_day(local):
            day = self.next_working_day(day)
        return self.end_of_working_day(day)

    def add_hours(self, moment: datetime, hours: int) -> datetime:
        """``moment`` plus ``hours`` of a clock that runs only on working days.

        The clock runs midnight to midnight on working days and stops on the others; a moment
        on a non-working day starts the clock at 00:00 of the next working day. Running out
        exactly at midnight gives 00:00 of the following calendar day (Saturday 10:00 + 24h is
        Tuesday 00:00). Arithmetic is on the local wall clock, one working day = 24 nominal
        hours, so "24 hours from Thursday 15:00" always ends at 15:00 on the wall. UK clock
        changes fall on Sundays, so in Europe/London this also equals elapsed time; it only
        differs in zones whose transitions land on a working day.
        """
        _check_count(hours, "hours")
        local = self._local(moment)
        day = local.date()
        elapsed = local.replace(tzinfo=None) - datetime.combine(day, time())
        if not self.is_working_day(day):
            day, elapsed = self.next_working_day(day), timedelta(0)
        remaining = timedelta(hours=hours)
        while elapsed + remaining > _DAY:
            remaining -= _DAY - elapsed
            day, elapsed = self.next_working_day(day), timedelta(0)
        wall = datetime.combine(day, time()) + elapsed + remaining
        return wall.replace(tzinfo=self._zone)

    # --- explanations -----------------------------------------------------------------------

    def explain_add_working_days(self, start: date, n: int) -> Explanation:
        result = self.add_working_days(start, n)
        return Explanation(
            start=start,
            rule=_plural(n, "working day"),
            result=result,
            skipped=self._skipped(start + _DAY, result),
        )

    def explain_add_hours(self, moment: datetime, hours: int) -> Explanation:
        result = self.add_hours(moment, hours)
        local = self._local(moment)
        return Explanation(
            start=local,
            rule=_plural(hours, "hour"),
            result=result,
            skipped=self._skipped(local.date(), result.date()),
        )

    def explain_hours_limit(self, moment: datetime, hours: int) -> Explanation:
        """A limit in hours, which ends when people work: the hours of :meth:`add_hours`,
        but where they run out after the working day has closed, or at midnight (the clock
        ran to the end of a working day), the limit ends at the close of that working day.
        "24 hours" entered on a Sunday is by 5pm on Monday, never "midnight on Tuesday";
        from 6pm on Monday it is by 5pm on Tuesday, as if the clock had started when the
        next working day did. Parley's choice: no procedure says when an hour limit ends
        outside working hours, and nobody is there to act then."""
        explanation = self.explain_add_hours(moment, hours)
        result = explanation.result
        assert isinstance(result, datetime)
        local = self._local(result)
        ends = clock(self.end_of_day)
        if local.time() == time(0):
            day = self.previous_working_day(local.date())
            why = f"the hours run to the end of that working day, which closes at {ends}"
        elif self.is_working_day(local.date()) and local.time() > self.end_of_day:
            day = local.date()
            why = f"the hours run out after {ends}, when the working day has closed"
        else:
            return explanation
        return dataclasses.replace(explanation, result=self.end_of_working_day(day), note=why)

    def explain_same_working_day(self, moment: datetime) -> Explanation:
        result = self.same_working_day(moment)
        local = self._local(moment)
        working = self.is_working_day(local.date())
        late = working and not self._within_working_day(local)
        ends = clock(self.end_of_day)
        note = ""
        if late:
            note = f"that is after {ends}, so the deadline is the next working day"
        elif not working:
            # Without this a deadline on Monday reads as "same working day as ... Sunday".
            note = (
                f"{WEEKDAYS[local.weekday()]} is not a working day, so the deadline is the "
                f"end of the next working day, {long_date(result, weekday=True)}"
            )
        return Explanation(
            start=local,
            rule=f"same working day (ends {ends})",
            result=result,
            skipped=self._skipped(local.date(), result.date()),
            connective="as",
            note=note,
        )

    # --- bulk -------------------------------------------------------------------------------

    def add_working_days_bulk(
        self,
        starts: Sequence[date] | npt.NDArray[np.datetime64],
        n: int | Sequence[int] | npt.NDArray[np.integer[Any]],
    ) -> npt.NDArray[np.datetime64]:
        """``add_working_days`` over arrays, for recomputing many deadlines after a change."""
        days = np.asarray(starts, dtype="datetime64[D]")
        offsets = np.asarray(n, dtype=np.int64)
        fewest = int(offsets.min()) if offsets.size else 1
        if fewest < 0:
            raise ValueError("The number of working days to add cannot be negative.")
        if days.size == 0:
            return days.copy()
        # The years spanned, from the earliest and latest day alone (converting every day
        # to its year would cost as much as the arithmetic).
        first, last = (int(d.astype("datetime64[Y]").astype(np.int64)) + 1970
                       for d in (days.min(), days.max()))  # fmt: skip
        _check_year(first)
        _check_year(last)
        # Every year has well over 200 working days, so this always covers the results.
        needed = last + int(offsets.max(initial=0)) // 200 + 1
        ranks = self._rank_table(first, min(LAST_YEAR, needed))
        at = days.astype(np.int64) - ranks.origin
        # "Day 0 is the event": n >= 1 working days after a day is the n-th working day
        # after the last working day on or before it (numpy's backward roll); n == 0 is
        # the day itself if it is a working day, else the next one.
        index = ranks.on_or_before[at] + offsets
        if fewest == 0:
            index = np.where(offsets == 0, ranks.on_or_after[at], index)
        if index.max() >= ranks.working.size:
            _check_year(LAST_YEAR + 1)  # beyond the calendar: refused, as one at a time
        result: npt.NDArray[np.datetime64] = ranks.working[index]
        return result

    # --- internals --------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._build_year(year)
        return found

    def _build_year(self, year: int) -> _Year:
        _check_year(year)
        bank = _bank_holidays(REGIONS[self.region], year)
        closed: dict[date, tuple[str, Kind]] = {}
        working: list[int] = []
        for ordinal in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
            d = date.fromordinal(ordinal)
            # A weekend wins over a holiday falling on it: that holiday's substitute is the
            # day worth naming, and a "Saturday" needs no explaining.
            if d.weekday() >= 5:
                closed[d] = (WEEKDAYS[d.weekday()], "weekend")
            elif d in bank:
                closed[d] = (_bank_holiday_reason(bank[d], d), "bank holiday")
            elif d in self.closures:
                name = self.closures[d]
                reason = f"{name} (partnership closure day)" if name else "Partnership closure day"
                closed[d] = (reason, "closure day")
            else:
                working.append(ordinal)
        return _Year(closed, working)

    def _nth_after(self, start: date, n: int) -> date:
        year, target = start.year, start.toordinal()
        while True:
            days = self._year(year).working
            after = bisect_right(days, target)
            if after + n - 1 < len(days):
                return date.fromordinal(days[after + n - 1])
            n -= len(days) - after
            year += 1

    def _skipped(self, first: date, stop: date) -> tuple[SkippedDay, ...]:
        """Non-working days in [first, stop)."""
        skipped = []
        day = first
        while day < stop:
            found = self._year(day.year).closed.get(day)
            if found is not None:
                skipped.append(SkippedDay(day, *found))
            day += _DAY
        return tuple(skipped)

    def _rank_table(self, first: int, last: int) -> _Ranks:
        """Every working day from 1 January ``first`` to 31 December ``last``, numbered, and
        for each day of those years the number of the working day on or before it and on
        or after it: adding working days is then two lookups an element."""
        found = self._ranks.get((first, last))
        if found is None:
            days = np.arange(
                np.datetime64(f"{first}-01-01", "D"), np.datetime64(f"{last + 1}-01-01", "D")
            )
            working = np.is_busday(days, busdaycal=self._busdaycalendar(first, last))
            counted = np.cumsum(working)
            found = self._ranks[(first, last)] = _Ranks(
                origin=int(days[0].astype(np.int64)),
                working=days[working],
                # -1 before the first working day: "the n-th working day after" still
                # lands on the right one.
                on_or_before=counted - 1,
                on_or_after=counted - working,
            )
        return found

    def _busdaycalendar(self, first: int, last: int) -> np.busdaycalendar:
        found = self._bulk.get((first, last))
        if found is None:
            closed = [
                d
                for year in range(first, last + 1)
                for d, (_, kind) in self._year(year).closed.items()
                if kind != "weekend"
            ]
            found = np.busdaycalendar(
                weekmask="1111100", holidays=np.array(closed, "datetime64[D]")
            )
            self._bulk[(first, last)] = found
        return found

    def _local(self, moment: datetime) -> datetime:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ValueError(
                f"A timezone-aware datetime is needed, not {moment!r}: without a timezone "
                "the deadline could be an hour out."
            )
        return moment.astimezone(self._zone)

    def _within_working_day(self, local: datetime) -> bool:
        return self.is_working_day(local.date()) and local.time() < self.end_of_day


@cache
def _bank_holidays(subdivision: str, year: int) -> Mapping[date, str]:
    found = holidays.country_holidays("GB", subdiv=subdivision, years=year, language="en_GB")
    return dict(found.items())


def _bank_holiday_reason(name: str, day: date) -> str:
    """The day's holidays by GOV.UK's names (parley.core.holiday_names): "Early May bank
    holiday", "Christmas Day (bank holiday)", "Boxing Day (substitute day)"."""
    parts = []
    for holiday in govuk_holidays(name, day):
        # A name that says what it is already ("... bank holiday", "... (Orangemen's Day)")
        # is not told again.
        if holiday.substitute or "bank holiday" in holiday.name.lower() or ")" in holiday.name:
            parts.append(str(holiday))
        else:
            parts.append(f"{holiday.name} (bank holiday)")
    return " and ".join(parts)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"The working calendar covers {FIRST_YEAR} to {LAST_YEAR}; {year} is outside it."
        )


def _check_count(n: int, unit: str) -> None:
    if n < 0:
        raise ValueError(f"The number of {unit} to add cannot be negative (got {n}).")


def _day(d: date) -> date:
    # A datetime is a date to Python but never equal to one, so it would silently look working.
    if isinstance(d, datetime):
        raise TypeError(f"A date is needed, not the datetime {d!r}.")
    return d


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _describe(start: date | datetime) -> str:
    if isinstance(start, datetime):
        return f"{clock(start)} on {long_date(start, weekday=True)}"
    return long_date(start, weekday=True)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _list_days(days: Iterable[date], reference_year: int) -> str:
    """ "25 and 28 December and 1 January 2027": the year only where it differs."""
    groups = []
    for (year, month), in_month in itertools.groupby(days, key=lambda d: (d.year, d.month)):
        label = f"{_and([str(d.day) for d in in_month])} {MONTHS[month - 1]}"
        groups.append(label if year == reference_year else f"{label} {year}")
    return _and(groups)
