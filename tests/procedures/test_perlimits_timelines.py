"""Procedures from other partnerships, written from their public documents, each with
cases whose deadlines were counted by hand (``<id>.timeline.yaml``): the planner must give
the same dates. Every ``source`` of such a procedure cites a heading of the passages kept
from its document (``documents/<id>.txt``).

Pure tests: no Django and no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from parley.core.loader import check_file, load_file
from parley.core.planner import calendar_for, plan

HERE = Path(__file__).resolve().parent
LONDON = ZoneInfo("Europe/London")
PROCEDURES = sorted(p for p in HERE.glob("*.yaml") if not p.name.endswith(".timeline.yaml"))
CASES = [
    (path.name.removesuffix(".timeline.yaml"), case)
    for path in sorted(HERE.glob("*.timeline.yaml"))
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))
]


def test_there_is_a_procedure_with_cases_over_christmas_easter_and_the_may_holidays() -> None:
    assert PROCEDURES
    raised = [date.fromisoformat(str(case["raised"])[:10]) for _, case in CASES]
    assert any(date(2026, 12, 20) <= d <= date(2027, 1, 1) for d in raised)
    assert any(date(2027, 3, 20) <= d <= date(2027, 3, 29) for d in raised)
    assert any(date(2027, 4, 28) <= d <= date(2027, 5, 3) for d in raised)
    assert any(date(2027, 5, 25) <= d <= date(2027, 5, 31) for d in raised)


@pytest.mark.parametrize("path", PROCEDURES, ids=[p.stem for p in PROCEDURES])
def test_the_procedure_loads_and_cites_its_document(path: Path) -> None:
    result = check_file(path)
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    document = HERE / "documents" / f"{path.stem}.txt"
    text = document.read_text(encoding="utf-8")
    first = text.splitlines()[:4]
    assert [line.split(":")[0] for line in first] == ["Title", "Publisher", "Web address", "Date"]
    headings = set(re.findall(r"^\[(.+)\]$", text, re.M))
    cites = list(_sources(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert cites
    for cite in cites:
        for part in cite.split(";"):
            heading = part.split(" (")[0].strip()
            assert heading in headings, f"{cite!r}: no heading {heading!r} in {document.name}"
        for quoted in re.findall(r'"([^"]+)"', cite):
            assert " ".join(quoted.split()) in " ".join(text.split()), quoted


def _sources(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source":
                yield str(value)
            else:
                yield from _sources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _sources(item)


@pytest.mark.parametrize(("procedure_id", "case"), CASES, ids=[c["name"] for _, c in CASES])
def test_the_planner_gives_the_dates_counted_by_hand(
    procedure_id: str, case: dict[str, Any]
) -> None:
    procedure = load_file(HERE / f"{procedure_id}.yaml")
    raised = datetime.fromisoformat(str(case["raised"])).replace(tzinfo=LONDON)
    the_plan = plan(
        procedure,
        calendar_for(procedure),
        raised,
        track=case.get("track"),
        immediate_risk=bool(case.get("immediate_risk", False)),
    )
    found = {
        deadline.key: deadline.due.astimezone(LONDON).date()
        for stage in the_plan.stages
        for deadline in stage.deadlines
    }
    wanted = {
        str(key).replace(".", "/"): date.fromisoformat(str(value))
        for key, value in case["due"].items()
    }
    assert {key: found.get(key) for key in wanted} == wanted
