"""The one door for every change: each write goes through a function here.

Web views, the API, management commands and tests all call these. Each is keyword-only,
atomic, and writes the state and its record together; the rules themselves live in the
pure core (:mod:`parley.core.engine`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from parley.cases import signals
from parley.cases.models import (
    Agency,
    ClosureDay,
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
)
from parley.core import engine, planner
from parley.core.calendar import WorkingCalendar
from parley.core.engine import Actor, CaseState, EventKind, Refused
from parley.core.loader import ProcedureError, check_text
from parley.core.procedure import Procedure, Side
from parley.dbprepared import Prepared

# Roles that act for the partnership rather than for one side of a disagreement.
PARTNERSHIP_ROLES = frozenset(
    {
        "business-manager",
        "board-chair",
        "panel-chair",
        "channel-chair",
        "channel-coordinator",
    }
)


# --- procedures -------------------------------------------------------------------------


# Parsed procedures by (hash of the file, its name): a file is checked once per process.
_PARSED: dict[tuple[str, str], Procedure] = {}
_PARSED_LIMIT = 256


def procedure_of(version: ProcedureVersion) -> Procedure:
    """The parsed procedure of a loaded version. Its text is read from the database (a
    deferred field) only the first time this process meets that file."""
    key = (version.sha256, version.source_name)
    found = _PARSED.get(key)
    if found is None:
        result = check_text(version.source_text, version.source_name)
        if result.procedure is None:
            raise ProcedureError(result.errors)
        found = result.procedure
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = found
    return found


@transaction.atomic
def procedure_load(*, partnership: Partnership, text: str, source_name: str) -> ProcedureVersion:
    """Load a procedure file into a partnership, checked; a changed file needs a new version."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    unchanged = ProcedureVersion.objects.filter(partnership=partnership, sha256=sha).first()
    if unchanged is not None:
        return unchanged  # loaded before, word for word: nothing to check again
    result = check_text(text, source_name)
    if result.procedure is None:
        raise ProcedureError(result.errors)
    procedure = result.procedure
    existing = ProcedureVersion.objects.filter(
        partnership=partnership, procedure_id=procedure.id, version=procedure.version
    ).first()
    if existing is not None:
        if existing.sha256 != sha:
            raise ProcedureError(
                [
                    _problem(
                        source_name,
                        f'version "{procedure.version}" of "{procedure.id}" is already loaded '
                        "with different contents: give the changed file a new version",
                    )
                ]
            )
        return existing
    ProcedureVersion.objects.filter(
        partnership=partnership, procedure_id=procedure.id, is_current=True
    ).update(is_current=False)
    return ProcedureVersion.objects.create(
        partnership=partnership,
        procedure_id=procedure.id,
        version=procedure.version,
        name=procedure.name,
        source_text=text,
        source_name=source_name,
        sha256=sha,
        is_current=True,
    )


def _problem(file: str, message: str) -> Any:
    from parley.core.loader import Problem

    return Problem(file, 0, message)


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


# --- who someone is on a case -----------------------------------------------------------


def actor_for(*, person: Person, disagreement: Disagreement) -> Actor:
    from parley.cases.access import roles_of  # access reads this module at import

    roles = roles_of(person)
    role_names = frozenset(r.role for r in roles)
    sides: set[Side] = set()
    agency_ids = {r.agency_id for r in roles if r.agency_id}
    if person.pk == disagreement.raised_by_id or disagreement.raising_agency_id in agency_ids:
        sides.add(Side.RAISING)
    if (
        person.pk == disagreement.other_professional_id
        or disagreement.other_agency_id in agency_ids
    ):
        sides.add(Side.OTHER)
    procedure = procedure_of(disagreement.procedure)
    partnership_roles = PARTNERSHIP_ROLES | set(procedure.roles)
    if any(r.agency_id is None and r.role in partnership_roles for r in roles):
        sides.add(Side.PARTNERSHIP)
    return Actor(id=str(person.pk), sides=frozenset(sides), roles=role_names)


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
    lambda disagreement_id: (
        Event.objects.filter(disagreement_id=disagreement_id)
        .select_related("actor")
        # What the page shows of each event and who did it; not when it was stored.
        .only("disagreement", "sequence", "kind", "at", "actor", "stage", "data", "actor__name")
        .order_by("sequence")
    )
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


def _append(disagreement: Disagreement, events: Iterable[engine.Event], start: int) -> list[Event]:
    rows = [
        Event(
            disagreement=disagreement,
            sequence=start + index,
            kind=event.kind.value,
            at=event.at,
            actor_id=int(event.actor) if event.actor else None,
            stage=event.stage,
            data=dict(event.data),
        )
        for index, event in enumerate(events)
    ]
    return Event.objects.bulk_create(rows)


