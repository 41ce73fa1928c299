"""A partnership of its own for a procedure under test, with someone in every role each
stage names, and a case taken up the ladder by them through the one door."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from parley.audit.models import AuditEntry
from parley.cases import selectors, services
from parley.cases.models import (
    Agency,
    Disagreement,
    Partnership,
    Person,
    ProcedureVersion,
    RoleAssignment,
)
from parley.cli import main
from parley.core.engine import EventKind
from parley.core.procedure import Procedure, QuestionKind, Track
from parley.core.roles import Held, role_of
from tests import ladder
from tests.procedures.library import base_of, raw

RAISING, OTHER = "Raising agency", "Other agency"


def load_and_staff(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Partnership, ProcedureVersion, dict[tuple[str | None, str], Person]]:
    """Publish the file as ``parley procedures load`` does, and staff every rung."""
    partnership = Partnership.objects.create(name="Own Safeguarding Partnership", slug="own")
    for file in [f for f in (base_of(path), path) if f is not None]:
        status = main(["procedures", "load", str(file), "--partnership", "own"])
        out, err = capsys.readouterr()
        assert (status, err) == (0, ""), out
    version = ProcedureVersion.objects.get(
        partnership=partnership, procedure_id=raw(path)["id"], is_current=True
    )
    procedure = selectors.procedure_of(version)
    agencies = {
        name: Agency.objects.create(partnership=partnership, name=name, kind=Agency.Kind.OTHER)
        for name in ((RAISING,) if procedure.single_agency else (RAISING, OTHER))
    }
    if procedure.single_agency:  # a challenge inside one agency: both sides work in it
        agencies[OTHER] = agencies[RAISING]
    people: dict[tuple[str | None, str], Person] = {}

    def hold(agency: str | None, role: str) -> None:
        if (agency, role) in people:
            return
        person = Person.objects.create(
            partnership=partnership,
            name=f"{role} of {agency or 'the partnership'}",
            email=f"{role}.{len(people)}@own.example",
        )
        RoleAssignment.objects.create(
            person=person, agency=agencies[agency] if agency else None, role=role
        )
        people[(agency, role)] = person

    for agency in (RAISING, OTHER):
        hold(agency, "practitioner")
    for track in procedure.tracks:
        for stage in track.stages:
            _staff_stage(procedure, stage, hold)
    return partnership, version, people


def _staff_stage(procedure: Procedure, stage: Any, hold: Any) -> None:
    for agency, named in ((RAISING, stage.raising_side), (OTHER, stage.other_side)):
        for role in named:
            wide = role_of(procedure, role).held is Held.PARTNERSHIP
            hold(None if wide else agency, role)
    chairs = [m.chaired_by for m in stage.resolution if m.chaired_by]
    for role in (*stage.partnership_side, *stage.kept_informed, *chairs):
        if role_of(procedure, role).held is Held.AGENCY:
            hold(RAISING, role)
            hold(OTHER, role)
        else:
            hold(None, role)


def take_to_the_top(
    partnership: Partnership,
    version: ProcedureVersion,
    people: dict[tuple[str | None, str], Person],
    track: Track,
    at: datetime,
    answers: dict[str, str] | None = None,
) -> Disagreement:
    """Raise a case on ``track`` with ``answers`` (by default one to every question), take
    it up every stage of the way its answers choose, resolve it at the top and close it;
    check its record, its stored state and its audit trail."""
    procedure = selectors.procedure_of(version)
    raising = Agency.objects.get(partnership=partnership, name=RAISING)
    single = procedure.single_agency
    given = answers if answers is not None else answers_for(procedure, at)
    case = services.disagreement_raise(
        procedure=version,
        raised_by=people[(RAISING, _raiser_role(procedure, track))],
        raising_agency=raising,
        other_agency=None if single else Agency.objects.get(partnership=partnership, name=OTHER),
        other_professional=people[(OTHER, "practitioner")],
        summary="A disagreement taken to the top.",
        track=track.id,
        answers=given,
        at=at,
    )
    if single:  # nobody outside the one agency: the other side is the raising agency
        assert case.other_agency_id == case.raising_agency_id == raising.pk
    formal = way_up(track, given)
    top = formal[-1]
    assert case.stage == formal[0]
    moment = ladder.climb(case, top, at=at)
    ladder.act_as_holder(
        case, EventKind.RESOLVED, outcome="Agreed at the top.", outstanding="None",
        at=moment + timedelta(hours=1),
    )  # fmt: skip
    ladder.act_as_holder(case, EventKind.CLOSED, at=moment + timedelta(hours=2))
    case.refresh_from_db()
    assert (case.status, case.stage) == (Disagreement.Status.CLOSED, top)
    kinds = list(case.events.order_by("sequence").values_list("kind", flat=True))
    assert kinds[0] == EventKind.RAISED.value and kinds[-1] == EventKind.CLOSED.value
    assert kinds.count(EventKind.ESCALATED.value) == len(formal) - 1
    assert EventKind.RESOLVED.value in kinds
    stages = list(case.events.order_by("sequence").values_list("stage", flat=True))
    assert [s for s in dict.fromkeys(stages) if s in formal] == formal
    _audited(case)
    return case


def _raiser_role(procedure: Procedure, track: Track) -> str:
    """Who raises it: a practitioner; inside one agency, the first role other than the
    parties' that the first stage names on the raising side (docs/procedure-format.md, "A
    challenge inside one agency")."""
    if not procedure.single_agency:
        return "practitioner"
    first = next(iter(track.formal_stages()))
    return next(role for role in first.raising_side if role != "practitioner")


