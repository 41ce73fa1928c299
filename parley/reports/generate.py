"""A realistic year of synthetic disagreements, for tests and benchmarks.

Each case is played through the real rules (:func:`parley.core.engine.take`), so its record
is one the services would have written; the rows are then inserted in bulk (Disagreement,
Event, Deadline and some learning items), with the stored state worked out from the record
exactly as :mod:`parley.cases.services` does. :func:`generated_check` replays a sample and
compares.

The mix: most disagreements are resolved at the first or second stage and few reach the
top; some are withdrawn; about one in twenty-five is on the immediate-risk route; some
stages run over their timescale; raised dates spread over the whole year, so deadlines
cross bank holidays. Nothing here is about a real person: there are no subject details.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from parley.cases import services
from parley.cases.models import (
    Agency,
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
    RoleAssignment,
)
from parley.core import engine, planner
from parley.core import report as core
from parley.core.calendar import WorkingCalendar
from parley.core.engine import Actor, CaseState, EventKind, Refused, Status
from parley.core.procedure import EscalationTrigger, Procedure, Side, Stage
from parley.dbbulk import rows_insert
from parley.reports.models import LearningItem, ReportCase, StageSpan
from parley.reports.spans import spans_of

LIBRARY = Path(__file__).resolve().parent.parent / "procedures"
BATCH = 2000
# How likely a case is to be resolved at a stage, by how far up the ladder it is: most are
# settled between practitioners or their managers, few reach the top.
RESOLVE_AT = (0.62, 0.55, 0.6, 0.7, 0.85, 0.95)
WITHDRAW = 0.03
BYPASS = 0.02
IMMEDIATE = 0.04
INFORMAL = 0.5
LATE = 0.2  # the share of stages that run over their timescale
LEARNING = 0.06
CLOSE = 0.85
FEEDBACK = 0.9  # feedback to the person who raised it, after the outcome
DEBRIEF = 0.3
NOTES = (1, 1, 2, 2, 3, 4)  # notes added at each stage, as often as each
DEFAULT_STAGE_DAYS = 5  # for stages with no timescale

AGENCY_KINDS = (
    ("Children's Services", Agency.Kind.CHILDRENS_SERVICES, 3.0),
    ("NHS Foundation Trust", Agency.Kind.NHS_TRUST, 3.0),
    ("Police", Agency.Kind.POLICE, 2.0),
    ("Schools", Agency.Kind.SCHOOL, 2.5),
    ("Adult Social Care", Agency.Kind.ADULT_SERVICES, 1.0),
    ("Housing", Agency.Kind.HOUSING, 0.6),
    ("Probation", Agency.Kind.PROBATION, 0.5),
    ("Integrated Care Board", Agency.Kind.INTEGRATED_CARE_BOARD, 0.4),
)


@dataclass(frozen=True)
class Cast:
    """The agencies of a partnership, each with a person who raises and one who answers."""

    partnership: Partnership
    agencies: tuple[Agency, ...]
    weights: tuple[float, ...]
    people: dict[int, tuple[Person, Person]]  # agency pk: (raiser, other professional)
    partnership_person: Person


@transaction.atomic
def partnership_generate(*, name: str, slug: str, agencies: int = 8) -> Partnership:
    """A partnership with the shipped procedures, ``agencies`` agencies and their people."""
    partnership, _ = Partnership.objects.get_or_create(slug=slug, defaults={"name": name})
    for path in sorted(LIBRARY.glob("*.yaml")):
        services.procedure_load(
            partnership=partnership, text=path.read_text(encoding="utf-8"), source_name=path.name
        )
    for index, (words, kind, _) in enumerate(AGENCY_KINDS[:agencies]):
        agency, _ = Agency.objects.get_or_create(
            partnership=partnership, name=f"{name} {words}", defaults={"kind": kind}
        )
        for role in ("practitioner", "line-manager"):
            person, created = Person.objects.get_or_create(
                partnership=partnership,
                name=f"{words} {role} {index + 1}",
                defaults={"email": f"{role}{index + 1}@{slug}.example"},
            )
            if created:
                RoleAssignment.objects.create(person=person, agency=agency, role=role)
    manager, created = Person.objects.get_or_create(
        partnership=partnership,
        name="Business manager",
        defaults={"email": f"business@{slug}.example"},
    )
    if created:
        RoleAssignment.objects.create(person=manager, agency=None, role="business-manager")
    return partnership


def cast_of(partnership: Partnership) -> Cast:
    """Everyone a generated case can involve, from the partnership's own agencies."""
    agencies = tuple(
        a for a in Agency.objects.filter(partnership=partnership).order_by("pk")
        if a.kind != Agency.Kind.PARTNERSHIP
    )  # fmt: skip
    if len(agencies) < 2:
        raise ValueError("generating cases needs a partnership with at least two agencies")
    weights = {kind: weight for _, kind, weight in AGENCY_KINDS}
    members: dict[int, list[Person]] = {a.pk: [] for a in agencies}
    for assignment in RoleAssignment.objects.filter(agency__in=agencies).select_related("person"):
        if assignment.person not in members[assignment.agency_id]:
            members[assignment.agency_id].append(assignment.person)
    fallback = list(Person.objects.filter(partnership=partnership).order_by("pk")[:2])
    if not fallback:
        raise ValueError("generating cases needs at least one person in the partnership")
    people = {}
    for agency in agencies:
        found = members[agency.pk] or fallback
        people[agency.pk] = (found[0], found[-1])
    wide = (
        RoleAssignment.objects.filter(person__partnership=partnership, agency__isnull=True)
        .select_related("person")
        .first()
    )
    return Cast(
        partnership,
        agencies,
        tuple(weights.get(a.kind, 1.0) for a in agencies),
        people,
        wide.person if wide else fallback[0],
    )