def _store_state(
    disagreement: Disagreement, state: CaseState, procedure: Procedure, calendar: WorkingCalendar
) -> list[planner.Deadline]:
    track = procedure.track(state.track)
    disagreement.status = state.status.value
    disagreement.route = state.route.value
    disagreement.stage = state.stage
    disagreement.stage_number = track.stage(state.stage).number
    disagreement.highest_stage_number = max(track.stage(s).number for s in state.stages_reached)
    disagreement.stage_entered_at = state.stage_entered_at
    disagreement.resolved_at = state.resolved_at
    disagreement.closed_at = state.closed_at
    deadlines = planner.case_deadlines(procedure, calendar, state)
    upcoming = planner.next_deadline([d for d in deadlines if not d.advisory])
    disagreement.next_due_at = upcoming.due if upcoming else None
    disagreement.save()
    _store_deadlines(disagreement, deadlines)
    return deadlines


def _store_deadlines(disagreement: Disagreement, deadlines: list[planner.Deadline]) -> None:
    Deadline.objects.filter(disagreement=disagreement).delete()
    Deadline.objects.bulk_create(deadline_rows(disagreement.pk, deadlines))


def deadline_rows(disagreement_id: int, deadlines: Iterable[planner.Deadline]) -> list[Deadline]:
    """The stored rows of a case's deadlines, as the planner worked them out."""
    return [
        Deadline(
            disagreement_id=disagreement_id,
            key=d.key,
            kind=d.kind.value,
            stage=d.stage,
            label=d.label[:300],
            side=d.by.value,
            due_at=d.due,
            met_at=d.met_at,
            advisory=d.advisory,
            rule=d.rule,
            explanation=d.explanation.sentence()[:500],
            start_on=d.start_on,
            working_days=d.working_days,
        )
        for d in deadlines
    ]


# --- raising ----------------------------------------------------------------------------


@transaction.atomic
def disagreement_raise(
    *,
    procedure: ProcedureVersion,
    raised_by: Person,
    raising_agency: Agency,
    other_agency: Agency,
    summary: str,
    at: datetime | None = None,
    track: str | None = None,
    immediate_risk: bool = False,
    start_stage: str | None = None,
    informal: bool = False,
    on_behalf_of: str = "",
    other_professional: Person | None = None,
    other_professional_name: str = "",
    category: str = "",
    evidence: str = "",
    outcome_sought: str = "",
    subject_name: str = "",
    subject_date_of_birth: date | None = None,
    subject_nhs_number: str = "",
    subject_client_reference: str = "",
    subject_gp: str = "",
    request_key: str | None = None,
) -> Disagreement:
    """Raise a disagreement. ``request_key`` makes a repeated submission return the first."""
    if request_key:
        existing = Disagreement.objects.filter(request_key=request_key).first()
        if existing is not None:
            return existing
    at = at or timezone.now()
    if not summary.strip():
        raise Refused("Enter what the disagreement is about")
    if raising_agency.pk == other_agency.pk:
        raise Refused("A disagreement inside one agency goes through that agency's own procedure")
    partnership = procedure.partnership
    if (
        raising_agency.partnership_id != partnership.pk
        or other_agency.partnership_id != partnership.pk
    ):
        raise Refused("Both agencies must belong to the partnership")
    core = procedure_of(procedure)
    roles = frozenset(raised_by.roles.values_list("role", flat=True))
    actor = Actor(id=str(raised_by.pk), sides=frozenset({Side.RAISING}), roles=roles)
    events = engine.raise_case(
        core,
        actor=actor,
        at=at,
        track=track,
        immediate_risk=immediate_risk,
        start_stage=start_stage,
        informal=informal,
        on_behalf_of=on_behalf_of,
    )
    first = events[0]
    disagreement = Disagreement(
        partnership=partnership,
        procedure=procedure,
        reference=f"pending-{uuid.uuid4().hex}",  # the real one needs the primary key
        track=str(first.data["track"]),
        stage=first.stage,
        stage_entered_at=at,
        raised_at=at,
        raised_by=raised_by,
        raised_on_behalf_of=on_behalf_of,
        raising_agency=raising_agency,
        other_agency=other_agency,
        other_professional=other_professional,
        other_professional_name=other_professional_name,
        category=category,
        summary=summary,
        evidence=evidence,
        outcome_sought=outcome_sought,
        subject_name=subject_name,
        subject_date_of_birth=subject_date_of_birth,
        subject_nhs_number=subject_nhs_number,
        subject_client_reference=subject_client_reference,
        subject_gp=subject_gp,
        request_key=request_key or None,
    )
    try:
        with transaction.atomic():
            disagreement.save()
    except IntegrityError:
        if request_key:
            return Disagreement.objects.get(request_key=request_key)
        raise
    disagreement.reference = f"{core.id.upper()}-{disagreement.pk:06d}"
    rows = _append(disagreement, events, start=1)
    state = engine.replay(events, core)
    _store_state(disagreement, state, core, calendar_of(partnership, core))
    signals.case_recorded.send(
        Disagreement, disagreement=disagreement, procedure=core, record=list(events),
        new=list(events),
    )  # fmt: skip
    _notify(disagreement=disagreement, before=None, after=state, events=rows)
    return disagreement


