"""Procedures whose way up is chosen by the raiser's answers: the plan for each case
counted by hand (``<id>.timeline.yaml``) follows the way its answers choose, and no other.
Everything else of these files (their check, their document, every date of their
timeline) is checked with every procedure here, in test_procedures.py."""

from __future__ import annotations

from typing import Any

import pytest

from parley.core.loader import load_file
from parley.core.planner import calendar_for, plan
from tests.procedures.library import answer_text, cases, moment, procedure_files

ROUTED = [
    path
    for path in procedure_files()
    if any(stage.branches for track in load_file(path).tracks for stage in track.stages)
]
CASES = [(path, case) for path in ROUTED for case in cases(path)]


def test_there_is_a_procedure_whose_answers_choose_its_way_up() -> None:
    assert ROUTED


@pytest.mark.parametrize(("path", "case"), CASES, ids=[f"{p.stem}: {c['name']}" for p, c in CASES])
def test_the_plan_ends_at_the_stage_its_answers_choose(path: Any, case: dict[str, Any]) -> None:
    procedure = load_file(path)
    answers = {str(k): answer_text(v) for k, v in (case.get("answers") or {}).items()}
    planned = plan(procedure, calendar_for(procedure), moment(case["raised"]), answers=answers)

    # The last date counted by hand is on the last stage of the way the answers choose.
    assert planned.stages[-1].stage.id == list(case["due"])[-1].split(".")[0]
