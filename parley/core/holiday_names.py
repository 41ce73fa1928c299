"""Bank holidays by the names GOV.UK gives them (www.gov.uk/bank-holidays).

The ``holidays`` package gives the dates, and names of its own: "May Day", "Late Summer
Bank Holiday", "New Year Holiday" (Scotland's 2 January), "Saint Andrew's Day". People
know GOV.UK's: "Early May bank holiday", "Summer bank holiday", "2nd January",
"St Andrew's Day". This is the one place that turns the first into the second, for
England and Wales, Scotland and Northern Ireland alike. Pure: no Django, no clock.

A day the package marks "(observed)" is GOV.UK's "substitute day" for that holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The package's name (language "en_GB", as parley.core.calendar asks for it) -> GOV.UK's.
GOVUK_NAMES: dict[str, str] = {
    "New Year's Day": "New Year's Day",
    "New Year Holiday": "2nd January",  # Scotland
    "Good Friday": "Good Friday",
    "Easter Monday": "Easter Monday",  # not in Scotland
    "May Day": "Early May bank holiday",
    "Spring Bank Holiday": "Spring bank holiday",
    "Late Summer Bank Holiday": "Summer bank holiday",  # England, Wales, Northern Ireland
    "Summer Bank Holiday": "Summer bank holiday",  # Scotland, the first Monday of August
    "Saint Andrew's Day": "St Andrew's Day",  # Scotland
    "Saint Patrick's Day": "St Patrick's Day",  # Northern Ireland
    "Battle of the Boyne": "Battle of the Boyne (Orangemen's Day)",  # Northern Ireland
    "Christmas Day": "Christmas Day",
    "Boxing Day": "Boxing Day",
    # Bank holidays proclaimed for one year only.
    "Diamond Jubilee of Elizabeth II": "Queen's Diamond Jubilee",
    "Platinum Jubilee of Elizabeth II": "Platinum Jubilee bank holiday",
    "State Funeral of Queen Elizabeth II": (
        "Bank Holiday for the State Funeral of Queen Elizabeth II"
    ),
    "Coronation of Charles III": "Bank holiday for the coronation of King Charles III",
}
# A holiday moved for one year keeps the package's name but GOV.UK says why.
GOVUK_NAMES_ON: dict[date, str] = {
    date(2020, 5, 8): "Early May bank holiday (VE day)",  # moved from 4 May for VE Day's 75th
}
_OBSERVED = " (observed)"
_SEPARATOR = "; "


@dataclass(frozen=True)
class BankHoliday:
    """One holiday a day is, as GOV.UK names it; ``substitute``: the day it moved to
    because it fell at a weekend (GOV.UK's "Substitute day")."""

    name: str
    substitute: bool = False

    def __str__(self) -> str:
        return f"{self.name} (substitute day)" if self.substitute else self.name


def govuk_name(name: str) -> str:
    """GOV.UK's name for one holiday the package names ``name`` (without "(observed)");
    a name the table does not know is kept as it is."""
    return GOVUK_NAMES.get(name, name)


def govuk_holidays(package_name: str, day: date) -> tuple[BankHoliday, ...]:
    """The holidays ``day`` is, by GOV.UK's names, from the package's name for it.

    The package joins holidays that fall on one day with "; ". One such day has another
    reading on GOV.UK: in Scotland, when 1 January is a Sunday, the package calls Monday
    2 January both "New Year Holiday" and "New Year's Day (observed)"; GOV.UK calls it
    New Year's Day's substitute day, and 2nd January moves to the Tuesday (which the
    package calls "New Year Holiday (observed)").
    """
    parts = package_name.split(_SEPARATOR)
    found: list[BankHoliday] = []
    for part in parts:
        base, observed, _ = part.partition(_OBSERVED)
        if base == "New Year Holiday" and not observed and f"New Year's Day{_OBSERVED}" in parts:
            continue
        name = GOVUK_NAMES_ON.get(day) or govuk_name(base)
        found.append(BankHoliday(name, substitute=bool(observed)))
    return tuple(found)
