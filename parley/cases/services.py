"""The one door for every change: each write goes through a function here.

Web views, the API, management commands and tests all call these. Each is keyword-only,
atomic, and writes the state and its record together; the rules themselves live in the
pure core (:mod:`parley.core.engine`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone

from parley.cases import hooks
from parley.cases.access import agencies_involved, core_roles, roles_of, rungs_for
from parley.cases.models import (
    Agency,
    ClosureDay,
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
    RoleAssignment,
    Submission,
)
from parley.cases.selectors import (
    calendar_of,
    core_event,
    disagreement_deadlines,
    disagreement_state,
    layer_by_names,
    layers_of,
    procedure_of,
)
from parley.core import engine, planner
from parley.core.calendar import WorkingCalendar
from parley.core.engine import Actor, CaseState, EventKind, Refused
from parley.core.loader import (
    CheckResult,
    Problem,
    ProcedureError,
    base_names,
    check_text,
    extends_of,
)
from parley.core.procedure import Procedure
from parley.core.roles import Holding, actor_of, role_anywhere, stage_holders, stand_ins
from parley.core.words import long_date
from parley.dbbulk import rows_insert


class Stale(Refused):
    """An action filled in against a version of the case that has since moved on."""

    def __init__(self, reason: str, *, version: int) -> None:
        super().__init__(reason)
        self.version = version


# --- procedures -------------------------------------------------------------------------


def _published_base(partnership: Partnership, target: str) -> ProcedureVersion | None:
    """The version in use of the procedure a local file extends, found by its file's name
    or its id."""
    names = set(base_names(target))
    for version in ProcedureVersion.objects.filter(partnership=partnership, is_current=True):
        if version.source_name in names or version.procedure_id in names:
            return version
    return None


@transaction.atomic
def procedure_load(
    *, partnership: Partnership, text: str, source_name: str, via: str = ""
) -> ProcedureVersion:
    """Load a procedure file into a partnership, checked; a changed file needs a new version.

    For Parley's own loads (the demo, the generator, tests); a person publishes through
    :func:`procedure_publish`, which the audit trail records."""
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
        published_via=via,
    )


def _problem(file: str, message: str) -> Any:
    return Problem(file, 0, message)


@dataclass(frozen=True)
class ProcedureCheck:
    """What publishing a file into a partnership would do, worked out and written nowhere."""

    result: CheckResult
    problems: list[Problem]  # the file's errors, and a clash with a version already loaded
    current: ProcedureVersion | None  # the version of that procedure in use now
    unchanged: ProcedureVersion | None  # this very file, published before
    base: ProcedureVersion | None = None  # for a local file, the regional version under it
    # The local procedures laid over this one, each checked over the new version: they are
    # merged again when it is published (those that still pass).
    locals: tuple[tuple[ProcedureVersion, CheckResult], ...] = ()

    @property
    def procedure(self) -> Procedure | None:
        return self.result.procedure if not self.problems else None

    @property
    def ok(self) -> bool:
        return self.procedure is not None


def procedure_check(
    *, partnership: Partnership, text: str, source_name: str, base_dir: Any = None
) -> ProcedureCheck:
    """Check a file as publishing it would: the loader's checks, then against the versions
    of the partnership's procedures already published."""
    target = extends_of(text)
    base = _published_base(partnership, target) if target is not None else None
    if target is not None:
        # Laid over what the partnership has published, never over a file on a disk.
        bases = {**layers_of(base), **layer_by_names(base, _text_of(base))} if base else {}
        result = check_text(text, source_name, bases=bases)
    elif base_dir is not None:
        result = check_text(text, source_name, base_dir=base_dir)
    else:
        result = check_text(text, source_name)
    problems = list(result.errors)
    current = unchanged = None
    procedure = result.procedure
    if procedure is not None and not problems:
        versions = ProcedureVersion.objects.filter(
            partnership=partnership, procedure_id=procedure.id
        ).select_related("published_by")
        current = next((v for v in versions if v.is_current), None)
        same = next((v for v in versions if v.version == procedure.version), None)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if same is not None and same.sha256 == sha and same.is_current:
            unchanged = same
        elif same is not None:
            when = timezone.localtime(same.loaded_at).strftime("%-d %B %Y")
            problems.append(
                Problem(
                    source_name,
                    _line_of(text, "version"),
                    f'version "{procedure.version}" of "{procedure.id}" was published on {when}'
                    + (
                        " with different contents"
                        if same.sha256 != sha
                        else ", and a later version is in use now"
                    )
                    + ': give this file a new "version" to publish it',
                )
            )
    locals_: list[tuple[ProcedureVersion, CheckResult]] = []
    if procedure is not None and not problems and unchanged is None:
        bases = {
            **layers_of_text(partnership, text),
            **_named_text(procedure.id, source_name, text),
        }
        for local in ProcedureVersion.objects.filter(
            partnership=partnership, is_current=True, base__procedure_id=procedure.id
        ).defer(None):
            locals_.append((local, check_text(local.source_text, local.source_name, bases=bases)))
    return ProcedureCheck(result, problems, current, unchanged, base, tuple(locals_))


