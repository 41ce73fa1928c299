"""The one door for reads: queries that pages, exports and commands share, and what a
case's record and procedure mean (its parsed procedure, its calendar, its state and
deadlines worked out afresh). Nothing here writes; the one door for changes
(:mod:`parley.cases.services`) and the sight rules (:mod:`parley.cases.access`) read
these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from parley.cases.models import (
    Agency,
    ClosureDay,
    Deadline,
    Disagreement,
    Event,
    Partnership,
    ProcedureVersion,
)
from parley.core import engine, planner
from parley.core.calendar import WorkingCalendar
from parley.core.engine import CaseState, EventKind
from parley.core.loader import ProcedureError, base_names, check_text
from parley.core.procedure import Procedure
from parley.dbprepared import Prepared


def overdue_deadlines(
    *, now: datetime, partnership: Partnership | None = None
) -> QuerySet[Deadline]:
    """Binding deadlines passed and not met, for one partnership or the whole country."""
    deadlines = Deadline.objects.filter(
        met_at__isnull=True, advisory=False, due_at__lt=now
    ).select_related("disagreement")
    if partnership is not None:
        deadlines = deadlines.filter(disagreement__partnership=partnership)
    return deadlines.order_by("due_at")


def procedure_versions_to_raise_under(*, partnership_id: int) -> QuerySet[ProcedureVersion]:
    """The versions in use that a case may be raised under: every current version but a
    regional one that a local procedure in use is laid over (the local one is what the
    partnership runs; the regional file is a layer of it)."""
    return ProcedureVersion.objects.filter(partnership_id=partnership_id, is_current=True).exclude(
        local_versions__is_current=True
    )


@dataclass(frozen=True)
class DeadlineMove:
    """One deadline still to come that a change of closure days would move."""

    disagreement: Disagreement
    label: str
    before: datetime
    after: datetime
    working_days: int  # later (positive) or earlier (negative), in the new calendar's days


def closure_change_moves(
    *,
    partnership: Partnership,
    closures: tuple[tuple[date, str], ...],
    now: datetime,
) -> list[DeadlineMove]:
    """What would move if the partnership's closure days were ``closures``: each open
    case's deadlines still to come, worked out again from its record under that calendar
    (as :func:`parley.cases.services.deadlines_recompute` does when it is confirmed),
    compared with the stored ones. Nothing is written."""
    moves: list[DeadlineMove] = []
    cases = (
        Disagreement.objects.filter(partnership=partnership, status=Disagreement.Status.OPEN)
        .filter(deadlines__due_at__gt=now)
        .distinct()
        .select_related("procedure")
        .defer("procedure__source_text")
        .prefetch_related("deadlines")
        .order_by("reference")
    )
    for case in cases:
        procedure = procedure_of(case.procedure)
        calendar = calendar_with(procedure, closures)
        record = [core_event(e) for e in case.events.order_by("sequence")]
        state = engine.replay(record, procedure)
        stored = {d.key: d for d in case.deadlines.all()}
        for planned in planner.case_deadlines(procedure, calendar, state):
            old = stored.get(planned.key)
            if old is None or old.due_at <= now or old.due_at == planned.due:
                continue
            shift = calendar.working_days_between(
                old.due_at.astimezone(planned.due.tzinfo).date(), planned.due.date()
            )
            moves.append(DeadlineMove(case, old.label, old.due_at, planned.due, shift))
    return moves


# --- procedures and calendars ----------------------------------------------------------


# Parsed procedures by (hash of the file, its name): a file is checked once per process.
_PARSED: dict[tuple[str, str, int | None], Procedure] = {}
_PARSED_LIMIT = 256


def procedure_of(version: ProcedureVersion) -> Procedure:
    """The parsed procedure of a loaded version. Its text is read from the database (a
    deferred field) only the first time this process meets that file."""
    key = (version.sha256, version.source_name, version.base_id)
    found = _PARSED.get(key)
    if found is None:
        result = (
            check_text(version.source_text, version.source_name, bases=layers_of(version))
            if version.base_id
            else check_text(version.source_text, version.source_name)
        )
        if result.procedure is None:
            raise ProcedureError(result.errors)
        found = result.procedure
        if found.version != version.version:
            # Merged again over a new regional version: the row's version names both.
            found = dataclasses.replace(found, version=version.version)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = found
    return found


def layers_of(version: ProcedureVersion) -> dict[str, str]:
    """The files a local version is laid over, by every name its ``extends`` may use: the
    regional version it was published over, and that one's own, if it extends another."""
    bases: dict[str, str] = {}
    base_pk, depth = version.base_id, 0
    while base_pk and depth < 5:
        base = ProcedureVersion.objects.defer(None).get(pk=base_pk)
        bases.update(layer_by_names(base, base.source_text))
        base_pk, depth = base.base_id, depth + 1
    return bases