# --- acting on a disagreement -----------------------------------------------------------


@transaction.atomic
def disagreement_act(
    *,
    disagreement: Disagreement,
    person: Person,
    kind: EventKind,
    at: datetime | None = None,
    **fields: Any,
) -> list[Event]:
    """Take one action on a disagreement, if the procedure allows it this person, now."""
    at = at or timezone.now()
    locked = Disagreement.objects.select_for_update().get(pk=disagreement.pk)
    procedure = procedure_of(locked.procedure)
    calendar = calendar_of(locked.partnership, procedure)
    past = list(locked.events.order_by("sequence"))
    state = engine.replay((core_event(e) for e in past), procedure)
    overdue = planner.is_overdue(planner.case_deadlines(procedure, calendar, state), at)
    actor = actor_for(person=person, disagreement=locked)
    events = engine.take(procedure, state, kind, actor=actor, at=at, overdue=overdue, **fields)
    rows = _append(locked, events, start=len(past) + 1)
    before = state
    for event in events:
        state = engine.apply(state, event, procedure)
    if kind is EventKind.RESOLVED:
        locked.outcome = str(fields.get("outcome", ""))
        locked.outstanding = str(fields.get("outstanding", ""))
    _store_state(locked, state, procedure, calendar)
    signals.case_recorded.send(
        Disagreement, disagreement=locked, procedure=procedure,
        record=[*(core_event(e) for e in past), *events], new=list(events),
    )  # fmt: skip
    _notify(disagreement=locked, before=before, after=state, events=rows)
    disagreement.refresh_from_db()
    return rows


def _notify(
    *, disagreement: Disagreement, before: CaseState | None, after: CaseState, events: list[Event]
) -> None:
    """The notifications a change implies, written in its transaction (the outbox)."""
    # Imported here: the notifications app reads cases.services.
    from parley.notifications.services import notifications_for_change

    notifications_for_change(disagreement=disagreement, before=before, after=after, events=events)


def disagreement_escalate(
    *, disagreement: Disagreement, person: Person, reason: str, text: str = "",
    at: datetime | None = None,
) -> list[Event]:  # fmt: skip
    return disagreement_act(
        disagreement=disagreement, person=person, kind=EventKind.ESCALATED, at=at,
        reason=reason, text=text,
    )  # fmt: skip


def disagreement_bypass(
    *, disagreement: Disagreement, person: Person, to_stage: str, reason: str,
    at: datetime | None = None,
) -> list[Event]:  # fmt: skip
    return disagreement_act(
        disagreement=disagreement, person=person, kind=EventKind.BYPASSED, at=at,
        to_stage=to_stage, reason=reason,
    )  # fmt: skip


def disagreement_resolve(
    *, disagreement: Disagreement, person: Person, outcome: str, outstanding: str,
    at: datetime | None = None,
) -> list[Event]:  # fmt: skip
    return disagreement_act(
        disagreement=disagreement, person=person, kind=EventKind.RESOLVED, at=at,
        outcome=outcome, outstanding=outstanding,
    )  # fmt: skip


def disagreement_close(
    *, disagreement: Disagreement, person: Person, at: datetime | None = None
) -> list[Event]:
    return disagreement_act(disagreement=disagreement, person=person, kind=EventKind.CLOSED, at=at)


# --- purging the record (retention only) ------------------------------------------------


