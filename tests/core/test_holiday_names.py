"""Bank holidays named as GOV.UK names them, for every working day of 2012-2027 in all
three divisions.

GOV.UK's list is written out here from its own rules (www.gov.uk/bank-holidays: which
Monday, which substitute day, the one-off holidays), independently of the ``holidays``
package, and each weekday's reason in Parley's calendar is compared with it: the dates
must agree and the names must be GOV.UK's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.easter import easter

from parley.core.calendar import WorkingCalendar
from parley.core.holiday_names import BankHoliday, govuk_holidays

YEARS = range(2012, 2028)
MONDAY, SATURDAY = 0, 5

# Proclaimed for one year (GOV.UK's titles); 2020's early May holiday moved to VE Day.
ONE_OFF = {
    date(2012, 6, 5): "Queen's Diamond Jubilee",
    date(2022, 6, 3): "Platinum Jubilee bank holiday",
    date(2022, 9, 19): "Bank Holiday for the State Funeral of Queen Elizabeth II",
    date(2023, 5, 8): "Bank holiday for the coronation of King Charles III",
}
# The Spring bank holiday moved to make a long weekend with a jubilee.
SPRING_MOVED = {2012: date(2012, 6, 4), 2022: date(2022, 6, 2)}
# In the package only, and so not checked against GOV.UK: Scotland's 2026 holiday for
# the World Cup final, kept under the package's name.
PACKAGE_ONLY = {("scotland", date(2026, 6, 15))}


def nth_monday(year: int, month: int, last: bool = False) -> date:
    days = [date(year, month, d) for d in range(1, 32) if _valid(year, month, d)]
    mondays = [d for d in days if d.weekday() == MONDAY]
    return mondays[-1] if last else mondays[0]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def next_free(day: date, taken: set[date]) -> date:
    while day.weekday() >= SATURDAY or day in taken:
        day += timedelta(days=1)
    return day


def fixed(holidays: dict[date, str], day: date, name: str, said: str = " (bank holiday)") -> None:
    """A holiday on a fixed date: at a weekend (or on another holiday's substitute day),
    the next free weekday is its substitute day."""
    if day.weekday() < SATURDAY and day not in holidays:
        holidays[day] = name + said
    else:
        holidays[next_free(day, set(holidays))] = f"{name} (substitute day)"


def govuk(division: str, year: int) -> dict[date, str]:
    """GOV.UK's list for one division and year: date -> the reason Parley should give."""
    days: dict[date, str] = {}
    fixed(days, date(year, 1, 1), "New Year's Day")
    if division == "scotland":
        fixed(days, date(year, 1, 2), "2nd January")
    if division == "northern-ireland":
        fixed(days, date(year, 3, 17), "St Patrick's Day")
    days[easter(year) - timedelta(days=2)] = "Good Friday (bank holiday)"
    if division != "scotland":
        days[easter(year) + timedelta(days=1)] = "Easter Monday (bank holiday)"
    if year == 2020:
        days[date(2020, 5, 8)] = "Early May bank holiday (VE day)"
    else:
        days[nth_monday(year, 5)] = "Early May bank holiday"
    days[SPRING_MOVED.get(year) or nth_monday(year, 5, last=True)] = "Spring bank holiday"
    if division == "northern-ireland":
        fixed(days, date(year, 7, 12), "Battle of the Boyne (Orangemen's Day)", said="")
    summer = nth_monday(year, 8) if division == "scotland" else nth_monday(year, 8, last=True)
    days[summer] = "Summer bank holiday"
    if division == "scotland":
        fixed(days, date(year, 11, 30), "St Andrew's Day")
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    # Boxing Day on a weekday is itself; Christmas Day at a weekend moves to the next weekday
    # Boxing Day has not taken; Boxing Day at a weekend, to the next one after that.
    if boxing.weekday() < SATURDAY:
        days[boxing] = "Boxing Day (bank holiday)"
    fixed(days, christmas, "Christmas Day")
    if boxing.weekday() >= SATURDAY:
        fixed(days, boxing, "Boxing Day")
    for day, name in ONE_OFF.items():
        if day.year == year:
            days[day] = name if "bank holiday" in name.lower() else f"{name} (bank holiday)"
    return days


@pytest.mark.parametrize("division", ["england-and-wales", "scotland", "northern-ireland"])
def test_every_bank_holiday_of_2012_to_2027_has_govuks_name_on_govuks_date(division):
    calendar = WorkingCalendar(region=division)
    for year in YEARS:
        expected = govuk(division, year)
        day = date(year, 1, 1)
        while day.year == year:
            if day.weekday() < SATURDAY and (division, day) not in PACKAGE_ONLY:
                assert calendar.why_not_working(day) == expected.get(day), (division, day)
            day += timedelta(days=1)


def test_the_names_people_know():
    assert govuk_holidays("May Day", date(2027, 5, 3)) == (BankHoliday("Early May bank holiday"),)
    assert govuk_holidays("Late Summer Bank Holiday", date(2027, 8, 30)) == (
        BankHoliday("Summer bank holiday"),
    )
    assert govuk_holidays("New Year Holiday", date(2026, 1, 2)) == (BankHoliday("2nd January"),)
    assert govuk_holidays("New Year Holiday (observed)", date(2027, 1, 4)) == (
        BankHoliday("2nd January", substitute=True),
    )
    # Scotland, 1 January a Sunday: GOV.UK's New Year's Day substitute; 2nd January moves on.
    assert govuk_holidays("New Year Holiday; New Year's Day (observed)", date(2023, 1, 2)) == (
        BankHoliday("New Year's Day", substitute=True),
    )
    assert str(BankHoliday("Boxing Day", substitute=True)) == "Boxing Day (substitute day)"
    assert govuk_holidays("Something new", date(2030, 1, 1)) == (BankHoliday("Something new"),)


def test_a_deadline_explanation_names_the_holiday_it_skipped():
    calendar = WorkingCalendar(region="england-and-wales")
    explanation = calendar.explain_add_working_days(date(2027, 4, 30), 1)  # Friday
    assert [s.reason for s in explanation.skipped if s.kind == "bank holiday"] == [
        "Early May bank holiday"
    ]
