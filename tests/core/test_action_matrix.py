"""Who may take which action, as a matrix: every action × every role × every stage of each
of the five procedures × where the role is held (the raising agency, the other agency,
partnership-wide) and the parties themselves, open and resolved.

Each cell is checked against a reference written here from the procedure files alone:
a person acts at a stage for a side when the stage names, for that side, a role they hold
there (the person who raised it and the professional named in the other agency hold
"practitioner" on their side); a role held partnership-wide counts where a stage names it
on a side or for the partnership. Moving a case on is for those who act at its current
stage; adding to the record is for anyone who acts, or acted, at a stage it has reached,
and the parties; withdrawing is for the person who raised it. A role that only looks (the
administrator) acts nowhere. The engine's one gate (:func:`acting_for`) must agree with the
reference in every cell, and the case page offers nothing the gate refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.core.engine import (
    EVENTS,
    SIDE_ROUTE_EVENTS,
    Actor,
    CaseState,
    Event,
    EventKind,
    Refused,
    acting_for,
    allowed_actions,
    replay,
)
from parley.core.loader import load_file
from parley.core.procedure import Procedure, Side, Stage, Track
from parley.core.roles import role_table

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
SHIPPED = (
    "twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children",
    "pan-sussex-children",
)  # fmt: skip
# Procedures of other partnerships, written for the tests (tests/procedures).
ELSEWHERE = Path(__file__).resolve().parents[1] / "procedures"
START = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
RAISER, OTHER_PARTY = "raiser", "other-party"
MOVING = {
    EventKind.DISCUSSION_RECORDED, EventKind.RESPONSE_RECORDED,
    EventKind.RESPONSE_JUDGED_UNSATISFACTORY, EventKind.REFERRED, EventKind.MEETING_HELD,
    EventKind.DECISION_MADE, EventKind.ESCALATED, EventKind.BYPASSED, EventKind.RESOLVED,
    EventKind.FEEDBACK_GIVEN, EventKind.CLOSED, EventKind.BODY_INFORMED,
    # Those beyond the two sides, recorded by whoever holds the stage (each refused by
    # another rule where the procedure does not name them: a participant, an adviser, a
    # meeting of every agency involved).
    EventKind.VIEWS_RECORDED, EventKind.ADVICE_REQUESTED, EventKind.AGENCY_INVOLVED,
}  # fmt: skip
ADDING = {
    EventKind.IMMEDIATE_RISK_DECLARED, EventKind.DEBRIEF_RECORDED,
    EventKind.LEARNING_REFERRED, EventKind.NOTE_ADDED, EventKind.EVIDENCE_ATTACHED,
}  # fmt: skip
BY_PARLEY = {EventKind.RAISED, EventKind.DEADLINES_MOVED, EventKind.VERSION_CHANGED}


@cache
def shipped(name: str) -> Procedure:
    path = LIBRARY / f"{name}.yaml"
    return load_file(path if path.exists() else ELSEWHERE / f"{name}.yaml")


@dataclass(frozen=True)
class Person:
    """Someone in one relation to the case: a role held in one place, or a party."""

    name: str
    place: str  # "raising", "other", "partnership", or a party
    role: str = ""

    @property
    def actor(self) -> Actor:
        if self.place == RAISER:
            return Actor(self.name, frozenset({(Side.RAISING, "practitioner")}),
                         frozenset({Side.RAISING}))  # fmt: skip
        if self.place == OTHER_PARTY:
            return Actor(self.name, frozenset({(Side.OTHER, "practitioner")}),
                         frozenset({Side.OTHER}))  # fmt: skip
        return Actor(self.name, frozenset({(Side(self.place), self.role)}))


def people(procedure: Procedure) -> Iterator[Person]:
    yield Person("raiser", RAISER)
    yield Person("named-other", OTHER_PARTY)
    for role in role_table(procedure):
        for place in ("raising", "other", "partnership"):
            yield Person(f"{role}@{place}", place, role)


# --- the reference, from the procedure file alone ---------------------------------------


def looks_only(procedure: Procedure, role: str) -> bool:
    """A role that may not act: one the table says only looks, or one this procedure does
    not know at all (held for another procedure)."""
    table = role_table(procedure)
    return role not in table or not table[role].may_act


def sides_at(procedure: Procedure, stage: Stage, person: Person) -> set[Side]:
    """The sides a person acts for at a stage, read straight off the stage."""
    mine: dict[str, set[str]] = {"raising": set(), "other": set(), "partnership": set()}
    if person.place == RAISER:
        mine["raising"].add("practitioner")
    elif person.place == OTHER_PARTY:
        mine["other"].add("practitioner")
    elif not looks_only(procedure, person.role):
        mine[person.place].add(person.role)
    found = set()
    if (mine["raising"] | mine["partnership"]) & set(stage.raising_side):
        found.add(Side.RAISING)
    if (mine["other"] | mine["partnership"]) & set(stage.other_side):
        found.add(Side.OTHER)
    if mine["partnership"] & set(stage.partnership_side):
        found.add(Side.PARTNERSHIP)
    return found


def expected(procedure: Procedure, state: CaseState, person: Person, kind: EventKind) -> bool:
    spec = EVENTS[kind]
    if kind in BY_PARLEY:
        return False
    track = procedure.track(state.track)
    if kind is EventKind.WITHDRAWN:
        return person.place == RAISER
    if kind in ADDING:
        sides: set[Side] = set()
        if person.place == RAISER:
            sides.add(Side.RAISING)
        if person.place == OTHER_PARTY:
            sides.add(Side.OTHER)
        for stage_id in state.stages_reached:
            sides |= sides_at(procedure, track.stage(stage_id), person)
        return bool(sides & spec.sides)
    if kind is EventKind.FORM_ACKNOWLEDGED:
        # A form the file sends (send_to) for a case resolved at its stage, to a role this
        # person holds partnership-wide: Wirral's proformas to the Business Manager.
        return (
            bool(state.resolved_stage)
            and person.place == "partnership"
            and not looks_only(procedure, person.role)
            and any(
                person.role in form.send_to
                for form in procedure.forms
                if form.when == "resolved-at" and form.from_stage in ("", state.resolved_stage)
            )
        )
    if kind is EventKind.LIMIT_SHORTENED:
        # Those holding the stage now, on the sides its ``may_shorten`` names; nobody at a
        # stage without one.
        shorten = track.stage(state.stage).may_shorten
        now = sides_at(procedure, track.stage(state.stage), person)
        return shorten is not None and bool(now & shorten.by)
    if kind is EventKind.PRIORITY_SET:
        # Those holding the stage now, where it gives priorities.
        stage = track.stage(state.stage)
        return bool(stage.priorities) and bool(sides_at(procedure, stage, person) & spec.sides)
    if kind is EventKind.ADVICE_RECORDED:
        # An adviser asked about this case, and nobody else: not even those who hold it.
        return person.place == "partnership" and person.role in state.advisers_asked
    if kind in SIDE_ROUTE_EVENTS:
        # Who takes a side route is tested with a procedure that has one
        # (tests/core/test_routing.py); the shipped procedures have none.
        assert not procedure.side_routes
        return False
    assert kind in MOVING, kind
    now = sides_at(procedure, track.stage(state.stage), person)
    if kind is EventKind.CLOSED and person.place == RAISER:
        return True
    return bool(now & spec.sides)


# --- cases at every stage ---------------------------------------------------------------


def at_stage(procedure: Procedure, track: Track, stage: Stage) -> CaseState:
    """A case raised at the track's first stage and moved up to ``stage``."""
    events = [Event(EventKind.RAISED, START, "raiser", track.stages[0].id, {"track": track.id})]
    moment = START
    for earlier, later in zip(track.stages, track.stages[1:], strict=False):
        if earlier.id == stage.id:
            break
        moment += timedelta(days=1)
        events.append(
            Event(EventKind.ESCALATED, moment, "someone", earlier.id, {"to_stage": later.id})
        )
    return replay(events, procedure)