# --- one case, played through the rules -------------------------------------------------


@dataclass
class _Play:
    procedure: Procedure
    calendar: WorkingCalendar
    rng: random.Random
    until: datetime
    raiser: Actor
    other: Actor
    chair: Actor
    events: list[engine.Event]
    state: CaseState | None = None
    moment: datetime | None = None

    def take(self, kind: EventKind, actor: Actor, at: datetime, **fields: Any) -> bool:
        """Take an action if the rules allow it and it is not in the future."""
        assert self.state is not None
        if at > self.until:
            return False
        overdue = False
        if kind is EventKind.ESCALATED and fields.get("reason") == "deadline-passed":
            deadlines = planner.case_deadlines(self.procedure, self.calendar, self.state)
            overdue = planner.is_overdue(deadlines, at)
        try:
            taken = engine.take(
                self.procedure, self.state, kind, actor=actor, at=at, overdue=overdue, **fields
            )
        except Refused:
            return False
        for event in taken:
            self.state = engine.apply(self.state, event, self.procedure)
        self.events.extend(taken)
        self.moment = at
        return True

    def later(self, working_days: int) -> datetime:
        """A working moment ``working_days`` after the last, always after it."""
        assert self.moment is not None
        zone = ZoneInfo(self.calendar.timezone)
        local = self.moment.astimezone(zone)
        day = self.calendar.add_working_days(local.date(), working_days)
        hour = self.rng.randint(9, 16)
        moment = datetime.combine(day, time(hour, self.rng.choice((0, 15, 30, 45))), zone)
        if moment <= self.moment:
            moment = self.moment + timedelta(minutes=self.rng.randint(5, 90))
        return moment


def _stage_days(procedure: Procedure, stage: Stage) -> int:
    limit = core.stage_limit(procedure, stage)
    return limit.days if limit is not None and limit.days > 0 else DEFAULT_STAGE_DAYS