def way_up(track: Track, answers: dict[str, str]) -> list[str]:
    """The stages a case with these answers goes up, from the first formal stage to the
    top of its way (a stage's ``next`` may depend on the answers)."""
    stage = next(iter(track.formal_stages()))
    found = [stage.id]
    while (above := stage.next_for(answers)) is not None and above not in found:
        found.append(above)
        stage = track.stage(above)
    return found


def ways_up(procedure: Procedure, track: Track, at: datetime) -> dict[tuple[str, ...], dict]:
    """Each way up the track the answers can choose, with answers that choose it: every
    question answered, then each other answer to a yes-no or choice question in turn."""
    first = answers_for(procedure, at)
    variants = [first]
    for question in procedure.questions:
        if question.kind is QuestionKind.YES_NO:
            variants.append({**first, question.id: "no"})
        elif question.kind is QuestionKind.CHOICE:
            variants += [{**first, question.id: option.id} for option in question.options[1:]]
    found: dict[tuple[str, ...], dict] = {}
    for answers in variants:
        found.setdefault(tuple(way_up(track, answers)), answers)
    return found


def answers_for(procedure: Procedure, at: datetime) -> dict[str, str]:
    """An answer to every question the procedure asks at the raise, as a raise keeps it: a
    date (the day before), yes, or a choice's first option."""
    found: dict[str, str] = {}
    for question in procedure.questions:
        if question.kind is QuestionKind.DATE:
            found[question.id] = (at - timedelta(days=1)).date().isoformat()
        elif question.kind is QuestionKind.YES_NO:
            found[question.id] = "yes"
        else:
            found[question.id] = question.options[0].id
    return found


def _audited(case: Disagreement) -> None:
    """The stored state is the record replayed, and every entry has its audit entry."""
    procedure = selectors.procedure_of(case.procedure)
    state = selectors.disagreement_state(case)
    fields, _ = services.stored_fields(
        procedure, selectors.calendar_of(case.partnership, procedure), state
    )
    assert {name: getattr(case, name) for name in fields} == fields
    sequences = set(case.events.values_list("sequence", flat=True))
    covered: set[int] = set()
    for detail in AuditEntry.objects.filter(disagreement=case).values_list("detail", flat=True):
        if "record" in detail:
            first, last = detail["record"]
            covered |= set(range(first, last + 1))
    assert covered == sequences