def resolved(procedure: Procedure, state: CaseState) -> CaseState:
    event = Event(EventKind.RESOLVED, START + timedelta(days=30), "someone", state.stage, {})
    return replay(
        [*_events_of(procedure, state), event], procedure
    )  # the same case, resolved where it stands


def _events_of(procedure: Procedure, state: CaseState) -> list[Event]:
    track = procedure.track(state.track)
    events = [Event(EventKind.RAISED, START, "raiser", state.stages_reached[0], {})]
    moment = START
    for earlier, later in zip(state.stages_reached, state.stages_reached[1:], strict=False):
        moment += timedelta(days=1)
        events.append(Event(EventKind.ESCALATED, moment, "someone", earlier, {"to_stage": later}))
    assert track.has_stage(state.stage)
    return events


def cases(name: str) -> Iterator[tuple[str, CaseState]]:
    procedure = shipped(name)
    for track in procedure.tracks:
        for stage in track.stages:
            state = at_stage(procedure, track, stage)
            if state.stage != stage.id:
                continue  # not on the ladder from the first stage
            yield f"{track.id}/{stage.id}/open", state
            yield f"{track.id}/{stage.id}/resolved", resolved(procedure, state)


CELLS = [(name, label) for name in SHIPPED for label, _ in cases(name)]