def _text_of(version: ProcedureVersion) -> str:
    return ProcedureVersion.objects.defer(None).get(pk=version.pk).source_text


def _named_text(procedure_id: str, source_name: str, text: str) -> dict[str, str]:
    return {name: text for name in (*base_names(source_name), procedure_id)}


def layers_of_text(partnership: Partnership, text: str) -> dict[str, str]:
    """What a file not yet published would be laid over, if it extends one."""
    target = extends_of(text)
    base = _published_base(partnership, target) if target is not None else None
    return {**layers_of(base), **layer_by_names(base, _text_of(base))} if base else {}


def _line_of(text: str, key: str) -> int:
    """The line a top-level setting is on, for a problem that is about it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 0


@transaction.atomic
def procedure_publish(
    *,
    partnership: Partnership,
    text: str,
    source_name: str,
    by: Person | None,
    via: str,
    request: Any = None,
    base_dir: Any = None,
) -> tuple[ProcedureVersion, bool]:
    """Publish a new version of one of the partnership's procedures, checked: it becomes the
    version new cases are raised under; open cases keep theirs. Returns the version and
    whether it is new (the same file published again changes nothing)."""
    checked = procedure_check(
        partnership=partnership, text=text, source_name=source_name, base_dir=base_dir
    )
    procedure = checked.procedure
    if procedure is None:
        raise ProcedureError(checked.problems or checked.result.problems)
    if checked.unchanged is not None:
        return checked.unchanged, False
    ProcedureVersion.objects.filter(
        partnership=partnership, procedure_id=procedure.id, is_current=True
    ).update(is_current=False)
    version = ProcedureVersion.objects.create(
        partnership=partnership,
        procedure_id=procedure.id,
        version=procedure.version,
        name=procedure.name,
        source_text=text,
        source_name=source_name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        is_current=True,
        published_by=by,
        published_via=via,
        base=checked.base,
    )
    hooks.run_published(
        hooks.Published(
            version=version,
            procedure=procedure,
            person=by,
            action="publish",
            previous=checked.current,
            request=request,
            via=via,
        )
    )
    for local, merged in checked.locals:
        if merged.procedure is not None:
            _remerge(local, merged.procedure, over=version, by=by, via=via, request=request)
    return version, True


def _remerge(
    local: ProcedureVersion,
    procedure: Procedure,
    *,
    over: ProcedureVersion,
    by: Person | None,
    via: str,
    request: Any,
) -> ProcedureVersion | None:
    """A local procedure laid again over a new version of the regional one it extends: a
    new local version, named for both ("2026-1+2027-1"), its file unchanged. Parley's
    choice: the local file's own version stays as its author wrote it."""
    label = f"{procedure.version}+{over.version}"[:40]
    if ProcedureVersion.objects.filter(
        partnership_id=local.partnership_id, procedure_id=local.procedure_id, version=label
    ).exists():
        return None
    ProcedureVersion.objects.filter(pk=local.pk).update(is_current=False)
    version = ProcedureVersion.objects.create(
        partnership_id=local.partnership_id,
        procedure_id=local.procedure_id,
        version=label,
        name=procedure.name,
        source_text=local.source_text,
        source_name=local.source_name,
        sha256=local.sha256,
        is_current=True,
        published_by=by,
        published_via=via,
        base=over,
    )
    hooks.run_published(
        hooks.Published(
            version=version,
            procedure=procedure,
            person=by,
            action="publish",
            previous=local,
            request=request,
            via=via,
            detail={"merged_over": f"{over.procedure_id}@{over.version}"},
        )
    )
    return version


def may_publish(person: Person | None, partnership: Partnership) -> bool:
    """Whether the roles table gives this person the partnership's procedure pages (the
    ``procedures`` column: publishing, versions, moving open cases)."""
    if person is None or person.partnership_id != partnership.pk:
        return False
    roles = RoleAssignment.objects.filter(person=person, agency__isnull=True)
    return any(role_anywhere(role).procedures for role in roles.values_list("role", flat=True))


