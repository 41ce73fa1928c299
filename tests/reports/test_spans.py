"""The stage rows reports read are kept in step with each case's record by every change."""

from __future__ import annotations

import pytest

from parley.cases import selectors, services
from parley.cases.demo import demo_load, person
from parley.cases.models import Disagreement, ProcedureVersion
from parley.core.engine import EventKind
from parley.reports.models import ReportCase, StageSpan
from parley.reports.services import stage_spans_refresh
from parley.reports.spans import COPIED, spans_of
from tests.cases.test_services import at, raise_twsp

pytestmark = pytest.mark.django_db

COMPARED = ("stage", "entered_at", "entered_on", "left_at", "left_on", "left_by", "immediate")


def kept(case: Disagreement) -> list[tuple[object, ...]]:
    rows = StageSpan.objects.filter(disagreement=case).order_by("entered_at", "pk")
    return [tuple(getattr(r, f) for f in COMPARED) for r in rows]


def from_record(case: Disagreement) -> tuple[list[tuple[object, ...]], ReportCase]:
    record = [selectors.core_event(e) for e in case.events.order_by("sequence")]
    rows, copy = spans_of(
        case=case, procedure=selectors.procedure_of(case.procedure), events=record
    )
    return [tuple(getattr(r, f) for f in COMPARED) for r in rows], copy


def test_every_change_through_the_services_keeps_the_rows_in_step():
    partnership = demo_load(with_cases=True)
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    # One more, taken up a stage, resolved and closed, each step through the services.
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    for who, kind, fields, when in (
        ("sam.social", EventKind.RESPONSE_RECORDED, {"text": "No."}, at(2026, 12, 22, 11)),
        ("nia.nurse", EventKind.RESPONSE_JUDGED_UNSATISFACTORY, {"text": "Why?"},
         at(2026, 12, 22, 12)),
        ("nia.nurse", EventKind.ESCALATED, {"reason": "response-unsatisfactory"},
         at(2026, 12, 22, 13)),
        ("nia.nurse", EventKind.NOTE_ADDED, {"text": "Called the team."}, at(2026, 12, 23, 9)),
        ("lee.lm", EventKind.RESOLVED, {"outcome": "Visit again.", "outstanding": "None"},
         at(2026, 12, 29, 15)),
        ("nia.nurse", EventKind.CLOSED, {}, at(2026, 12, 30, 9)),
    ):  # fmt: skip
        services.disagreement_act(
            disagreement=case, person=person(who), kind=kind, at=when, **fields
        )
    cases = list(Disagreement.objects.select_related("procedure"))
    assert len(cases) >= 3
    moved = 0
    for case in cases:
        rows, copy = from_record(case)
        assert kept(case) == rows, case.reference
        stored = ReportCase.objects.get(disagreement=case)
        for field in (*COPIED, "raised_on", "closed_on", "formal_start_on", "resolved_on"):
            assert getattr(stored, field) == getattr(copy, field), (case.reference, field)
        moved += len(rows) > 1
    assert moved, "no demo case left its first stage: too little to be a test"
    # Nothing is out of date, so a repair changes nothing.
    assert stage_spans_refresh(versions=list(ProcedureVersion.objects.all())) == 0


def test_a_repair_puts_back_what_went_round_the_services():
    demo_load(with_cases=True)
    case = Disagreement.objects.select_related("procedure").order_by("pk").first()
    assert case is not None
    expected, _ = from_record(case)
    StageSpan.objects.filter(disagreement=case).delete()
    ReportCase.objects.filter(disagreement=case).update(status="something else")
    assert stage_spans_refresh(versions=list(ProcedureVersion.objects.all())) == 1
    assert kept(case) == expected
