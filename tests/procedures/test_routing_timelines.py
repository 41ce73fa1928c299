"""Procedures of other partnerships, written from their public documents with routes chosen
by the raiser's answers: each file loads, cites its document, and every case counted by hand
in its ``.timeline.yaml`` falls due when the planner says."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from parley.core.loader import check_file, load_file
from parley.core.planner import DeadlineKind, calendar_for, plan

HERE = Path(__file__).resolve().parent
# The procedures here whose ways up are chosen by the raiser's answers, or that have side
# routes; the others in this folder have tests of their own.
PROCEDURES = [HERE / "south-tyneside-joint.yaml"]
LONDON = ZoneInfo("Europe/London")


def timeline_cases() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in PROCEDURES:
        timeline = path.with_name(f"{path.stem}.timeline.yaml")
        for case in yaml.safe_load(timeline.read_text(encoding="utf-8")):
            found.append((path, case))
    return found


def test_each_procedure_has_its_document_and_its_timeline() -> None:
    assert PROCEDURES
    for path in PROCEDURES:
        assert (HERE / "documents" / f"{path.stem}.txt").is_file()
        assert path.with_name(f"{path.stem}.timeline.yaml").is_file()


@pytest.mark.parametrize("path", PROCEDURES, ids=lambda p: p.stem)
def test_the_procedure_loads_with_no_problem_and_uses_a_route(path: Path) -> None:
    result = check_file(path)

    assert [str(p) for p in result.problems] == []
    assert result.procedure is not None
    stages = [s for t in result.procedure.tracks for s in t.stages]
    assert any(stage.branches for stage in stages) or result.procedure.side_routes


@pytest.mark.parametrize("path", PROCEDURES, ids=lambda p: p.stem)
def test_every_source_cites_a_section_of_its_document(path: Path) -> None:
    document = (HERE / "documents" / f"{path.stem}.txt").read_text(encoding="utf-8")
    header, _, body = document.partition("\n\n")
    title, publisher, address, when = header.split("\n")[:4]
    sections = re.findall(r"^\[(.+)\]$", body, re.M)
    cited = re.findall(r"^\s*source: (.+)$", path.read_text(encoding="utf-8"), re.M)

    assert title and publisher and address.startswith("http") and re.search(r"\d{4}", when)
    assert cited
    for cite in cited:
        where = cite.split(' ("')[0].strip()
        parts = re.split(r", paragraphs? | and ", where)
        named = [s for s in sections if where.startswith(s) or s.startswith(where)]
        assert named or all(any(p in s for s in sections) for p in parts), cite


def test_every_timeline_crosses_christmas_easter_and_the_may_bank_holidays() -> None:
    raised = [date.fromisoformat(str(case["raised"])[:10]) for _, case in timeline_cases()]

    assert any(date(2026, 12, 20) <= day <= date(2027, 1, 1) for day in raised)
    assert any(date(2027, 3, 20) <= day <= date(2027, 3, 29) for day in raised)
    assert any(date(2027, 4, 26) <= day <= date(2027, 5, 3) for day in raised)
    assert any(date(2027, 5, 10) <= day <= date(2027, 5, 31) for day in raised)


@pytest.mark.parametrize(
    ("path", "case"), timeline_cases(), ids=lambda v: v.get("name") if isinstance(v, dict) else ""
)
def test_each_case_counted_by_hand_falls_due_when_the_planner_says(
    path: Path, case: dict[str, Any]
) -> None:
    procedure = load_file(path)
    raised = datetime.fromisoformat(str(case["raised"])).replace(tzinfo=LONDON)
    answers = {str(k): str(v) for k, v in (case.get("answers") or {}).items()}

    planned = plan(procedure, calendar_for(procedure), raised, answers=answers)
    due: dict[str, date] = {}
    for stage in planned.stages:
        for deadline in stage.deadlines:
            key = deadline.key.replace("/", ".")
            if deadline.kind in (DeadlineKind.STAGE, DeadlineKind.STEP):
                due[key] = deadline.due.astimezone(LONDON).date()

    wanted = {str(k): date.fromisoformat(str(v)) for k, v in case["due"].items()}
    assert {k: due.get(k) for k in wanted} == wanted
    # The route the answers choose, and no other: its last stage is the last one counted.
    assert planned.stages[-1].stage.id == list(wanted)[-1].split(".")[0]