def _talk(play: _Play) -> None:
    """What people record while a stage runs: the conversation, and a few notes."""
    speaker = play.raiser if play.rng.random() < 0.5 else play.other
    play.take(EventKind.DISCUSSION_RECORDED, speaker, play.later(0),
              text="Talked it through; views recorded.")  # fmt: skip
    for _ in range(play.rng.choice(NOTES)):
        writer = play.raiser if play.rng.random() < 0.5 else play.other
        play.take(EventKind.NOTE_ADDED, writer, play.later(0), text="A note for the record.")


def _resolve(play: _Play, at: datetime) -> bool:
    actor = play.chair if play.rng.random() < 0.3 else play.other
    if not play.take(EventKind.RESOLVED, actor, at, outcome="Agreed a way forward.",
                     outstanding="None"):  # fmt: skip
        return False
    if play.rng.random() < FEEDBACK:
        play.take(EventKind.FEEDBACK_GIVEN, play.other, play.later(play.rng.randint(0, 2)),
                  text="Told them what was agreed and why.")  # fmt: skip
    if play.rng.random() < DEBRIEF:
        play.take(EventKind.DEBRIEF_RECORDED, play.chair, play.later(play.rng.randint(1, 5)),
                  text="What went well and what to change.")  # fmt: skip
    if play.rng.random() < LEARNING:
        play.take(
            EventKind.LEARNING_REFERRED, play.chair, play.later(1),
            text="The procedure could say more clearly who does what.",
            topic=play.rng.choice(("policy", "procedure", "training")),
        )  # fmt: skip
    if play.rng.random() < CLOSE:
        play.take(EventKind.CLOSED, play.raiser, play.later(play.rng.randint(0, 3)))
    return True


def _escalate(play: _Play, stage: Stage, at: datetime) -> bool:
    triggers = stage.escalate_when
    if EscalationTrigger.NO_AGREEMENT in triggers:
        return play.take(EventKind.ESCALATED, play.raiser, at, reason="no-agreement")
    if EscalationTrigger.RESPONSE_UNSATISFACTORY in triggers:
        assert play.state is not None
        if not play.state.responded:
            play.take(EventKind.RESPONSE_RECORDED, play.other, at, text="Our decision stands.")
            at = play.later(0)
        play.take(
            EventKind.RESPONSE_JUDGED_UNSATISFACTORY, play.raiser, at, text="It does not help."
        )
        return play.take(
            EventKind.ESCALATED, play.raiser, play.later(0), reason="response-unsatisfactory"
        )
    if EscalationTrigger.DEADLINE_PASSED in triggers:
        return play.take(EventKind.ESCALATED, play.raiser, at, reason="deadline-passed")
    return False


