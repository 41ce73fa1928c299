"""Dates and times as GOV.UK writes them: "5pm on Tuesday 22 December 2026".

Names are written out here rather than taken from ``strftime("%A")`` or ``("%B")``, so the
words never depend on the process's locale.
"""

from __future__ import annotations

from datetime import date, datetime, time

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def clock(moment: time | datetime) -> str:
    """ "3pm", "5:30pm", "midday", "midnight"."""
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def long_date(day: date | None, *, weekday: bool = False) -> str:
    """ "22 December 2026", or "Tuesday 22 December 2026"; empty for no date."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    words = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {words}" if weekday else words


def moment_words(moment: datetime) -> str:
    """ "5pm on Tuesday 22 December 2026", in the moment's own time zone."""
    return f"{clock(moment)} on {long_date(moment, weekday=True)}"


def in_sentence(text: str) -> str:
    """A title or label put inside a sentence: its first letter small, every other left
    as written, so names keep their capitals ("refer in writing on the TWSP Resolution
    and Escalation Form"). A first word in capitals ("TWSP Executive") stays as it is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