@pytest.mark.parametrize(("name", "where"), CELLS, ids=[f"{n}:{w}" for n, w in CELLS])
def test_every_role_may_take_exactly_the_actions_the_procedure_gives_it_there(
    name: str, where: str
) -> None:
    procedure = shipped(name)
    state = dict(cases(name))[where]
    wrong = []
    checked = 0
    for person in people(procedure):
        for kind in EventKind:
            spec = EVENTS[kind]
            if state.status not in spec.statuses:
                continue  # refused for the state alone, whoever asks
            want = expected(procedure, state, person, kind)
            try:
                acting_for(procedure, state, kind, person.actor)
                got = True
            except Refused:
                got = False
            checked += 1
            if got != want:
                wrong.append(f"{person.name} {kind.value}: engine {got}, procedure {want}")
    assert not wrong, "\n".join(wrong)
    assert checked > 100


@pytest.mark.parametrize("name", SHIPPED)
def test_the_case_page_offers_only_what_the_gate_allows(name: str) -> None:
    procedure = shipped(name)
    for _, state in cases(name):
        for person in people(procedure):
            offered = allowed_actions(procedure, state, person.actor, at=START, overdue=True)
            for kind in offered:
                assert expected(procedure, state, person, kind), (person, kind, state.stage)


def test_the_matrix_counts_its_cells() -> None:
    cells = 0
    for name in SHIPPED:
        procedure = shipped(name)
        everyone = list(people(procedure))
        for _, state in cases(name):
            cells += sum(
                len(everyone) for kind in EventKind if state.status in EVENTS[kind].statuses
            )
    assert cells > 25_000
    print(f"action matrix (core): {cells} cells")


def test_at_a_managers_stage_the_raiser_neither_escalates_nor_resolves() -> None:
    procedure = shipped("twsp")
    track = procedure.track()
    state = at_stage(procedure, track, track.stage("stage-2"))
    raiser = Person("nia", RAISER).actor

    for kind in (EventKind.ESCALATED, EventKind.RESOLVED, EventKind.RESPONSE_RECORDED):
        with pytest.raises(Refused) as refused:
            acting_for(procedure, state, kind, raiser)
        assert refused.value.reason.startswith("At stage 2, Line or team managers, this is for")
    # The raiser is still a party: they may add to the record.
    assert acting_for(procedure, state, EventKind.NOTE_ADDED, raiser) == {Side.RAISING}


def test_an_adviser_acts_on_nothing_at_any_stage_of_a_case_they_were_not_asked_about() -> None:
    procedure = shipped("pan-sussex-children")
    doctor = Person("designated-doctor@partnership", "partnership", "designated-doctor")
    for where, state in cases("pan-sussex-children"):
        assert allowed_actions(procedure, state, doctor.actor, at=START, overdue=True) == [], where


def test_the_business_manager_only_looks_at_a_twsp_case() -> None:
    procedure = shipped("twsp")
    manager = Person("ben", "partnership", "business-manager").actor
    for _, state in cases("twsp"):
        assert allowed_actions(procedure, state, manager, at=START, overdue=True) == []
