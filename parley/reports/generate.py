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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import slugify

from parley.cases import selectors, services
from parley.cases.models import (
    Agency,
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
from parley.core.procedure import EscalationTrigger, Procedure, QuestionKind, Side, Stage
from parley.core.roles import actor_of
from parley.reports.models import LearningItem

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


# The roles a generated partnership's agencies fill, one person each, so that every stage
# of the shipped procedures has someone in each agency who acts at it: the rungs of the
# standard table, the Channel panel member, and the procedures' own agency roles.
AGENCY_ROLES = (
    "line-manager",
    "safeguarding-lead",
    "senior-manager",
    "service-director",
    "corporate-director",
    "director",
    "board-representative",
    "channel-panel-member",
    "operations-manager",
    "service-manager",
)
# And the roles held for the whole partnership, where the procedures name them.
PARTNERSHIP_ROLES = (
    "business-manager",
    "board-chair",
    "channel-chair",
    "channel-coordinator",
    "twsp-executive",
    "csp-board-chair",
)


@dataclass(frozen=True)
class Cast:
    """The agencies of a partnership and the people a generated case can involve: in each
    agency a raiser and an answering professional, and whoever holds each role there;
    and the holders of the partnership-wide roles."""

    partnership: Partnership
    agencies: tuple[Agency, ...]
    weights: tuple[float, ...]
    people: dict[int, tuple[Person, Person]]  # agency pk: (raiser, other professional)
    holders: dict[int | None, list[Person]]  # agency pk (None: partnership-wide): its people
    roles: dict[int, tuple[tuple[str, str | None], ...]]  # person pk: (role, agency) held


@transaction.atomic
def partnership_generate(*, name: str, slug: str, agencies: int = 8) -> Partnership:
    """A partnership with the shipped procedures, ``agencies`` agencies and their people:
    two practitioners and a holder of every rung in each agency, and the partnership's own
    roles."""
    partnership, _ = Partnership.objects.get_or_create(slug=slug, defaults={"name": name})
    for path in sorted(LIBRARY.glob("*.yaml")):
        services.procedure_load(
            partnership=partnership,
            text=path.read_text(encoding="utf-8"),
            source_name=path.name,
            via="generator",
        )
    people: list[tuple[str, str, Agency | None]] = []
    for index, (words, kind, _) in enumerate(AGENCY_KINDS[:agencies]):
        agency, _ = Agency.objects.get_or_create(
            partnership=partnership, name=f"{name} {words}", defaults={"kind": kind}
        )
        for role in ("practitioner", "practitioner-2", *AGENCY_ROLES):
            people.append((f"{words} {role} {index + 1}", role.removesuffix("-2"), agency))
    for role in PARTNERSHIP_ROLES:
        people.append((f"Partnership {role}", role, None))
    for person_name, role, agency in people:
        person, created = Person.objects.get_or_create(
            partnership=partnership,
            name=person_name,
            defaults={"email": f"{slugify(person_name)}@{slug}.example"},
        )
        if created:
            RoleAssignment.objects.create(person=person, agency=agency, role=role)
    return partnership


def cast_of(partnership: Partnership) -> Cast:
    """Everyone a generated case can involve, from the partnership's own directory."""
    agencies = tuple(
        a
        for a in Agency.objects.filter(partnership=partnership).order_by("pk")
        if a.kind != Agency.Kind.PARTNERSHIP
    )
    if len(agencies) < 2:
        raise ValueError("generating cases needs a partnership with at least two agencies")
    weights = {kind: weight for _, kind, weight in AGENCY_KINDS}
    holders: dict[int | None, list[Person]] = {a.pk: [] for a in agencies}
    holders[None] = []
    practitioners: dict[int, list[Person]] = {a.pk: [] for a in agencies}
    roles: dict[int, list[tuple[str, str | None]]] = {}
    assignments = (
        RoleAssignment.objects.filter(person__partnership=partnership)
        .select_related("person")
        .order_by("person__name", "pk")
    )
    for a in assignments:
        roles.setdefault(a.person_id, []).append(
            (a.role, str(a.agency_id) if a.agency_id else None)
        )
        place = a.agency_id if a.agency_id in holders else (None if a.agency_id is None else -1)
        if place == -1:
            continue
        if a.person not in holders[place]:
            holders[place].append(a.person)
        if a.role == "practitioner" and a.agency_id in practitioners:
            practitioners[a.agency_id].append(a.person)
    people = {}
    for agency in agencies:
        found = practitioners[agency.pk] or holders[agency.pk]
        if not found:
            raise ValueError(f"generating cases needs someone in {agency.name}")
        people[agency.pk] = (found[0], found[-1])
    return Cast(
        partnership,
        agencies,
        tuple(weights.get(a.kind, 1.0) for a in agencies),
        people,
        holders,
        {pk: tuple(held) for pk, held in roles.items()},
    )


# --- one case, played through the rules -------------------------------------------------


@dataclass
class _Play:
    """One case being played: each action is taken by whoever the procedure names for it
    now (the engine's gate decides), found among the people of the case's two agencies
    and the partnership."""

    procedure: Procedure
    calendar: WorkingCalendar
    rng: random.Random
    until: datetime
    people: tuple[Actor, ...]  # the parties first, then the two agencies, the partnership
    events: list[engine.Event]
    state: CaseState | None = None
    moment: datetime | None = None
    # Who may take each kind of action at each point, asked once: (kind, stage, stages
    # reached) -> the people (by place in ``people``) and their sides. Shared by the cases
    # between the same two agencies, whose people are the same.
    memo: dict[tuple[Any, ...], list[tuple[int, frozenset[Side]]]] = field(default_factory=dict)

    def able(self, kind: EventKind) -> list[tuple[int, frozenset[Side]]]:
        assert self.state is not None
        key = (kind, self.state.stage, self.state.stages_reached, self.state.status)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = [
                (index, sides)
                for index, actor in enumerate(self.people)
                if (sides := engine.acts_for(self.procedure, self.state, kind, actor))
            ]
        return found

    def take(self, kind: EventKind, at: datetime, side: Side | None = None, **fields: Any) -> bool:
        """Take an action, as someone who may take it now (for ``side``, if given), if the
        rules allow it and it is not in the future."""
        assert self.state is not None
        if at > self.until:
            return False
        overdue = False
        if kind is EventKind.ESCALATED and fields.get("reason") == "deadline-passed":
            deadlines = planner.case_deadlines(self.procedure, self.calendar, self.state)
            overdue = planner.is_overdue(deadlines, at)
        for index, sides in self.able(kind):
            if side is not None and side not in sides:
                continue
            actor = self.people[index]
            try:
                taken = engine.take(
                    self.procedure,
                    self.state,
                    kind,
                    actor=actor,
                    at=at,
                    overdue=overdue,
                    **fields,
                )
            except Refused:
                continue  # not for this person (only the Chair moves it up, say): the next
            for event in taken:
                self.state = engine.apply(self.state, event, self.procedure)
            self.events.extend(taken)
            self.moment = at
            return True
        return False

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


def _either(play: _Play) -> Side:
    return Side.RAISING if play.rng.random() < 0.5 else Side.OTHER


def _talk(play: _Play) -> None:
    """What people record while a stage runs: the conversation, and a few notes."""
    play.take(
        EventKind.DISCUSSION_RECORDED,
        play.later(0),
        _either(play),
        text="Talked it through; views recorded.",
    )
    for _ in range(play.rng.choice(NOTES)):
        play.take(EventKind.NOTE_ADDED, play.later(0), _either(play), text="A note for the record.")


def _resolve(play: _Play, at: datetime) -> bool:
    side = Side.PARTNERSHIP if play.rng.random() < 0.3 else Side.OTHER
    fields = {"outcome": "Agreed a way forward.", "outstanding": "None"}
    if not (
        play.take(EventKind.RESOLVED, at, side, **fields)
        or play.take(EventKind.RESOLVED, at, None, **fields)
    ):
        return False
    if play.rng.random() < FEEDBACK:
        play.take(
            EventKind.FEEDBACK_GIVEN,
            play.later(play.rng.randint(0, 2)),
            Side.OTHER,
            text="Told them what was agreed and why.",
        )
    if play.rng.random() < DEBRIEF:
        play.take(
            EventKind.DEBRIEF_RECORDED,
            play.later(play.rng.randint(1, 5)),
            text="What went well and what to change.",
        )
    if play.rng.random() < LEARNING:
        play.take(
            EventKind.LEARNING_REFERRED,
            play.later(1),
            text="The procedure could say more clearly who does what.",
            topic=play.rng.choice(("policy", "procedure", "training")),
        )
    if play.rng.random() < CLOSE:
        play.take(EventKind.CLOSED, play.later(play.rng.randint(0, 3)), Side.RAISING)
    return True


def _escalate(play: _Play, stage: Stage, at: datetime) -> bool:
    triggers = stage.escalate_when
    if EscalationTrigger.NO_AGREEMENT in triggers:
        return play.take(EventKind.ESCALATED, at, Side.RAISING, reason="no-agreement")
    if EscalationTrigger.RESPONSE_UNSATISFACTORY in triggers:
        assert play.state is not None
        if not play.state.responded:
            play.take(EventKind.RESPONSE_RECORDED, at, Side.OTHER, text="Our decision stands.")
            at = play.later(0)
        play.take(EventKind.RESPONSE_JUDGED_UNSATISFACTORY, at, text="It does not help.")
        return play.take(
            EventKind.ESCALATED, play.later(0), Side.RAISING, reason="response-unsatisfactory"
        )
    if EscalationTrigger.DEADLINE_PASSED in triggers:
        return play.take(EventKind.ESCALATED, at, Side.RAISING, reason="deadline-passed")
    return False


def _sample_answers(procedure: Procedure, raised_at: datetime) -> dict[str, str]:
    """Answers to the procedure's required questions, as a raiser would give them: the day
    it is raised for a date, yes, or the first option."""
    answers = {}
    for question in procedure.questions:
        if not question.required:
            continue
        if question.kind is QuestionKind.DATE:
            answers[question.id] = raised_at.date().isoformat()
        elif question.kind is QuestionKind.YES_NO:
            answers[question.id] = "yes"
        else:
            answers[question.id] = question.options[0].id
    return answers


def play_case(
    procedure: Procedure,
    calendar: WorkingCalendar,
    rng: random.Random,
    *,
    raised_at: datetime,
    until: datetime,
    people: tuple[Actor, ...],
    memo: dict[tuple[Any, ...], list[tuple[int, frozenset[Side]]]] | None = None,
) -> list[engine.Event]:
    """One disagreement from raising to its end (or to ``until``), through the rules.

    ``people`` are everyone who may act on it, the person who raised it first.
    """
    track = procedure.track()
    risk = procedure.immediate_risk
    immediate = risk is not None and rng.random() < IMMEDIATE
    start_stage = None
    if immediate and risk is not None and risk.raiser_chooses:
        start_stage = rng.choice(risk.allowed_starts or tuple(s.id for s in track.stages))
    informal = not immediate and track.stages[0].informal and rng.random() < INFORMAL
    raiser = people[0]
    events = engine.raise_case(
        procedure,
        actor=raiser,
        at=raised_at,
        immediate_risk=immediate,
        start_stage=start_stage,
        informal=informal,
        answers=_sample_answers(procedure, raised_at),
    )
    play = _Play(procedure, calendar, rng, until, people, list(events))
    if memo is not None:
        play.memo = memo
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
            play.take(
                EventKind.RESPONSE_RECORDED,
                play.later(max(0, spent // 2)),
                Side.OTHER,
                text="Our response.",
            )
            at = max(at, play.later(0))
        chance = RESOLVE_AT[min(rung, len(RESOLVE_AT) - 1)]
        roll = rng.random()
        if stage.next is None or roll < chance:
            if not _resolve(play, at):
                break
            continue
        if roll < chance + WITHDRAW:
            play.take(EventKind.WITHDRAWN, at, reason="Agreed to take it no further.")
            continue
        targets = engine.bypass_targets(procedure, play.state)
        if procedure.bypass.allowed and targets and roll < chance + WITHDRAW + BYPASS:
            moved = play.take(
                EventKind.BYPASSED,
                at,
                Side.RAISING,
                to_stage=targets[0],
                reason="Needs senior attention now.",
            )
        else:
            moved = _escalate(play, stage, at)
        if not moved and not _resolve(play, play.later(1)):
            break
        rung += 1
    return play.events


def case_people(cast: Cast, raising: Agency, other: Agency, procedure_id: str) -> tuple[Actor, ...]:
    """Everyone who may act on a case between these agencies, as the roles table sees them:
    the raiser and the answering professional first, then each agency's people, then the
    partnership's."""
    raiser, answerer = cast.people[raising.pk][0], cast.people[other.pk][1]
    ordered = [raiser, answerer]
    seen = {raiser.pk, answerer.pk}
    for place in (raising.pk, other.pk, None):
        for person in cast.holders.get(place, ()):
            if person.pk not in seen:
                seen.add(person.pk)
                ordered.append(person)
    return tuple(
        actor_of(
            person_id=str(person.pk),
            assignments=cast.roles.get(person.pk, ()),
            raising_agency=str(raising.pk),
            other_agency=str(other.pk),
            raised_by=str(raiser.pk),
            other_professional=str(answerer.pk),
        )
        for person in ordered
    )


# --- many cases, inserted in bulk -------------------------------------------------------


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
    still open, and brought in through the one door for bulk history
    (:func:`parley.cases.services.disagreements_import`), which checks every action
    against the rules. Returns how many were inserted. ``copy`` writes the rows with
    PostgreSQL's COPY instead of ``bulk_create``: for the million-case benchmark.
    """
    partnership = version.partnership
    procedure = selectors.procedure_of(version)
    calendar = selectors.calendar_of(partnership, procedure)
    cast = cast or cast_of(partnership)
    rng = random.Random(seed)
    zone = ZoneInfo(calendar.timezone)
    until = until or datetime.combine(start + timedelta(days=days), time(), zone)
    categories = [c.id for c in procedure.categories]
    moments = _raised_moments(rng, calendar, start, days, count)
    pairs: dict[tuple[int, int], tuple[tuple[Actor, ...], dict[tuple[Any, ...], Any]]] = {}
    made = 0
    for batch_start in range(0, count, BATCH):
        size = min(BATCH, count - batch_start)
        played: list[services.Played] = []
        for _ in range(size):
            raising, other = _agency_pair(rng, cast)
            pair = (raising.pk, other.pk)
            if pair not in pairs:
                pairs[pair] = (case_people(cast, raising, other, procedure.id), {})
            people, memo = pairs[pair]
            events = play_case(
                procedure,
                calendar,
                rng,
                raised_at=next(moments),
                until=until,
                people=people,
                memo=memo,
            )
            state = engine.replay(events, procedure)
            case = Disagreement(
                raised_by_id=int(people[0].id),
                raising_agency=raising,
                other_agency=other,
                other_professional_id=int(people[1].id),
                category=rng.choice(categories) if categories and rng.random() < 0.9 else "",
                summary="A generated disagreement, for testing.",
                outcome="Agreed a way forward." if state.resolved_at else "",
                outstanding="None" if state.resolved_at else "",
            )
            played.append(services.Played(case, events))
        stored = services.disagreements_import(
            version=version, played=played, copy=copy, via="generator"
        )
        _learning(stored, procedure, rng)
        made += len(stored)
    return made


def _agency_pair(rng: random.Random, cast: Cast) -> tuple[Agency, Agency]:
    raising = rng.choices(cast.agencies, weights=cast.weights)[0]
    while True:
        other = rng.choices(cast.agencies, weights=cast.weights)[0]
        if other.pk != raising.pk:
            return raising, other


def _learning(cases: Sequence[Disagreement], procedure: Procedure, rng: random.Random) -> None:
    """Most referred issues are in the learning log; some decided and done, some overdue."""
    events = Event.objects.filter(
        disagreement_id__in=[case.pk for case in cases], kind=EventKind.LEARNING_REFERRED.value
    ).order_by("disagreement_id", "sequence")
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
        state = selectors.disagreement_state(case)
        procedure = selectors.procedure_of(case.procedure)
        fields, deadlines = services.stored_fields(
            procedure, selectors.calendar_of(case.partnership, procedure), state
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