@contextmanager
def purge_permit() -> Iterator[None]:
    """Let this transaction delete record rows: the retention path, and nothing else.

    The database refuses to delete events without it (migration 0002).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("a purge permit lasts one transaction: open one first")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL parley.purge = 'on'")
            yield
            cursor.execute("SET LOCAL parley.purge = 'off'")
        else:
            cursor.execute("INSERT INTO cases_purge_permit DEFAULT VALUES")
            try:
                yield
            finally:
                cursor.execute("DELETE FROM cases_purge_permit")


# --- calendar changes -------------------------------------------------------------------


@transaction.atomic
def closure_day_add(*, partnership: Partnership, day: date, name: str) -> int:
    """Add a closure day and move the deadlines of open cases that have not yet passed.

    Returns how many cases' deadlines moved; each such case's record says so.
    """
    ClosureDay.objects.update_or_create(partnership=partnership, day=day, defaults={"name": name})
    return deadlines_recompute(
        partnership=partnership, reason=f"{name} ({day:%-d %B %Y}) added as a closure day"
    )


def deadlines_recompute(
    *, partnership: Partnership, reason: str, at: datetime | None = None, replay_all: bool = False
) -> int:
    """Move the deadlines of open cases after the partnership's calendar changed; how many
    cases' deadlines moved. Each such case's record says what moved and why.

    Deadlines the planner could describe as "n working days after day 0" are worked out
    again for every open case at once, with numpy's working-day arithmetic over the new
    calendar (:meth:`WorkingCalendar.add_working_days_bulk`): one pass for each procedure
    version. Only the cases where one moved, or with a deadline that cannot be worked out
    that way (an hours limit), are worked out again from their record. ``replay_all``
    works every open case out from its record instead: the slow reference the tests
    compare with.
    """
    at = at or timezone.now()
    # The calendar has just changed: its stamp on this object may be older than the row's.
    partnership.refresh_from_db(fields=["calendar_stamp"])
    cases = Disagreement.objects.filter(partnership=partnership, status=Disagreement.Status.OPEN)
    if replay_all:
        todo = set(cases.values_list("pk", flat=True))
    else:
        todo = _deadlines_that_move(partnership, cases, at)
    moved = 0
    chosen = (
        cases.filter(pk__in=sorted(todo))
        .select_related("procedure", "partnership")
        .defer("procedure__source_text")
    )
    for disagreement in chosen.order_by("pk"):
        moved += _deadlines_move(disagreement, reason=reason, at=at)
    return moved


def _deadlines_that_move(partnership: Partnership, cases: Any, at: datetime) -> set[int]:
    """The open cases with a deadline still to come that the new calendar moves, or that
    only their record can say (no bulk fields)."""
    todo: set[int] = set()
    versions = ProcedureVersion.objects.filter(pk__in=cases.values("procedure_id"))
    for version in versions:
        procedure = procedure_of(version)
        calendar = calendar_of(partnership, procedure)
        rows = Deadline.objects.filter(
            disagreement__in=cases.filter(procedure=version), due_at__gt=at
        )
        todo.update(
            rows.filter(working_days__isnull=True).values_list("disagreement_id", flat=True)
        )
        bulk = list(
            rows.filter(working_days__isnull=False)
            .annotate(due_on=TruncDate("due_at", tzinfo=ZoneInfo(calendar.timezone)))
            .values_list("disagreement_id", "start_on", "working_days", "due_on")
        )
        if not bulk:
            continue
        case_ids, starts, counts, dues = zip(*bulk, strict=True)
        again = due_days(calendar, starts, counts)
        moved = again != np.asarray(dues, dtype="datetime64[D]")
        todo.update(np.asarray(case_ids)[moved].tolist())
    return todo


def due_days(calendar: WorkingCalendar, starts: Iterable[date], counts: Iterable[int]) -> Any:
    """The due day of each deadline from its bulk fields, under ``calendar``: the numpy
    pass :func:`deadlines_recompute` makes (and ``bench/overdue_and_recompute.py`` times)."""
    return calendar.add_working_days_bulk(
        np.asarray(list(starts), dtype="datetime64[D]"), np.asarray(list(counts), dtype=np.int64)
    )


def _deadlines_move(disagreement: Disagreement, *, reason: str, at: datetime) -> int:
    """Work one case's deadlines out again from its record; 1 if any still to come moved."""
    before = {d.key: d.due_at for d in disagreement.deadlines.all()}
    procedure = procedure_of(disagreement.procedure)
    calendar = calendar_of(disagreement.partnership, procedure)
    state = disagreement_state(disagreement)
    deadlines = planner.case_deadlines(procedure, calendar, state)
    changes = {
        d.key: [before[d.key].isoformat(), d.due.isoformat()]
        for d in deadlines
        if d.key in before and before[d.key] != d.due and before[d.key] > at
    }
    if not changes:
        return 0
    sequence = disagreement.events.count() + 1
    _append(
        disagreement,
        [
            engine.Event(
                EventKind.DEADLINES_MOVED, at, "", state.stage,
                {"reason": reason, "moved": changes},
            )
        ],
        start=sequence,
    )  # fmt: skip
    _store_state(disagreement, state, procedure, calendar)
    return 1
