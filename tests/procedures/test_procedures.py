"""Every procedure in tests/procedures/ runs as its partnership wrote it, with no change to
Parley: it checks clean (the check and the command that publishes it), each passage it
cites is in the excerpts kept of its document, every date of its timeline, counted by
hand across Christmas, Easter and the May bank holidays, is the date the planner gives, and
a case raised under it in a partnership of its own is taken up every stage by the people
each stage names, resolved at the top and closed, through the one door.

The browser half (publishing it and raising a case under it in Chromium) is
tests/browser/test_procedure_library.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from parley.cli import main
from parley.core.calendar import WorkingCalendar
from parley.core.loader import check_file
from parley.core.planner import Plan, calendar_for, plan
from tests.core.test_citations import _plain, missing
from tests.procedures.library import (
    LONDON,
    PERIODS,
    answer_text,
    base_of,
    cases,
    day,
    document_file,
    moment,
    procedure_files,
    timeline_file,
)

FILES = procedure_files()
IDS = [p.stem for p in FILES]


def test_there_are_procedures_to_check() -> None:
    assert len(FILES) >= 4, IDS


# --- 1. it checks clean --------------------------------------------------------------


def _expected_warnings(path: Path) -> list[str]:
    """Warnings the file's own comments say are right: a comment ``# expected warning:
    WORDS``, where WORDS are in the warning (docs/procedure-format.md, "Checking a file")."""
    text = path.read_text(encoding="utf-8")
    return [m.strip() for m in re.findall(r"#\s*expected warning:\s*(.+)", text)]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_it_checks_with_no_problems(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = check_file(path)

    assert [str(p) for p in result.errors] == []
    expected = _expected_warnings(path)
    unexplained = [
        str(w) for w in result.warnings if not any(words in str(w) for words in expected)
    ]
    assert unexplained == []
    assert result.procedure is not None
    assert main(["procedures", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert f"{path.name}: ok — {result.procedure.name}" in out


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_command_that_publishes_it_would_publish_it(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from parley.cases.models import Partnership

    Partnership.objects.create(name="A partnership of its own", slug="own")
    base = base_of(path)
    if base is not None:  # a local file is laid over the regional one the partnership has
        assert main(["procedures", "load", str(base), "--partnership", "own"]) == 0
        capsys.readouterr()

    status = main(["procedures", "load", str(path), "--partnership", "own", "--dry-run"])

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.startswith(f"{path.name}: ok — ") and "Dry run: nothing was published." in out


# --- 2. its document and its citations --------------------------------------------------


def _sources(node: object) -> list[str]:
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            for found in (
                [value] if key == "source" and isinstance(value, str) else _sources(value)
            )
        ]
    if isinstance(node, list):
        return [found for item in node for found in _sources(item)]
    return []


HEADER = ("Title", "Publisher", "Web address", "Date")


def _header(text: str) -> list[str]:
    """The document's first four lines, each written ``Label: value`` with the labels of
    HEADER in that order (tests/procedures/README.md): the values."""
    lines = text.splitlines()[:4]
    assert [line.partition(": ")[0] for line in lines] == list(HEADER), lines
    return [line.partition(": ")[2].strip() for line in lines]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_passage_it_cites_is_in_its_document(path: Path) -> None:
    document = document_file(path)
    assert document.is_file(), f"{document.name} is missing"
    text = document.read_text(encoding="utf-8")
    title, publisher, address, published = _header(text)
    assert title and publisher
    assert address.startswith(("http://", "https://")), address
    assert re.search(r"\b(19|20)\d\d\b", published), published
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cites = _sources(data)

    assert cites, "a procedure cites its document"
    assert {cite: missing(cite, text) for cite in cites if missing(cite, text)} == {}
    assert {cite: _unnamed(cite, text) for cite in cites if _unnamed(cite, text)} == {}


NUMBERED = re.compile(r"(?i)(sections?|stages?|paras?|appendix)\b")


def _unnamed(cite: str, text: str) -> list[str]:
    """The parts a cite names before its quotation (a heading, "AMENDMENT", "Principles";
    several split by ";", "," or "and") that its document does not contain. A numbered
    section, stage, para or appendix is left to ``missing``, which finds it by number."""
    named = re.sub(r'"[^"]*"', "", cite).split(" (")[0].strip(' "(),;')
    pieces = [piece.strip() for piece in re.split(r";|, | and ", named) if piece.strip()]
    plain = _plain(text)
    return [p for p in pieces if not NUMBERED.match(p) and _plain(p) not in plain]


# --- 3. its timeline, counted by hand -------------------------------------------------


def _planned(path: Path, case: dict[str, Any]) -> Plan:
    result = check_file(path)
    assert result.procedure is not None
    procedure = result.procedure
    options: dict[str, Any] = {}
    for key in ("track", "immediate_risk", "start_stage", "answers"):
        if key in case:  # only what the case gives: a keyword the planner has not got fails
            options[key] = case[key]
    if "answers" in case:  # kept as written once: a date as YYYY-MM-DD, as a raise keeps it
        options["answers"] = {q: answer_text(a) for q, a in (case["answers"] or {}).items()}
    return plan(procedure, calendar_for(procedure), moment(case["raised"]), **options)


def _local(when: datetime) -> date:
    return when.astimezone(LONDON).date()


def planned_dates(planned: Plan) -> dict[str, date]:
    """Every date the plan gives: each stage's end, each step's deadline, the overall."""
    found: dict[str, date] = {}
    for stage in planned.stages:
        if stage.ends_at is not None:
            found[stage.stage.id] = _local(stage.ends_at)
        for deadline in stage.deadlines:
            if deadline.step or deadline.key.endswith("/immediate-risk"):
                found[deadline.key.replace("/", ".")] = _local(deadline.due)
    if planned.overall is not None:
        found["overall"] = _local(planned.overall.due)
    return found


@pytest.mark.parametrize("region", ["england-and-wales", "scotland", "northern-ireland"])
def test_each_holiday_period_has_bank_holidays_on_weekdays_in_every_region(region: str) -> None:
    """The periods a timeline must cross are the ones their names say, in every region: each
    starts on a bank holiday (Christmas Day, Good Friday, the early May bank holiday)."""
    calendar = WorkingCalendar(region=region)
    for period, (start, end) in PERIODS.items():
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        holidays = [d for d in days if d.weekday() < 5 and not calendar.is_working_day(d)]
        assert start in holidays, (period, holidays)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_its_timeline_crosses_christmas_easter_and_the_may_bank_holidays(path: Path) -> None:
    assert timeline_file(path).is_file(), f"{timeline_file(path).name} is missing"
    crossed = set()
    for case in cases(path):
        assert case.get("name") and case.get("due"), case
        # A clock may run from a date answered at the raise (after: answer:<id>), so the
        # counting starts at the earliest of the raise and the dates answered.
        answered = [answer_text(a) for a in (case.get("answers") or {}).values()]
        dates = [day(a) for a in answered if re.fullmatch(r"\d{4}-\d\d-\d\d", a)]
        first = min([moment(case["raised"]).date(), *dates])
        last = max(day(v) for v in case["due"].values())
        for period, (start, end) in PERIODS.items():
            if first <= end and last >= start:
                crossed.add(period)

    assert crossed == set(PERIODS)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_date_of_its_timeline_is_the_date_parley_gives(path: Path) -> None:
    wrong = {}
    for case in cases(path):
        planned = planned_dates(_planned(path, case))
        for key, value in case["due"].items():
            if planned.get(key) != day(value):
                wrong[f"{case['name']}: {key}"] = (str(day(value)), str(planned.get(key)))

    assert wrong == {}, "(counted by hand, planner)"


# --- 4. end to end, through the one door ---------------------------------------------

START = datetime(2027, 3, 1, 10, tzinfo=LONDON)


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_a_case_goes_up_every_stage_and_is_resolved_at_the_top(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.procedures.people import load_and_staff, take_to_the_top, ways_up

    partnership, version, people = load_and_staff(path, capsys)
    procedure = check_file(path).procedure
    assert procedure is not None
    number = 0
    for track in procedure.tracks:
        ways = ways_up(procedure, track, START)
        # Every formal stage is on some way up: the raiser's answers choose between them.
        reached = {stage for way in ways for stage in way}
        assert reached == {stage.id for stage in track.formal_stages()}, sorted(ways)
        for answers in ways.values():
            at = START + timedelta(days=number)
            take_to_the_top(partnership, version, people, track, at, answers=answers)
            number += 1