def play_case(
    procedure: Procedure,
    calendar: WorkingCalendar,
    rng: random.Random,
    *,
    raised_at: datetime,
    until: datetime,
    raiser: Actor,
    other: Actor,
    chair: Actor,
) -> list[engine.Event]:
    """One disagreement from raising to its end (or to ``until``), through the rules."""
    track = procedure.track()
    risk = procedure.immediate_risk
    immediate = risk is not None and rng.random() < IMMEDIATE
    start_stage = None
    if immediate and risk is not None and risk.raiser_chooses:
        start_stage = rng.choice(risk.allowed_starts or tuple(s.id for s in track.stages))
    informal = not immediate and track.stages[0].informal and rng.random() < INFORMAL
    events = engine.raise_case(
        procedure, actor=raiser, at=raised_at, immediate_risk=immediate,
        start_stage=start_stage, informal=informal,
    )  # fmt: skip
    play = _Play(procedure, calendar, rng, until, raiser, other, chair, list(events))
    play.state = engine.replay(events, procedure)
    play.moment = raised_at
    rung = 0
    while play.state is not None and play.state.is_open:
        stage = track.stage(play.state.stage)
        limit = _stage_days(procedure, stage)
        _talk(play)
        late = rng.random() < LATE
        spent = rng.randint(limit + 1, limit * 2 + 1) if late else rng.randint(0, limit)
        at = play.later(spent)
        if at > until:
            break
        if rng.random() < 0.6:
            play.take(EventKind.RESPONSE_RECORDED, other, play.later(max(0, spent // 2)),
                      text="Our response.")  # fmt: skip
            at = max(at, play.later(0))
        chance = RESOLVE_AT[min(rung, len(RESOLVE_AT) - 1)]
        roll = rng.random()
        if stage.next is None or roll < chance:
            if not _resolve(play, at):
                break
            continue
        if roll < chance + WITHDRAW:
            play.take(EventKind.WITHDRAWN, raiser, at, reason="Agreed to take it no further.")
            continue
        targets = engine.bypass_targets(procedure, play.state)
        if procedure.bypass.allowed and targets and roll < chance + WITHDRAW + BYPASS:
            moved = play.take(EventKind.BYPASSED, raiser, at, to_stage=targets[0],
                              reason="Needs senior attention now.")  # fmt: skip
        else:
            moved = _escalate(play, stage, at)
        if not moved and not _resolve(play, play.later(1)):
            break
        rung += 1
    return play.events


# --- many cases, inserted in bulk -------------------------------------------------------


def _stored(
    procedure: Procedure, calendar: WorkingCalendar, state: CaseState
) -> tuple[dict[str, Any], list[planner.Deadline]]:
    """The Disagreement fields services._store_state writes for this state."""
    track = procedure.track(state.track)
    deadlines = planner.case_deadlines(procedure, calendar, state)
    upcoming = planner.next_deadline([d for d in deadlines if not d.advisory])
    return (
        {
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
        },
        deadlines,
    )


def _raised_moments(
    rng: random.Random, calendar: WorkingCalendar, start: date, days: int, count: int
) -> Iterator[datetime]:
    zone = ZoneInfo(calendar.timezone)
    working = [
        start + timedelta(days=n)
        for n in range(days)
        if calendar.is_working_day(start + timedelta(days=n))
    ]
    for _ in range(count):
        day = rng.choice(working)
        yield datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), zone)