def disagreement_version_change(
    *,
    disagreement: Disagreement,
    version: ProcedureVersion,
    person: Person,
    at: datetime | None = None,
    request: Any = None,
    via: str = "web",
) -> Disagreement:
    """Move an open case onto another version of its procedure, through the one door: the
    case is locked, its whole record must read the same under the new version
    (:func:`parley.core.engine.version_change_refusal`), the move is written on its record
    with who did it, its deadlines are worked out again, and its hooks run."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = (
            Disagreement.objects.select_for_update()
            .select_related("procedure", "partnership")
            .get(pk=disagreement.pk)
        )
        if not may_publish(person, locked.partnership):
            raise Refused("Only the partnership's business manager can move cases between versions")
        if locked.status != Disagreement.Status.OPEN:
            raise Refused(f"{locked.reference} is no longer open: it keeps its version")
        if (
            version.partnership_id != locked.partnership_id
            or version.procedure_id != locked.procedure.procedure_id
        ):
            raise Refused(f"{version} is not a version of {locked.reference}'s procedure")
        if version.pk == locked.procedure_id:
            raise Refused(f"{locked.reference} is on version {version.version} already")
        old, new = procedure_of(locked.procedure), procedure_of(version)
        past = list(locked.events.order_by("sequence"))
        record = [core_event(e) for e in past]
        reason = engine.version_change_refusal(record, new)
        if reason is not None:
            raise Refused(f"{locked.reference} cannot move to version {new.version}: {reason}")
        # The record as the new version reads it (the same stages, as checked above), so
        # that the hooks see the move as one event on it.
        before = engine.replay(record, new)
        moved = engine.Event(
            EventKind.VERSION_CHANGED,
            at,
            str(person.pk),
            before.stage,
            {"from_version": old.version, "to_version": new.version},
        )
        after = engine.apply(before, moved, new)
        locked.procedure = version
        rows = _append(locked, [moved], start=len(past) + 1)
        _store_state(
            locked, after, new, calendar_of(locked.partnership, new), version=rows[-1].sequence
        )
        hooks.run(
            hooks.Change(
                disagreement=locked,
                procedure=new,
                person=person,
                action=EventKind.VERSION_CHANGED.value,
                before=before,
                after=after,
                record=[*record, moved],
                new=rows,
                request=request,
                via=via,
                detail={"from_version": old.version, "to_version": new.version},
            )
        )
    return locked


# --- who someone is on a case -----------------------------------------------------------


def actor_for(
    *, person: Person, disagreement: Disagreement, state: CaseState | None = None
) -> Actor:
    """Who this person is on this case: their roles in its two agencies and for the
    partnership, and whether they are a party to it (parley.core.roles). ``state``: the
    case's state, if already worked out from its record (its agencies involved are then
    read from it rather than asked of the database)."""

    own, proxies = core_roles(roles_of(person), disagreement.procedure.procedure_id)
    return actor_of(
        person_id=str(person.pk),
        assignments=own,
        proxies=proxies,
        raising_agency=str(disagreement.raising_agency_id),
        other_agency=str(disagreement.other_agency_id),
        raised_by=str(disagreement.raised_by_id),
        other_professional=str(disagreement.other_professional_id or ""),
        stand_in_for_other=rungs_for(disagreement.procedure).unnamed_other,
        involved_agencies=(
            agencies_involved(disagreement) if state is None else set(state.agencies_involved)
        ),
    )


def raiser_actor(
    *, person: Person, procedure_id: str, raising_agency: Agency, other_agency: Agency
) -> Actor:
    """The person raising a case, as the rules for raising see them."""
    own, proxies = core_roles(RoleAssignment.objects.filter(person=person), procedure_id)
    return actor_of(
        person_id=str(person.pk),
        assignments=own,
        proxies=proxies,
        raising_agency=str(raising_agency.pk),
        other_agency=str(other_agency.pk),
        raised_by=str(person.pk),
    )


# --- the record -------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseNow:
    """A case as one person stands to it now: its state, its deadlines, who they are on it,
    what they may do, and who holds it. Pages and the API read it from
    :func:`disagreement_now` and nowhere else."""

    procedure: Procedure
    state: CaseState
    deadlines: list[planner.Deadline]
    actor: Actor
    overdue: bool
    allowed: list[EventKind]
    holding: list[Holding]


def disagreement_now(
    disagreement: Disagreement,
    person: Person,
    *,
    at: datetime,
    events: Iterable[Event] | None = None,
) -> CaseNow:
    """What a person may do on a case now, and who holds it: the core's answers
    (:func:`parley.core.engine.allowed_actions`, :func:`parley.core.roles.stage_holders`)
    for the case as its record has it. ``events``: the record, if already read."""
    procedure = procedure_of(disagreement.procedure)
    state = disagreement_state(disagreement, events)
    deadlines = disagreement_deadlines(disagreement, state)
    actor = actor_for(person=person, disagreement=disagreement, state=state)
    overdue = planner.is_overdue(deadlines, at)
    stage = procedure.track(state.track).stage(state.stage)
    open_now = state.status is engine.Status.OPEN
    return CaseNow(
        procedure=procedure,
        state=state,
        deadlines=deadlines,
        actor=actor,
        overdue=overdue,
        allowed=engine.allowed_actions(procedure, state, actor, at=at, overdue=overdue),
        holding=stage_holders(stage, (step for step, _ in state.completed)) if open_now else [],
    )


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


def stored_fields(
    procedure: Procedure, calendar: WorkingCalendar, state: CaseState
) -> tuple[dict[str, Any], list[planner.Deadline]]:
    """The fields a case's stored state keeps, worked out from its state, and its deadlines
    as the planner has them."""
    track = procedure.track(state.track)
    deadlines = planner.case_deadlines(procedure, calendar, state)
    upcoming = planner.next_deadline([d for d in deadlines if not d.advisory])
    fields = {
        "track": state.track,
        "status": state.status.value,
        "route": state.route.value,
        "stage": state.stage,
        "stage_number": track.stage(state.stage).number,
        "highest_stage_number": max(track.stage(s).number for s in state.stages_reached),
        "stage_entered_at": state.stage_entered_at,
        "raised_at": state.raised_at,
        "resolved_at": state.resolved_at,
        "closed_at": state.closed_at,
        "next_due_at": upcoming.due if upcoming else None,
    }
    return fields, deadlines


def _state_onto(
    disagreement: Disagreement,
    state: CaseState,
    procedure: Procedure,
    calendar: WorkingCalendar,
    *,
    version: int,
) -> list[planner.Deadline]:
    """Set a case's stored state from its state; its deadlines, as the planner has them."""
    fields, deadlines = stored_fields(procedure, calendar, state)
    for name, value in fields.items():
        setattr(disagreement, name, value)
    disagreement.version = version
    return deadlines


