"""Who takes a case up the ladder in the database tests: whoever the procedure names at
its current stage, found in the directory, as a person using Parley would be."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from parley.cases import selectors, services
from parley.cases.models import Disagreement, Event, Person
from parley.core.engine import EventKind, Refused, acting_for
from parley.core.procedure import Side


def who_acts(
    case: Disagreement, kind: EventKind = EventKind.ESCALATED, side: Side | None = None
) -> Person:
    """Someone who may take ``kind`` on the case now (for ``side``, if given): the parties
    first, then the people of the raising agency, the other agency and the partnership,
    by name. The engine's own gate decides; this only searches the directory."""
    case.refresh_from_db()
    procedure = selectors.procedure_of(case.procedure)
    state = selectors.disagreement_state(case)
    parties = [p for p in (case.raised_by, case.other_professional) if p is not None]
    agencies = [case.raising_agency_id, case.other_agency_id, None]
    others = sorted(
        Person.objects.filter(partnership_id=case.partnership_id)
        .filter(Q(roles__agency_id__in=agencies[:2]) | Q(roles__agency__isnull=True))
        .distinct()
        .prefetch_related("roles"),
        key=lambda p: (agencies.index(_agency_of(p, agencies)), p.name),
    )
    for person in [*parties, *others]:
        actor = services.actor_for(person=person, disagreement=case)
        try:
            sides = acting_for(procedure, state, kind, actor)
        except Refused:
            continue
        if side is not None and side not in sides:
            continue
        stage = procedure.track(state.track).stage(state.stage)
        if kind is EventKind.ESCALATED and stage.escalate_by:
            held = {r for _, r in actor.holds} | set().union(
                *(actor.holds_on(s) for s in (Side.RAISING, Side.OTHER))
            )
            if not held & set(stage.escalate_by):
                continue
        return person
    raise LookupError(f"nobody in the directory may take {kind.value} at {state.stage} now")


def _agency_of(person: Person, agencies: list[int | None]) -> int | None:
    held = {r.agency_id for r in person.roles.all()}
    return next((a for a in agencies if a in held), None)


def act_as_holder(case: Disagreement, kind: EventKind, *, at: datetime | None = None,
                  side: Side | None = None, **fields: Any) -> list[Event]:  # fmt: skip
    """Take ``kind`` on the case as someone the procedure names for it now."""
    return services.disagreement_act(
        disagreement=case, person=who_acts(case, kind, side), kind=kind, at=at, **fields
    )


def escalate(case: Disagreement, *, at: datetime | None = None, reason: str = "no-agreement",
             text: str = "") -> list[Event]:  # fmt: skip
    """Escalate as someone who acts at the case's stage, for the reason given."""
    return act_as_holder(case, EventKind.ESCALATED, at=at, reason=reason, text=text)


def climb(case: Disagreement, to_stage: str, *, at: datetime) -> datetime:
    """Take the case up its ladder to ``to_stage`` through the one door, each step by
    someone the procedure names for it, for a reason the stage allows: no agreement; or a
    response judged unsatisfactory; or, last, the stage's deadline passing (the step is
    then taken the day after its deadline). Returns the moment of the last step."""
    from parley.core.engine import EscalationTrigger

    while True:
        case.refresh_from_db()
        if case.stage == to_stage:
            return at
        procedure = selectors.procedure_of(case.procedure)
        stage = procedure.track(case.track).stage(case.stage)
        triggers = stage.escalate_when
        at = at + timedelta(hours=1)
        if EscalationTrigger.NO_AGREEMENT in triggers:
            escalate(case, at=at)
            continue
        if EscalationTrigger.RESPONSE_UNSATISFACTORY in triggers:
            act_as_holder(case, EventKind.RESPONSE_RECORDED, at=at, text="Our answer.")
            at = at + timedelta(minutes=10)
            act_as_holder(case, EventKind.RESPONSE_JUDGED_UNSATISFACTORY, at=at, text="Not enough.")
            at = at + timedelta(minutes=10)
            escalate(case, at=at, reason="response-unsatisfactory")
            continue
        due = min(d.due_at for d in case.deadlines.filter(advisory=False, met_at__isnull=True))
        at = max(at, due + timedelta(days=1))
        escalate(case, at=at, reason="deadline-passed")
