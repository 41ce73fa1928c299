"""A procedure inside one agency (``single_agency: true``): a reviewing officer challenging
their own agency's managers. Both sides are the raising agency; each stage tells them
apart by the roles it names. Checked as a matrix of every role held in the agency or
partnership-wide × every stage × every action, against a reference read off the file, and
for raising, sight, and a person who holds roles on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import (
    EVENTS,
    SIDE_ROUTE_EVENTS,
    CaseState,
    EventKind,
    Raising,
    Refused,
    acting_for,
    allowed_actions,
    check_raising,
)
from parley.core.loader import check_text, load_file
from parley.core.procedure import Procedure, Side, Stage
from parley.core.roles import Actor, actor_of, role_table, sees, sight_rules
from tests.core.test_action_matrix import ADDING, BY_PARLEY, MOVING, at_stage, resolved

FIXTURE = Path(__file__).parent / "fixtures" / "procedures" / "single-agency.yaml"
LONDON = ZoneInfo("Europe/London")
AT = datetime(2026, 12, 1, 10, tzinfo=LONDON)
AGENCY, ELSEWHERE = "council", "health-trust"
RAISER, NAMED = "raiser", "social-worker"  # "raiser" raised the matrix's cases


def procedure() -> Procedure:
    return load_file(FIXTURE)


def actor(person: str, *held: tuple[str, str | None]) -> Actor:
    """A person on a case raised inside the council, from their roles in the directory."""
    return actor_of(
        person_id=person,
        assignments=held,
        raising_agency=AGENCY,
        other_agency=AGENCY,
        raised_by=RAISER,
        other_professional=NAMED,
    )


# --- the file -----------------------------------------------------------------------------


def test_the_file_says_the_procedure_is_inside_one_agency() -> None:
    assert procedure().single_agency
    assert not load_file(FIXTURE.parent / "minimal.yaml").single_agency


def test_a_role_on_both_sides_of_a_stage_is_refused_inside_one_agency() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "other_side: [head-of-service]\n    within: 5",
        "other_side: [head-of-service, reviewing-officer]\n    within: 5",
    )
    result = check_text(text, "single-agency.yaml")

    assert not result.ok
    assert any(
        'stage "stage-2" names reviewing-officer on both sides' in str(p) for p in result.problems
    )


def test_a_single_agency_procedure_must_name_who_raises_it() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "raising_side: [reviewing-officer]", "raising_side: [practitioner]"
    )
    result = check_text(text, "single-agency.yaml")

    assert any("is inside one agency" in str(p) for p in result.problems), result.problems


# --- raising ------------------------------------------------------------------------------


def _raising(other: str) -> Raising:
    return Raising(raising_agency=AGENCY, other_agency=other, summary="Care plan drift")


def test_the_other_side_is_the_raisers_own_agency() -> None:
    proc = procedure()
    officer = actor(RAISER, ("reviewing-officer", AGENCY))

    check_raising(proc, _raising(AGENCY), actor=officer, at=AT, track=proc.track())
    with pytest.raises(Refused, match="inside your own agency"):
        check_raising(proc, _raising(ELSEWHERE), actor=officer, at=AT, track=proc.track())


def test_only_the_raising_sides_roles_raise_a_single_agency_challenge() -> None:
    proc = procedure()
    manager = actor(RAISER, ("team-manager", AGENCY))

    with pytest.raises(Refused, match="raised by the independent reviewing officer"):
        check_raising(proc, _raising(AGENCY), actor=manager, at=AT, track=proc.track())


def test_a_two_agency_procedure_still_refuses_one_agency() -> None:
    proc = load_file(FIXTURE.parent / "minimal.yaml")
    worker = actor(RAISER, ("practitioner", AGENCY))

    with pytest.raises(Refused, match="goes through that agency's own procedure"):
        check_raising(proc, _raising(AGENCY), actor=worker, at=AT, track=proc.track())


# --- who acts: the matrix -----------------------------------------------------------------


@dataclass(frozen=True)
class Someone:
    name: str
    role: str = ""
    where: str | None = AGENCY  # the agency the role is held in; None: partnership-wide

    @property
    def actor(self) -> Actor:
        return actor(self.name, (self.role, self.where)) if self.role else actor(self.name)


def everyone(proc: Procedure) -> list[Someone]:
    found = [Someone(RAISER, "reviewing-officer"), Someone(NAMED)]
    for role in role_table(proc):
        for where in (AGENCY, None, ELSEWHERE):
            found.append(Someone(f"{role}@{where}", role, where))
    return found


def sides_at(stage: Stage, someone: Someone, proc: Procedure | None = None) -> set[Side]:
    """The reference: in the agency, the stage's raising roles act for the raising side and
    its other roles for the other side; the raiser is on the raising side alone and the
    named professional on the other alone; a partnership-wide role acts where the stage
    names it; a role in another agency never acts."""
    proc = proc or procedure()
    if role_table(proc).get(someone.role) and not role_table(proc)[someone.role].may_act:
        return set()
    if someone.name == NAMED:
        return {Side.OTHER} if "practitioner" in stage.other_side else set()
    found = set()
    if someone.where == ELSEWHERE:
        return found
    if someone.role in stage.raising_side:
        found.add(Side.RAISING)
    if someone.role in stage.other_side and someone.name != RAISER:
        found.add(Side.OTHER)
    if someone.where is None and someone.role in stage.partnership_side:
        found.add(Side.PARTNERSHIP)
    return found


def expected(proc: Procedure, state: CaseState, someone: Someone, kind: EventKind) -> bool:
    spec = EVENTS[kind]
    track = proc.track(state.track)
    if kind in BY_PARLEY or kind is EventKind.FORM_ACKNOWLEDGED:
        return False
    if kind is EventKind.WITHDRAWN:
        return someone.name == RAISER
    if kind in ADDING:
        sides = {Side.RAISING} if someone.name == RAISER else set()
        sides |= {Side.OTHER} if someone.name == NAMED else set()
        for stage_id in state.stages_reached:
            sides |= sides_at(track.stage(stage_id), someone, proc)
        return bool(sides & spec.sides)
    if kind is EventKind.ADVICE_RECORDED:
        # An adviser asked about this case, and nobody else; no adviser is asked here.
        return someone.where is None and someone.role in state.advisers_asked
    if kind in SIDE_ROUTE_EVENTS:
        assert not proc.side_routes  # neither procedure here has a side route
        return False
    if kind is EventKind.LIMIT_SHORTENED:
        stage = track.stage(state.stage)
        shorten = stage.may_shorten
        return shorten is not None and bool(sides_at(stage, someone, proc) & shorten.by)
    if kind is EventKind.PRIORITY_SET:
        stage = track.stage(state.stage)
        return bool(stage.priorities) and bool(sides_at(stage, someone, proc) & spec.sides)
    assert kind in MOVING, kind
    if kind is EventKind.CLOSED and someone.name == RAISER:
        return True
    return bool(sides_at(track.stage(state.stage), someone, proc) & spec.sides)


def states(proc: Procedure) -> list[tuple[str, CaseState]]:
    found = []
    track = proc.track()
    for stage in track.stages:
        state = at_stage(proc, track, stage)
        found += [(f"{stage.id}/open", state), (f"{stage.id}/resolved", resolved(proc, state))]
    return found


ALERTS = Path(__file__).resolve().parents[1] / "procedures" / "iro-alerts.yaml"


@pytest.mark.parametrize("path", [FIXTURE, ALERTS], ids=["example", "iro-alerts"])
def test_every_role_takes_exactly_the_actions_its_side_of_the_stage_gives_it(path: Path) -> None:
    proc = load_file(path)
    wrong, checked = [], 0
    for where, state in states(proc):
        for someone in everyone(proc):
            for kind in EventKind:
                if state.status not in EVENTS[kind].statuses:
                    continue
                want = expected(proc, state, someone, kind)
                try:
                    acting_for(proc, state, kind, someone.actor)
                    got = True
                except Refused:
                    got = False
                checked += 1
                if got != want:
                    wrong.append(f"{where} {someone.name} {kind.value}: engine {got}, file {want}")
                offered = allowed_actions(proc, state, someone.actor, at=AT, overdue=True)
                assert kind not in offered or want, (where, someone.name, kind)
    assert not wrong, "\n".join(wrong)
    assert checked > 1000
    print(f"single-agency action matrix: {checked} cells")


def test_the_team_manager_answers_and_the_reviewing_officer_presses() -> None:
    proc = procedure()
    state = at_stage(proc, proc.track(), proc.track().stage("stage-1"))
    manager = actor("tm", ("team-manager", AGENCY))
    officer = actor("ro", ("reviewing-officer", AGENCY))

    assert acting_for(proc, state, EventKind.RESPONSE_RECORDED, manager) == {Side.OTHER}
    assert acting_for(proc, state, EventKind.ESCALATED, officer) == {Side.RAISING}
    with pytest.raises(Refused, match="this is for the practitioner, or the team manager. It"):
        acting_for(proc, state, EventKind.RESPONSE_RECORDED, officer)


def test_the_raiser_who_also_manages_the_team_does_not_answer_their_own_challenge() -> None:
    proc = procedure()
    state = at_stage(proc, proc.track(), proc.track().stage("stage-1"))
    both = actor(RAISER, ("reviewing-officer", AGENCY), ("team-manager", AGENCY))
    colleague = actor("acting-up", ("reviewing-officer", AGENCY), ("team-manager", AGENCY))

    assert acting_for(proc, state, EventKind.ESCALATED, both) == {Side.RAISING}
    with pytest.raises(Refused):
        acting_for(proc, state, EventKind.RESPONSE_RECORDED, both)
    # Someone else holding both roles acts for each side their roles are named on.
    assert acting_for(proc, state, EventKind.RESPONSE_RECORDED, colleague) == {Side.OTHER}


# --- sight --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("someone", "from_stage"),
    [
        (Someone("tm", "team-manager"), 1),
        (Someone("hos", "head-of-service"), 2),
        (Someone("bm", "business-manager", None), None),
        (Someone("chair", "board-chair", None), 3),
        (Someone("tm-elsewhere", "team-manager", ELSEWHERE), None),
        (Someone("hos-elsewhere", "head-of-service", ELSEWHERE), None),
    ],
)
def test_nobody_outside_the_agency_sees_it_until_a_stage_names_the_partnership(
    someone: Someone, from_stage: int | None
) -> None:
    proc = procedure()
    rules = sight_rules(proc)
    seen = [
        number
        for number in (1, 2, 3)
        if sees(proc, someone.actor, highest_stage_number=number, rules=rules)
    ]
    assert seen == ([] if from_stage is None else list(range(from_stage, 4)))


def test_a_two_agency_procedures_business_manager_still_sees_every_case() -> None:
    proc = load_file(FIXTURE.parent / "minimal.yaml")
    manager = Someone("bm", "business-manager", None).actor

    assert sees(proc, manager, highest_stage_number=1, rules=sight_rules(proc))