def _store_state(
    disagreement: Disagreement,
    state: CaseState,
    procedure: Procedure,
    calendar: WorkingCalendar,
    *,
    version: int,
) -> list[planner.Deadline]:
    deadlines = _state_onto(disagreement, state, procedure, calendar, version=version)
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
            source=d.source[:500],
            start_on=d.start_on,
            working_days=d.working_days,
        )
        for d in deadlines
    ]


# --- raising ----------------------------------------------------------------------------


def reference_next(partnership: Partnership, procedure: Procedure) -> str:
    """The next reference of this partnership's numbering (``TWSP-000042``). The counter's
    row is updated in the raise's transaction, so two raises never share a number."""
    Partnership.objects.filter(pk=partnership.pk).update(last_case_number=F("last_case_number") + 1)
    number = Partnership.objects.filter(pk=partnership.pk).values_list(
        "last_case_number", flat=True
    )[0]
    return f"{procedure.id.upper()}-{number:06d}"


def other_agency_of(procedure: Procedure, raising: Agency, other: Agency | None) -> Agency:
    """The agency a disagreement is with: the raising agency itself under a single-agency
    procedure (a reviewing officer challenging their own agency), otherwise the one
    chosen."""
    if procedure.single_agency:
        return raising
    if other is None:
        raise Refused("Choose the agency you disagree with")
    return other