def layer_by_names(version: ProcedureVersion, text: str) -> dict[str, str]:
    return {name: text for name in (*base_names(version.source_name), version.procedure_id)}


# Calendars kept between requests: a calendar works out each year's working days once.
_CALENDARS: dict[tuple[str, tuple[tuple[date, str], ...]], WorkingCalendar] = {}
# A partnership's closure days, by (partnership, its calendar_stamp).
_CLOSURES: dict[tuple[int, str], tuple[tuple[date, str], ...]] = {}


def closures_of(partnership: Partnership) -> tuple[tuple[date, str], ...]:
    """The partnership's own closure days, read again only when its calendar's stamp has
    changed (a closure day saved or deleted) since this process last read them."""
    key = (partnership.pk, partnership.calendar_stamp)
    found = _CLOSURES.get(key)
    if found is None:
        found = tuple(
            ClosureDay.objects.filter(partnership=partnership)
            .order_by("day")
            .values_list("day", "name")
        )
        if len(_CLOSURES) > 4096:
            _CLOSURES.clear()
        _CLOSURES[key] = found
    return found


def calendar_with(procedure: Procedure, closures: tuple[tuple[date, str], ...]) -> WorkingCalendar:
    """The procedure's working-day calendar with these closure days, kept between calls."""
    key = (procedure.key, closures)
    found = _CALENDARS.get(key)
    if found is None:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        found = _CALENDARS[key] = planner.calendar_for(procedure, dict(closures))
    return found


def calendar_of(partnership: Partnership, procedure: Procedure) -> WorkingCalendar:
    return calendar_with(procedure, closures_of(partnership))


# --- the record -------------------------------------------------------------------------


def core_event(event: Event) -> engine.Event:
    """A stored event as the pure core reads it."""
    return engine.Event(
        kind=EventKind(event.kind),
        at=event.at,
        actor=str(event.actor_id or ""),
        stage=event.stage,
        data=event.data,
    )


def disagreement_record(disagreement: Disagreement) -> list[Event]:
    """The record, oldest first, with who did each thing."""
    return _RECORD_OF(disagreement_id=disagreement.pk)


# Read on every case page: compiled to SQL once per process (parley.dbprepared).
_RECORD_OF = Prepared(
    lambda disagreement_id: Event.objects.filter(disagreement_id=disagreement_id).order_by(
        "sequence"
    ),
    related=("actor",),
    # What the page shows of each event and who did it; not when it was stored.
    only=("disagreement", "sequence", "kind", "at", "actor", "stage", "data", "actor__name"),
)


def disagreement_state(
    disagreement: Disagreement, events: Iterable[Event] | None = None
) -> CaseState:
    """The state, worked out afresh from the record (read here unless given, oldest first)."""
    if events is None:
        events = disagreement.events.order_by("sequence")
    return engine.replay((core_event(e) for e in events), procedure_of(disagreement.procedure))


def disagreement_deadlines(
    disagreement: Disagreement, state: CaseState | None = None
) -> list[planner.Deadline]:
    procedure = procedure_of(disagreement.procedure)
    state = state or disagreement_state(disagreement)
    calendar = calendar_of(disagreement.partnership, procedure)
    return planner.case_deadlines(procedure, calendar, state)


def agencies_to_add(disagreement: Disagreement, state: CaseState) -> list[tuple[str, str]]:
    """The partnership's agencies a case may record as involved, beyond its two sides and
    those already added, as (id, name) for a form's choices."""
    taken = {disagreement.raising_agency_id, disagreement.other_agency_id}
    return [
        (str(agency.pk), agency.name)
        for agency in Agency.objects.filter(partnership_id=disagreement.partnership_id).order_by(
            "name"
        )
        if agency.pk not in taken and str(agency.pk) not in state.agencies_involved
    ]


def agency_names(partnership_id: int, ids: Iterable[str]) -> list[tuple[str, str]]:
    """(id, name) of the partnership's agencies among ``ids`` (as a case's record keeps them)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted:
        return []
    found = Agency.objects.filter(partnership_id=partnership_id, pk__in=wanted)
    return [(str(a.pk), a.name) for a in found]
