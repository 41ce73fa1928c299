"""Time limits as the procedure documents write them.

A limit is written in a procedure file the way the documents say it:
``"2 working days"``, ``"a working week"``, ``"24 hours"``, ``"same working day"``,
``"none"``. Parsing keeps the original words so a deadline can quote its rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_WORKING_DAY = "same_working_day"
    NONE = "none"


WORKING_DAYS_IN_A_WEEK = 5

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}

_AMOUNT = r"(?P<n>-?\d+(?:\.\d+)?|[a-z]+)"
_PATTERNS: tuple[tuple[re.Pattern[str], Unit, int], ...] = (
    (re.compile(rf"^{_AMOUNT} working days?$"), Unit.WORKING_DAYS, 1),
    (re.compile(rf"^{_AMOUNT} working weeks?$"), Unit.WORKING_DAYS, WORKING_DAYS_IN_A_WEEK),
    (re.compile(rf"^{_AMOUNT} hours?$"), Unit.HOURS, 1),
    (re.compile(rf"^{_AMOUNT} calendar days?$"), Unit.CALENDAR_DAYS, 1),
)

EXAMPLES = '"5 working days", "a working week", "24 hours", "same working day" or "none"'


class DurationError(ValueError):
    """A limit that cannot be read; the message is plain English for the file's author."""


@dataclass(frozen=True)
class Duration:
    unit: Unit
    amount: int = 0
    text: str = ""

    @property
    def is_limited(self) -> bool:
        return self.unit is not Unit.NONE

    def working_day_equivalent(self) -> int:
        """How many working days this limit counts for when limits are added up.

        The TWSP table counts its "within 24 hours" step as one day of the stage's
        three (Appendix 1, stage 3), so hours round up to whole days of 24 hours.
        "Same working day" counts as no extra day.
        """
        if self.unit is Unit.WORKING_DAYS:
            return self.amount
        if self.unit is Unit.HOURS:
            return -(-self.amount // 24)
        if self.unit is Unit.CALENDAR_DAYS:
            return self.amount
        return 0

    def describe(self) -> str:
        if self.unit is Unit.NONE:
            return "no fixed timescale"
        if self.unit is Unit.SAME_WORKING_DAY:
            return "the same working day"
        noun = {
            Unit.WORKING_DAYS: "working day",
            Unit.HOURS: "hour",
            Unit.CALENDAR_DAYS: "calendar day",
        }[self.unit]
        return f"{self.amount} {noun}{'' if self.amount == 1 else 's'}"

    def __str__(self) -> str:
        return self.text or self.describe()


NO_LIMIT = Duration(Unit.NONE, 0, "none")
SAME_WORKING_DAY = Duration(Unit.SAME_WORKING_DAY, 0, "same working day")


def working_days(n: int) -> Duration:
    return Duration(Unit.WORKING_DAYS, n, f"{n} working day{'' if n == 1 else 's'}")


def parse_duration(value: object) -> Duration:
    """Read a limit as written in a procedure file, or say plainly what is wrong."""
    if isinstance(value, bool) or value is None:
        raise DurationError(f"a time limit is needed here, such as {EXAMPLES}")
    if isinstance(value, int | float):
        raise DurationError(_bare_number(value))
    if not isinstance(value, str):
        raise DurationError(f"a time limit must be written as words, such as {EXAMPLES}")
    text = " ".join(value.strip().lower().split())
    if text in {"none", "no limit", "no fixed timescale"}:
        return Duration(Unit.NONE, 0, value.strip())
    if text in {"same working day", "the same working day", "same day"}:
        return Duration(Unit.SAME_WORKING_DAY, 0, value.strip())
    equivalence = re.fullmatch(r"(.+?) ?\((.+)\)", text)
    if equivalence is not None:
        return _with_equivalent(value.strip(), equivalence[1], equivalence[2])
    for pattern, unit, multiplier in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        amount = _read_amount(match.group("n"), value)
        return Duration(unit, amount * multiplier, value.strip())
    if re.match(rf"^{_AMOUNT} days?$", text):
        raise DurationError(
            f'"{value}" does not say which days count: write "working days" '
            '(weekends and bank holidays do not count) or "calendar days"'
        )
    raise DurationError(f'"{value}" is not a time limit Parley understands; use {EXAMPLES}')


def _with_equivalent(original: str, said: str, meant: str) -> Duration:
    """ "48 hours (two working days)": the document's words, and in brackets the working
    days they stand for; the limit is the working days, ending at the close of the last."""
    days = parse_duration(meant)
    if days.unit is not Unit.WORKING_DAYS:
        raise DurationError(
            f'"{original}": what is in brackets should be the working days it means, such as '
            '"48 hours (two working days)"'
        )
    hours = parse_duration(said)
    if hours.unit is not Unit.HOURS or hours.amount != days.amount * 24:
        raise DurationError(
            f'"{original}": "{meant}" in brackets should be the same time as "{said}", '
            "at 24 hours to a working day"
        )
    return Duration(Unit.WORKING_DAYS, days.amount, original)


def _bare_number(value: float) -> str:
    """Why a number with no unit is refused, suggesting only a limit Parley would accept."""
    if not math.isfinite(value):
        return f"a time limit must be written as words, such as {EXAMPLES}"
    if value < 0:
        return f"{value!r} is negative: a time limit cannot be less than 0"
    if value != int(value):
        whole = math.ceil(value)
        return (
            f"{value!r} has no unit and is not a whole number: write whole days or hours "
            f'with a unit, such as "{whole} working days" or "{whole} hours"'
        )
    return (
        f"{value!r} has no unit: write it with one, such as "
        f'"{int(value)} working days" or "{int(value)} hours"'
    )


def _read_amount(raw: str, original: str) -> int:
    if raw in _NUMBER_WORDS:
        return _NUMBER_WORDS[raw]
    if re.fullmatch(r"-?\d+", raw):
        amount = int(raw)
        if amount < 0:
            raise DurationError(f'"{original}" is negative: a time limit cannot be less than 0')
        return amount
    if re.fullmatch(r"-?\d+\.\d+", raw):
        raise DurationError(f'"{original}" is not a whole number: use whole days or hours')
    raise DurationError(f'"{original}": "{raw}" is not a number')