@transaction.atomic
def disagreement_raise(
    *,
    procedure: ProcedureVersion,
    raised_by: Person,
    raising_agency: Agency,
    other_agency: Agency | None,
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
    raising_team: str = "",
    answers: Mapping[str, str] | None = None,
    request_key: str | None = None,
    request: Any = None,
    via: str = "command",
) -> Disagreement:
    """Raise a disagreement if the procedure's rules allow this person to; a repeated
    ``request_key`` returns the first. State, record, audit and notices are written as one."""
    existing = _raised_already(request_key)
    if existing is not None:
        return existing
    at = at or timezone.now()
    partnership = procedure.partnership
    other_agency = other_agency_of(core := procedure_of(procedure), raising_agency, other_agency)
    _check_raise_parties(partnership, raised_by, raising_agency, other_agency)
    events = engine.raise_case(
        core,
        actor=raiser_actor(
            person=raised_by,
            procedure_id=core.id,
            raising_agency=raising_agency,
            other_agency=other_agency,
        ),
        at=at,
        raising=engine.Raising(
            raising_agency=str(raising_agency.pk),
            other_agency=str(other_agency.pk),
            summary=summary,
            category=category,
            subject_nhs_number=subject_nhs_number,
            subject_date_of_birth=subject_date_of_birth,
            answers=dict(answers or {}),
        ),
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
        reference=reference_next(partnership, core),
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
        raising_team=raising_team,
        request_key=request_key or None,
    )
    if (found := _saved_unless_raised(disagreement)) is not None:
        return found
    rows = _append(disagreement, events, start=1)
    state = engine.replay(events, core)
    _store_state(disagreement, state, core, calendar_of(partnership, core), version=len(rows))
    change = hooks.Change(  # disagreement, procedure, person, action, before, after, ...
        disagreement, core, raised_by, "raise", None, state, list(events), rows, request, via
    )
    hooks.run(change)
    return disagreement


def _saved_unless_raised(disagreement: Disagreement) -> Disagreement | None:
    """Save a new disagreement; or, where the same submission was raised by another request
    a moment before this one, leave it unsaved and return that one."""
    try:
        with transaction.atomic():
            disagreement.save()
    except IntegrityError:
        if (found := _raised_already(disagreement.request_key)) is not None:
            return found
        raise
    return None


def _raised_already(request_key: str | None) -> Disagreement | None:
    """The disagreement a submission with this key raised already, if any."""
    if not request_key:
        return None
    return Disagreement.objects.filter(request_key=request_key).first()


def _check_raise_parties(
    partnership: Partnership, raised_by: Person, raising_agency: Agency, other_agency: Agency
) -> None:
    """Both agencies and the person raising it are the partnership's, and the other side
    is an agency, not the partnership's business unit."""
    if (
        raising_agency.partnership_id != partnership.pk
        or other_agency.partnership_id != partnership.pk
        or raised_by.partnership_id != partnership.pk
    ):
        raise Refused("Both agencies must belong to the partnership")
    if other_agency.kind == Agency.Kind.PARTNERSHIP:
        raise Refused("A disagreement is with an agency, not with the partnership's business unit")


# --- acting on a disagreement -----------------------------------------------------------


@transaction.atomic
def disagreement_act(
    *,
    disagreement: Disagreement,
    person: Person,
    kind: EventKind,
    version: int | None = None,
    request_key: str | None = None,
    request: Any = None,
    via: str = "command",
    at: datetime | None = None,
    **fields: Any,
) -> list[Event]:
    """Take one action on a disagreement, if the procedure allows this person it, now.

    ``version`` is the version of the case the person acted on (the length of its record
    when their page was drawn or their API call read it): if the case has moved on since,
    the action is refused with :class:`Stale`, saying where it is now. ``None`` is for
    callers acting on the case as it is (commands, the demo). ``request_key`` makes a
    repeated submission return the first result instead of writing it again. The state,
    the record, the audit entry and the notifications are written together, or nothing
    is.
    """
    at = at or timezone.now()
    if request_key:
        done = _submitted(request_key, disagreement=disagreement, person=person)
        if done is not None:
            return done
    locked = (
        Disagreement.objects.select_for_update()
        .select_related("procedure", "partnership")
        .get(pk=disagreement.pk)
    )
    procedure = procedure_of(locked.procedure)
    calendar = calendar_of(locked.partnership, procedure)
    past = list(locked.events.order_by("sequence"))
    record = [core_event(e) for e in past]
    state = engine.replay(record, procedure)
    if version is not None and _moved_on_since(record, version):
        raise Stale(engine.moved_on_words(procedure, state, via), version=len(past))
    deadlines = planner.case_deadlines(procedure, calendar, state)
    overdue = planner.is_overdue(deadlines, at)
    actor = actor_for(person=person, disagreement=locked, state=state)
    ends = planner.stage_ends(deadlines, state.stage)
    if kind is EventKind.AGENCY_INVOLVED:
        engine.acting_for(procedure, state, kind, actor)  # whose it is, before which agency
        fields["agency"] = _agency_involved(locked, fields.get("agency"))
    events = engine.take(
        procedure, state, kind, actor=actor, at=at, overdue=overdue, stage_ends=ends, **fields
    )
    rows = _append(locked, events, start=len(past) + 1)
    before = state
    for event in events:
        state = engine.apply(state, event, procedure)
    if kind is EventKind.RESOLVED:
        locked.outcome = str(fields.get("outcome", ""))
        locked.outstanding = str(fields.get("outstanding", ""))
    _store_state(locked, state, procedure, calendar, version=rows[-1].sequence)
    if request_key:
        Submission.objects.create(
            key=request_key,
            disagreement=locked,
            person=person,
            kind=kind.value,
            first_sequence=rows[0].sequence,
            last_sequence=rows[-1].sequence,
        )
    hooks.run(
        hooks.Change(
            disagreement=locked,
            procedure=procedure,
            person=person,
            action=kind.value,
            before=before,
            after=state,
            record=[*record, *events],
            new=rows,
            request=request,
            via=via,
        )
    )
    disagreement.refresh_from_db()
    return rows