def cases_generate(
    *,
    version: ProcedureVersion,
    count: int,
    start: date,
    days: int = 365,
    until: datetime | None = None,
    seed: int = 0,
    cast: Cast | None = None,
    copy: bool = False,
) -> int:
    """Generate ``count`` disagreements under ``version`` raised from ``start`` over ``days``.

    Cases are played up to ``until`` (default: the end of the span), so the last ones are
    still open. Returns how many were inserted. ``copy`` writes the same rows with
    PostgreSQL's COPY instead of ``bulk_create``: for the million-case benchmark.
    """
    partnership = version.partnership
    procedure = services.procedure_of(version)
    calendar = services.calendar_of(partnership, procedure)
    cast = cast or cast_of(partnership)
    rng = random.Random(seed)
    zone = ZoneInfo(calendar.timezone)
    until = until or datetime.combine(start + timedelta(days=days), time(), zone)
    token = secrets.token_hex(3).upper()
    chair_roles = frozenset(
        {
            "business-manager",
            "channel-chair",
            "channel-coordinator",
            "board-chair",
            *procedure.roles,
        }
    )
    bypass_roles = frozenset(procedure.bypass.by)
    track = procedure.track()
    raising_roles = {r for stage in track.stages for r in stage.raising_side}
    other_roles = {r for stage in track.stages for r in stage.other_side}
    chair_roles = chair_roles | {r for stage in track.stages for r in stage.partnership_side}
    categories = [c.id for c in procedure.categories]
    moments = _raised_moments(rng, calendar, start, days, count)
    made = 0
    for batch_start in range(0, count, BATCH):
        size = min(BATCH, count - batch_start)
        cases: list[tuple[Disagreement, list[engine.Event], list[planner.Deadline]]] = []
        for index in range(batch_start, batch_start + size):
            raising, other = _agency_pair(rng, cast)
            raiser_person = cast.people[raising.pk][0]
            other_person = cast.people[other.pk][1]
            raiser = Actor(
                str(raiser_person.pk),
                frozenset((Side.RAISING, r) for r in (*raising_roles, *bypass_roles)),
                frozenset({Side.RAISING}),
            )
            answerer = Actor(
                str(other_person.pk),
                frozenset((Side.OTHER, r) for r in other_roles),
                frozenset({Side.OTHER}),
            )
            chair = Actor(
                str(cast.partnership_person.pk),
                frozenset((Side.PARTNERSHIP, r) for r in chair_roles),
            )
            events = play_case(
                procedure, calendar, rng, raised_at=next(moments), until=until,
                raiser=raiser, other=answerer, chair=chair,
            )  # fmt: skip
            state = engine.replay(events, procedure)
            fields, deadlines = _stored(procedure, calendar, state)
            case = Disagreement(
                partnership=partnership,
                procedure=version,
                reference=f"{procedure.id.upper()[:20]}-G{token}-{seed % 1000:03d}-{index:07d}",
                raised_by=raiser_person,
                raising_agency=raising,
                other_agency=other,
                other_professional=other_person,
                category=rng.choice(categories) if categories and rng.random() < 0.9 else "",
                summary="A generated disagreement, for testing.",
                outcome="Agreed a way forward." if state.resolved_at else "",
                outstanding="None" if state.resolved_at else "",
                **fields,
            )
            cases.append((case, events, deadlines))
        if copy and connection.vendor == "postgresql":
            made += _insert_copy(cases, procedure, rng)
        else:
            made += _insert(cases, procedure, rng)
    return made


def _agency_pair(rng: random.Random, cast: Cast) -> tuple[Agency, Agency]:
    raising = rng.choices(cast.agencies, weights=cast.weights)[0]
    while True:
        other = rng.choices(cast.agencies, weights=cast.weights)[0]
        if other.pk != raising.pk:
            return raising, other


@transaction.atomic
def _insert(
    cases: Sequence[tuple[Disagreement, list[engine.Event], list[planner.Deadline]]],
    procedure: Procedure,
    rng: random.Random,
) -> int:
    stored = Disagreement.objects.bulk_create([case for case, _, _ in cases], batch_size=1000)
    events: list[Event] = []
    deadlines: list[Deadline] = []
    for case, (_, record, due) in zip(stored, cases, strict=True):
        events.extend(
            Event(
                disagreement_id=case.pk,
                sequence=n,
                kind=event.kind.value,
                at=event.at,
                actor_id=int(event.actor) if event.actor else None,
                stage=event.stage,
                data=dict(event.data),
            )
            for n, event in enumerate(record, start=1)
        )
        deadlines.extend(services.deadline_rows(case.pk, due))
    created = Event.objects.bulk_create(events, batch_size=5000)
    Deadline.objects.bulk_create(deadlines, batch_size=5000)
    spans, copies = _spans(stored, [record for _, record, _ in cases], procedure)
    StageSpan.objects.bulk_create(spans, batch_size=5000)
    ReportCase.objects.bulk_create(copies, batch_size=5000)
    _learning(stored, created, procedure, rng)
    return len(stored)


