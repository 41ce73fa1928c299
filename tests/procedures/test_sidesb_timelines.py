"""Each procedure written from another partnership's document, run against cases whose
deadlines were counted by hand (``<id>.timeline.yaml`` beside it): the planner must give
the same local dates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from parley.core.loader import load_file
from parley.core.planner import calendar_for, plan

HERE = Path(__file__).resolve().parent
LONDON = ZoneInfo("Europe/London")
PROCEDURES = ("pan-sussex-children",)


def _cases() -> list[Any]:
    found = []
    for procedure_id in PROCEDURES:
        cases = yaml.safe_load((HERE / f"{procedure_id}.timeline.yaml").read_text())
        found += [
            pytest.param(procedure_id, case, id=f"{procedure_id}: {case['name']}") for case in cases
        ]
    return found


@pytest.mark.parametrize(("procedure_id", "case"), _cases())
def test_planner_gives_the_dates_counted_by_hand(procedure_id: str, case: dict[str, Any]) -> None:
    procedure = load_file(HERE / f"{procedure_id}.yaml")
    raised = case["raised"]
    if isinstance(raised, str):
        raised = datetime.fromisoformat(raised)
    the_plan = plan(procedure, calendar_for(procedure), raised.replace(tzinfo=LONDON))
    planned = {
        deadline.key: deadline.due.astimezone(LONDON).date().isoformat()
        for stage in the_plan.stages
        for deadline in stage.deadlines
    }
    for key, due in case["due"].items():
        assert planned.get(key.replace(".", "/")) == str(due), key


def test_every_timeline_crosses_the_holidays_asked_for() -> None:
    raised = {
        str(case["raised"])[:7]
        for procedure_id in PROCEDURES
        for case in yaml.safe_load((HERE / f"{procedure_id}.timeline.yaml").read_text())
    }
    assert {"2026-12", "2027-03", "2027-04"} <= raised


def test_every_source_cites_a_section_of_the_document() -> None:
    for procedure_id in PROCEDURES:
        text = (HERE / "documents" / f"{procedure_id}.txt").read_text()
        assert text.splitlines()[2].startswith("http")
        for line in (HERE / f"{procedure_id}.yaml").read_text().splitlines():
            if line.strip().startswith("source:"):
                cite = line.split("source:", 1)[1].strip().strip('"')
                assert f"\n{cite}\n" in text, cite