def _agency_involved(disagreement: Disagreement, agency: Any) -> str:
    """The id of an agency of the case's partnership, beyond its two sides, that the case
    records as involved (for a meeting of every agency involved)."""
    found = (
        Agency.objects.filter(
            partnership_id=disagreement.partnership_id, pk=str(agency or "")
        ).first()
        if str(agency or "").isdigit()
        else None
    )
    if found is None:
        raise Refused("Choose an agency of this partnership")
    if found.pk in (disagreement.raising_agency_id, disagreement.other_agency_id):
        raise Refused(f"{found.name} is one of the two sides of this disagreement already")
    return str(found.pk)


def _moved_on_since(record: list[engine.Event], version: int) -> bool:
    """Has the case moved on since the version a person acted on? A version the case never
    had counts as moved on."""
    if version == len(record):
        return False
    return version > len(record) or engine.moved_on(record[version:])


def submission_key(via: str, person: Person, key: str) -> str:
    """The stored key of a submission: the client's own key, namespaced by the door and
    the person, so that one person's key never finds another's result."""
    return hashlib.sha256(f"{via}:{person.pk}:{key}".encode()).hexdigest()


def submitted(key: str, *, disagreement: Disagreement) -> bool:
    """Has a submission with this (stored) key been taken on this case already?"""
    return Submission.objects.filter(key=key, disagreement=disagreement).exists()


def _submitted(key: str, *, disagreement: Disagreement, person: Person) -> list[Event] | None:
    """The rows a submission with this key wrote before, if there was one."""
    done = Submission.objects.filter(key=key).first()
    if done is None:
        return None
    if done.disagreement_id != disagreement.pk or done.person_id != person.pk:
        raise Refused("This form was sent before for something else: open the page again")
    return list(
        Event.objects.filter(
            disagreement_id=done.disagreement_id,
            sequence__gte=done.first_sequence,
            sequence__lte=done.last_sequence,
        ).order_by("sequence")
    )


def disagreement_escalate(
    *,
    disagreement: Disagreement,
    person: Person,
    reason: str,
    text: str = "",
    at: datetime | None = None,
    version: int | None = None,
) -> list[Event]:
    return disagreement_act(
        disagreement=disagreement,
        person=person,
        kind=EventKind.ESCALATED,
        at=at,
        version=version,
        reason=reason,
        text=text,
    )


def disagreement_bypass(
    *,
    disagreement: Disagreement,
    person: Person,
    to_stage: str,
    reason: str,
    at: datetime | None = None,
    version: int | None = None,
) -> list[Event]:
    return disagreement_act(
        disagreement=disagreement,
        person=person,
        kind=EventKind.BYPASSED,
        at=at,
        version=version,
        to_stage=to_stage,
        reason=reason,
    )


def disagreement_resolve(
    *,
    disagreement: Disagreement,
    person: Person,
    outcome: str,
    outstanding: str,
    at: datetime | None = None,
    version: int | None = None,
) -> list[Event]:
    return disagreement_act(
        disagreement=disagreement,
        person=person,
        kind=EventKind.RESOLVED,
        at=at,
        version=version,
        outcome=outcome,
        outstanding=outstanding,
    )


def disagreement_close(
    *,
    disagreement: Disagreement,
    person: Person,
    at: datetime | None = None,
    version: int | None = None,
) -> list[Event]:
    return disagreement_act(
        disagreement=disagreement, person=person, kind=EventKind.CLOSED, at=at, version=version
    )


# --- importing history in bulk ---------------------------------------------------------


@dataclass
class Played:
    """A disagreement played through the rules elsewhere (the report generator's synthetic
    history), to bring in: the case's people, agencies and words, unsaved, and its record.
    The door works out its reference and stored state."""

    case: Disagreement
    record: list[engine.Event]