@transaction.atomic
def _insert_copy(
    cases: Sequence[tuple[Disagreement, list[engine.Event], list[planner.Deadline]]],
    procedure: Procedure,
    rng: random.Random,
) -> int:
    """As :func:`_insert`, with COPY: the same rows, many times faster."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Disagreement._meta.db_table, len(cases)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    events: list[Event] = []
    deadlines: list[Deadline] = []
    for pk, (case, record, due) in zip(ids, cases, strict=True):
        case.pk = pk
        events.extend(
            Event(
                disagreement_id=pk, sequence=n, kind=event.kind.value, at=event.at,
                actor_id=int(event.actor) if event.actor else None, stage=event.stage,
                data=dict(event.data), recorded_at=now,
            )
            for n, event in enumerate(record, start=1)
        )  # fmt: skip
        deadlines.extend(services.deadline_rows(pk, due))
    rows_insert(Disagreement, [case for case, _, _ in cases], with_id=True)
    rows_insert(Event, events)
    rows_insert(Deadline, deadlines)
    spans, copies = _spans([c for c, _, _ in cases], [r for _, r, _ in cases], procedure)
    rows_insert(StageSpan, spans)
    rows_insert(ReportCase, copies, with_id=True)
    learning = [e for e in events if e.kind == EventKind.LEARNING_REFERRED.value]
    if learning:
        stored = {
            (e.disagreement_id, e.sequence): e
            for e in Event.objects.filter(
                disagreement_id__in={e.disagreement_id for e in learning},
                kind=EventKind.LEARNING_REFERRED.value,
            )
        }
        _learning(
            [c for c, _, _ in cases],
            [stored[(e.disagreement_id, e.sequence)] for e in learning],
            procedure,
            rng,
        )
    return len(cases)


def _spans(
    stored: Sequence[Disagreement], records: Sequence[list[engine.Event]], procedure: Procedure
) -> tuple[list[StageSpan], list[ReportCase]]:
    """The reports' stage rows of these cases, as the cases app's writes keep them."""
    spans: list[StageSpan] = []
    copies: list[ReportCase] = []
    for case, record in zip(stored, records, strict=True):
        rows, copy = spans_of(case=case, procedure=procedure, events=record)
        spans.extend(rows)
        copies.append(copy)
    return spans, copies


def _learning(
    cases: Sequence[Disagreement], events: Sequence[Event], procedure: Procedure, rng: random.Random
) -> None:
    """Most referred issues are in the learning log; some decided and done, some overdue."""
    by_pk = {case.pk: case for case in cases}
    items = []
    for event in events:
        if event.kind != EventKind.LEARNING_REFERRED.value or rng.random() > 0.8:
            continue
        case = by_pk[event.disagreement_id]
        referred = event.at.date()
        done = rng.random() < 0.5
        items.append(
            LearningItem(
                partnership_id=case.partnership_id,
                procedure_id=procedure.id,
                disagreement_id=case.pk,
                event_id=event.pk,
                referred_at=event.at,
                issue=str(event.data.get("text", "")),
                topic=str(event.data.get("topic") or LearningItem.Topic.OTHER),
                summary="Clarify who does what at each stage.",
                referred_to=procedure.outcome.learning_to[:200],
                decision="Procedure wording changed." if done else "",
                done_on=referred + timedelta(days=rng.randint(10, 60)) if done else None,
                follow_up_due=referred + timedelta(days=28),
            )
        )
    LearningItem.objects.bulk_create(items, batch_size=2000)


def generated_check(*, cases: Sequence[Disagreement]) -> list[str]:
    """Replay each case's record and compare with what is stored; the differences, if any."""
    problems = []
    for case in cases:
        state = services.disagreement_state(case)
        procedure = services.procedure_of(case.procedure)
        fields, deadlines = _stored(
            procedure, services.calendar_of(case.partnership, procedure), state
        )
        for name, expected in fields.items():
            if getattr(case, name) != expected:
                problems.append(
                    f"{case.reference}: {name} is {getattr(case, name)!r}, not {expected!r}"
                )
        stored = {d.key: d.due_at for d in case.deadlines.all()}
        if stored != {d.key: d.due for d in deadlines}:
            problems.append(f"{case.reference}: stored deadlines differ from the replayed ones")
        if state.status is not Status.OPEN and stored:
            problems.append(f"{case.reference}: an ended case keeps deadlines")
    return problems
