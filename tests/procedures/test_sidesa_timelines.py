"""Procedures from other partnerships, each with cases whose deadlines were counted by
hand (``<id>.timeline.yaml``): the planner must give the same local dates, across
Christmas and New Year, Easter and the May bank holidays. Every ``source:`` of the file
names a section of the document's excerpts (``documents/<id>.txt``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from parley.core.loader import check_file, load_file
from parley.core.planner import calendar_for, plan

HERE = Path(__file__).resolve().parent
PROCEDURES = ("iro-alerts",)
LONDON = ZoneInfo("Europe/London")


def _cases(name: str) -> list[dict]:
    return yaml.safe_load((HERE / f"{name}.timeline.yaml").read_text(encoding="utf-8"))


CASES = [(name, case["name"]) for name in PROCEDURES for case in _cases(name)]


@pytest.mark.parametrize("name", PROCEDURES)
def test_the_procedure_loads_with_no_problems(name: str) -> None:
    result = check_file(HERE / f"{name}.yaml")

    assert result.ok and result.problems == [], [str(p) for p in result.problems]


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}:{c}" for n, c in CASES])
def test_the_planner_gives_the_dates_counted_by_hand(name: str, case: str) -> None:
    procedure = load_file(HERE / f"{name}.yaml")
    (wanted,) = [c for c in _cases(name) if c["name"] == case]
    raised = wanted["raised"]
    if isinstance(raised, str):
        raised = datetime.fromisoformat(raised)
    planned = plan(procedure, calendar_for(procedure), raised.replace(tzinfo=LONDON))
    got: dict[str, date] = {}
    for stage in planned.stages:
        for deadline in stage.deadlines:
            got[deadline.key.replace("/", ".")] = deadline.due.astimezone(LONDON).date()

    due = {key: value for key, value in wanted["due"].items()}
    assert {key: got.get(key) for key in due} == due


@pytest.mark.parametrize("name", PROCEDURES)
def test_every_source_cites_a_section_of_the_document(name: str) -> None:
    document = (HERE / "documents" / f"{name}.txt").read_text(encoding="utf-8")
    title, publisher, address, when = document.split("\n")[:4]
    assert title and publisher.startswith("Publisher: ")
    assert address.startswith("Web address: https://") and when.startswith("Date: ")
    sections = set(re.findall(r"^\[(.+)\]$", document, re.M))
    text = (HERE / f"{name}.yaml").read_text(encoding="utf-8")
    sources = re.findall(r"^\s*source: (.+)$", text, re.M)

    assert sources
    for source in sources:
        cited = re.split(r" \(|\"", source)[0]
        named = {part.strip() for part in re.split(r",| and ", cited) if part.strip()}
        assert named <= sections, f"{source!r} cites a section not in the document"
        for quoted in re.findall(r'\("([^"]+)"', source):
            assert quoted in document, f"{quoted!r} is not in the document's text"