def disagreements_import(
    *,
    version: ProcedureVersion,
    played: Sequence[Played],
    copy: bool = False,
    via: str = "generator",
) -> list[Disagreement]:
    """Bring in many disagreements at once, each checked as the one door checks a change.

    Every record must start with the event that raised it and every later action must
    be one the engine's gate lets its actor take at that point, with the actor as the
    directory says they are on that case: what a page or the API would have refused is
    refused here too, naming the case and the entry. The state, version and deadlines are
    worked out from each record as a change stores them; references come from the
    partnership's own numbering. Then the rows are written together (``copy``: with
    PostgreSQL's COPY) and the import hooks run (the reports' rows, one audit entry).
    """
    if not played:
        return []
    procedure = procedure_of(version)
    partnership = version.partnership
    calendar = calendar_of(partnership, procedure)
    actor_ids = {int(e.actor) for p in played for e in p.record if e.actor}
    held: dict[int, list[RoleAssignment]] = {}
    for assignment in RoleAssignment.objects.filter(person_id__in=actor_ids):
        held.setdefault(assignment.person_id, []).append(assignment)
    states = [
        _checked(procedure, item, held, number) for number, item in enumerate(played, start=1)
    ]
    with transaction.atomic():
        Partnership.objects.filter(pk=partnership.pk).update(
            last_case_number=F("last_case_number") + len(played)
        )
        last = Partnership.objects.values_list("last_case_number", flat=True).get(pk=partnership.pk)
        first = last - len(played) + 1
        cases, dues = [], []
        # Numbered in the order they were raised, as live cases are.
        rank = {
            i: n
            for n, i in enumerate(sorted(range(len(played)), key=lambda i: played[i].record[0].at))
        }
        for offset, (item, state) in enumerate(zip(played, states, strict=True)):
            case = item.case
            case.partnership = partnership
            case.procedure = version
            case.reference = f"{procedure.id.upper()}-{first + rank[offset]:06d}"
            dues.append(_state_onto(case, state, procedure, calendar, version=len(item.record)))
            cases.append(case)
        stored = _imported_rows(cases, [p.record for p in played], dues, copy)
        hooks.run_imported(
            hooks.Imported(
                version=version,
                procedure=procedure,
                cases=stored,
                records=[p.record for p in played],
                copy=copy,
                via=via,
            )
        )
    return stored


def _checked(
    procedure: Procedure,
    item: Played,
    held: dict[int, list[RoleAssignment]],
    number: int,
) -> CaseState:
    """The state a played record comes to, each action checked by the engine's gate."""
    case = item.case
    if not item.record or item.record[0].kind is not EventKind.RAISED:
        raise Refused(f"case {number} of the import does not start with being raised")

    standing = stand_ins(procedure)

    def actor(person_id: str) -> Actor:
        own, proxies = core_roles(held.get(int(person_id), []) if person_id else [], procedure.id)
        return actor_of(
            person_id=person_id,
            assignments=own,
            proxies=proxies,
            raising_agency=str(case.raising_agency_id),
            other_agency=str(case.other_agency_id),
            raised_by=str(case.raised_by_id),
            other_professional=str(case.other_professional_id or ""),
            stand_in_for_other=standing,
        )

    raised = item.record[0]
    try:
        engine.check_raising(
            procedure,
            engine.Raising(
                raising_agency=str(case.raising_agency_id),
                other_agency=str(case.other_agency_id),
                summary=case.summary,
                category=case.category,
                subject_nhs_number=case.subject_nhs_number,
                subject_date_of_birth=case.subject_date_of_birth,
                answers=dict(raised.data.get("answers") or {}),
            ),
            actor=actor(raised.actor),
            at=raised.at,
            track=procedure.track(str(raised.data.get("track") or procedure.track().id)),
        )
    except Refused as refused:
        raise Refused(f"case {number} of the import: {refused.reason}") from None
    state = engine.replay([raised], procedure)
    for index, event in enumerate(item.record[1:], start=2):
        if not engine.EVENTS[event.kind].system:
            try:
                engine.acting_for(procedure, state, event.kind, actor(event.actor))
            except Refused as refused:
                raise Refused(
                    f"case {number} of the import, entry {index} ({event.kind.value}): "
                    f"{refused.reason}"
                ) from None
        state = engine.apply(state, event, procedure)
    return state


