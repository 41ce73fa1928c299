"""Procedures from other partnerships that use clocks from outside a stage and caps the
dates keep to: each checks clean, cites only what its document's excerpts say, and every
date of its timeline, counted by hand across Christmas, Easter and the May bank holidays,
is the date the planner gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from parley.core.loader import check_file, load_file
from parley.core.planner import calendar_for, plan
from parley.core.procedure import Procedure, Source
from tests.core.test_citations import missing

HERE = Path(__file__).parent
LONDON = ZoneInfo("Europe/London")
PROCEDURES = ("west-yorkshire-steps", "pan-sussex-dissent")


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for procedure_id in PROCEDURES:
        timeline = HERE / f"{procedure_id}.timeline.yaml"
        for case in yaml.safe_load(timeline.read_text(encoding="utf-8")):
            found.append((procedure_id, case))
    return found


CASES = _cases()


def _raised(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=LONDON)


def _sources(procedure: Procedure) -> list[Source]:
    found = [question.source for question in procedure.questions]
    found += [category.source for category in procedure.categories]
    if procedure.immediate_risk is not None:
        found.append(procedure.immediate_risk.source)
    for track in procedure.tracks:
        found += [cap.source for cap in track.caps]
        for stage in track.stages:
            found.append(stage.source)
            found += [step.source for step in stage.steps]
            found += [method.source for method in stage.resolution]
    return found


@pytest.mark.parametrize("procedure_id", PROCEDURES)
def test_it_checks_clean_and_cites_only_what_its_document_says(procedure_id: str) -> None:
    path = HERE / f"{procedure_id}.yaml"
    text = (HERE / "documents" / f"{procedure_id}.txt").read_text(encoding="utf-8")
    result = check_file(path)

    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    title, publisher, address, when = text.split("\n")[:4]
    assert address.startswith("Web address: https://"), address
    cites = [s.cite for s in _sources(load_file(path)) if s.cite]
    assert cites
    assert {cite: missing(cite, text) for cite in cites if missing(cite, text)} == {}
    # Every cite names a part of the text before its quotation, and that part is there.
    for cite in cites:
        part = cite.split(" (")[0].strip('"')
        assert part in text, cite


@pytest.mark.parametrize(
    ("procedure_id", "case"), CASES, ids=[f"{p}: {c['name']}" for p, c in CASES]
)
def test_the_timeline_counted_by_hand_is_the_plan(procedure_id: str, case: dict[str, Any]) -> None:
    procedure = load_file(HERE / f"{procedure_id}.yaml")
    calendar = calendar_for(procedure)
    answers = {k: str(v) for k, v in (case.get("answers") or {}).items()}
    made = plan(
        procedure,
        calendar,
        _raised(case["raised"]),
        track=case.get("track"),
        immediate_risk=bool(case.get("immediate_risk", False)),
        answers=answers,
    )
    got: dict[str, date | None] = {}
    for stage in made.stages:
        got[stage.stage.id] = stage.ends_at.astimezone(LONDON).date() if stage.ends_at else None
        for deadline in stage.deadlines:
            if deadline.key != stage.stage.id:
                got[deadline.key.replace("/", ".")] = deadline.due.astimezone(LONDON).date()
    expected = {str(key): value for key, value in case["due"].items()}

    assert {key: got.get(key) for key in expected} == expected