def _imported_rows(
    cases: list[Disagreement],
    records: list[list[engine.Event]],
    dues: list[list[planner.Deadline]],
    copy: bool,
) -> list[Disagreement]:
    """Write the cases, their records and their deadlines."""
    use_copy = copy and connection.vendor == "postgresql"
    if use_copy:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Disagreement._meta.db_table, len(cases)],
            )
            for case, (pk,) in zip(cases, cursor.fetchall(), strict=True):
                case.pk = pk
        rows_insert(Disagreement, cases, with_id=True)
    else:
        cases = Disagreement.objects.bulk_create(cases, batch_size=1000)
    now = timezone.now()
    events = [
        Event(
            disagreement_id=case.pk,
            sequence=n,
            kind=event.kind.value,
            at=event.at,
            actor_id=int(event.actor) if event.actor else None,
            stage=event.stage,
            data=dict(event.data),
            recorded_at=now,
        )
        for case, record in zip(cases, records, strict=True)
        for n, event in enumerate(record, start=1)
    ]
    deadlines = [
        row for case, due in zip(cases, dues, strict=True) for row in deadline_rows(case.pk, due)
    ]
    if use_copy:
        rows_insert(Event, events)
        rows_insert(Deadline, deadlines)
    else:
        Event.objects.bulk_create(events, batch_size=5000)
        Deadline.objects.bulk_create(deadlines, batch_size=5000)
    return cases


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
def closure_day_add(
    *, partnership: Partnership, day: date, name: str, in_background: bool = False
) -> int:
    """Add a closure day and move the deadlines of open cases that have not yet passed.

    Returns how many cases' deadlines moved; each such case's record says so. With
    ``in_background`` the move is a background task enqueued when this commits (the page
    does not wait for every open case), and 0 is returned.
    """
    ClosureDay.objects.update_or_create(partnership=partnership, day=day, defaults={"name": name})
    return _deadlines_follow_calendar(
        partnership,
        f"{name} ({long_date(day)}) added as a closure day",
        in_background=in_background,
    )


@transaction.atomic
def closure_day_remove(*, partnership: Partnership, day: date, in_background: bool = False) -> int:
    """Remove a closure day and move back the deadlines it had moved, as adding does."""
    found = ClosureDay.objects.filter(partnership=partnership, day=day).first()
    if found is None:
        return 0
    found.delete()
    return _deadlines_follow_calendar(
        partnership,
        f"{found.name} ({long_date(day)}) is no longer a closure day",
        in_background=in_background,
    )


# The task that moves open cases' deadlines (parley.cases.tasks registers it by this name).
DEADLINES_FOLLOW_CALENDAR = "cases.deadlines_follow_calendar"


def _deadlines_follow_calendar(
    partnership: Partnership, reason: str, *, in_background: bool
) -> int:
    if not in_background:
        return deadlines_recompute(partnership=partnership, reason=reason)
    transaction.on_commit(
        lambda: hooks.start(DEADLINES_FOLLOW_CALENDAR, partnership_id=partnership.pk, reason=reason)
    )
    return 0


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
    """Work one case's deadlines out again from its record; 1 if any still to come moved.

    Through the one door as any change is: the case is locked, the record says what moved
    and why, and the change's hooks (the audit trail among them) run in its transaction.
    """
    with transaction.atomic():
        locked = (
            Disagreement.objects.select_for_update()
            .select_related("procedure", "partnership")
            .get(pk=disagreement.pk)
        )
        if locked.status != Disagreement.Status.OPEN:
            return 0
        before = {d.key: d.due_at for d in locked.deadlines.all()}
        procedure = procedure_of(locked.procedure)
        calendar = calendar_of(locked.partnership, procedure)
        past = list(locked.events.order_by("sequence"))
        record = [core_event(e) for e in past]
        state = engine.replay(record, procedure)
        deadlines = planner.case_deadlines(procedure, calendar, state)
        changes = {
            d.key: [before[d.key].isoformat(), d.due.isoformat()]
            for d in deadlines
            if d.key in before and before[d.key] != d.due and before[d.key] > at
        }
        if not changes:
            return 0
        moved = engine.Event(
            EventKind.DEADLINES_MOVED, at, "", state.stage, {"reason": reason, "moved": changes}
        )
        rows = _append(locked, [moved], start=len(past) + 1)
        _store_state(locked, state, procedure, calendar, version=rows[-1].sequence)
        hooks.run(
            hooks.Change(
                disagreement=locked,
                procedure=procedure,
                person=None,
                action=EventKind.DEADLINES_MOVED.value,
                before=state,
                after=state,
                record=[*record, moved],
                new=rows,
                via="system",
                detail={"reason": reason},
            )
        )
    return 1
