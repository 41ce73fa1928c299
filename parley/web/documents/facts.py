"""Everything a form is filled in from, read from one case in a few queries.

The form builders (:mod:`parley.web.documents.forms`) are pure functions of these facts,
so what goes in each box is decided in one place and testable without a database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from parley.cases import selectors, services
from parley.cases.models import Disagreement, Person
from parley.core import engine
from parley.core.engine import CaseState, EventKind, Status, event_label
from parley.core.procedure import Procedure, Track
from parley.web.documents.wording import local_date, stage_title

# Why a case moved up, in words (the values of EscalationTrigger).
TRIGGER_WORDS = {
    "deadline-passed": "the deadline passed with no response",
    "response-unsatisfactory": "the response was judged unsatisfactory",
    "no-agreement": "no agreement was reached",
}
MOVES = (EventKind.ESCALATED, EventKind.BYPASSED, EventKind.IMMEDIATE_RISK_DECLARED)


@dataclass(frozen=True)
class Entry:
    """One entry of the case's record, in words."""

    at: datetime
    stage: str
    kind: EventKind
    who: str
    words: str
    to_stage: str = ""  # where an escalation, bypass or immediate-risk move took the case
    # A meeting's record: who chaired it and who was there (Wirral Appendix 2).
    chaired_by: str = ""
    present: str = ""

    def line(self, zone: str) -> str:
        who = f" by {self.who}" if self.who else ""
        words = f": {self.words}" if self.words else ""
        return f"{local_date(self.at, zone)} — {event_label(self.kind)}{who}{words}"


@dataclass(frozen=True)
class Visit:
    """A stage the case reached: when, and how it left it."""

    stage: str
    title: str
    number: int
    entered_at: datetime
    left_at: datetime | None = None
    how_left: str = ""


@dataclass(frozen=True)
class Preparer:
    name: str
    job_title: str
    agency: str
    email: str
    phone: str


@dataclass(frozen=True)
class CaseFacts:
    procedure: Procedure
    track: Track
    zone: str
    now: datetime
    reference: str
    status: Status
    raised_at: datetime
    raised_by: str
    raised_by_job: str
    raising_agency: str
    raising_team: str
    other_agency: str
    other_professional: str
    subject_name: str
    subject_date_of_birth: date | None
    subject_nhs_number: str
    subject_client_reference: str
    subject_gp: str
    category: str
    summary: str
    evidence: str
    outcome_sought: str
    outcome: str
    outstanding: str
    resolved_at: datetime | None
    resolved_stage: str
    current_stage: str
    entries: tuple[Entry, ...]
    visits: tuple[Visit, ...]
    preparer: Preparer | None

    # --- reading the facts -------------------------------------------------------------

    def stage_number(self, stage_id: str) -> int:
        return self.track.stage(stage_id).number if self.track.has_stage(stage_id) else 0

    def stage_words(self, stage_id: str) -> str:
        if not self.track.has_stage(stage_id):
            return stage_id
        stage = self.track.stage(stage_id)
        return stage_title(stage.number, stage.name, informal=stage.informal)

    def entries_where(
        self,
        *,
        below: int | None = None,
        from_number: int | None = None,
        kinds: tuple[EventKind, ...] = (),
    ) -> list[Entry]:
        """Entries at stages numbered below ``below`` or from ``from_number`` up."""
        chosen = []
        for entry in self.entries:
            number = self.stage_number(entry.stage)
            if below is not None and number >= below:
                continue
            if from_number is not None and number < from_number:
                continue
            if kinds and entry.kind not in kinds:
                continue
            chosen.append(entry)
        return chosen

    def lines(self, entries: list[Entry]) -> str:
        return "\n".join(entry.line(self.zone) for entry in entries)

    def day(self, moment: datetime | None) -> str:
        return local_date(moment, self.zone)

    @property
    def raising_party(self) -> str:
        job = f", {self.raised_by_job}" if self.raised_by_job else ""
        return f"{self.raised_by}{job}"


def case_facts(
    *,
    disagreement: Disagreement,
    now: datetime,
    prepared_by: Person | None = None,
    state: CaseState | None = None,
) -> CaseFacts:
    """Read the case, its record and its state: a few queries, whatever the record's length."""
    case = disagreement
    procedure = selectors.procedure_of(case.procedure)
    state = state or selectors.disagreement_state(case)
    track = procedure.track(state.track)
    zone = procedure.calendar.timezone
    # The one sight rule for the record: a note kept to one side is printed only for a
    # reader on that side (parley.core.engine.may_read); a form for nobody in particular
    # prints none of them.
    reader = services.actor_for(person=prepared_by, disagreement=case) if prepared_by else None
    events = engine.readable(
        case.events.select_related("actor").order_by("sequence"), reader, lambda e: e.data
    )
    entries = tuple(
        Entry(
            at=event.at,
            stage=event.stage,
            kind=EventKind(event.kind),
            who=recorded_by(case, event.actor, event.data),
            words=_words(event.kind, event.data, track),
            to_stage=str(event.data.get("to_stage") or "") if event.kind in MOVES else "",
            chaired_by=str(event.data.get("chaired_by") or ""),
            present=str(event.data.get("present") or ""),
        )
        for event in events
        if event.kind != EventKind.DEADLINES_MOVED
    )
    other = case.other_professional.name if case.other_professional else ""
    return CaseFacts(
        procedure=procedure,
        track=track,
        zone=zone,
        now=now,
        reference=case.reference,
        status=state.status,
        raised_at=case.raised_at,
        raised_by=case.raised_by.name,
        raised_by_job=case.raised_by.job_title,
        raising_agency=case.raising_agency.name,
        raising_team=case.raising_team,
        other_agency=case.other_agency.name,
        other_professional=other or case.other_professional_name,
        subject_name=case.subject_name,
        subject_date_of_birth=case.subject_date_of_birth,
        subject_nhs_number=case.subject_nhs_number,
        subject_client_reference=case.subject_client_reference,
        subject_gp=case.subject_gp,
        category=procedure.category_label(case.category) if case.category else "",
        summary=case.summary,
        evidence=case.evidence,
        outcome_sought=case.outcome_sought,
        outcome=case.outcome,
        outstanding=case.outstanding,
        resolved_at=state.resolved_at,
        resolved_stage=state.resolved_stage,
        current_stage=state.stage,
        entries=entries,
        visits=_visits(entries, track),
        preparer=_preparer(prepared_by) if prepared_by is not None else None,
    )


def recorded_by(case: Disagreement, actor: Person | None, data: dict[str, Any]) -> str:
    """Who recorded an entry, and the agency they acted for from another (``acting_for``,
    parley.core.roles): "Gil Lead, acting for Riverside Surgery". The case page's record
    and the documents both say it this way."""
    if actor is None:
        return ""
    names = {str(a.pk): a.name for a in (case.raising_agency, case.other_agency)}
    acted_for = [names.get(str(agency), "another agency") for agency in data.get("acting_for", ())]
    return ", ".join([actor.name, *(f"acting for {name}" for name in acted_for)])


def _words(kind: str, data: dict[str, object], track: Track) -> str:
    """What an event says beyond its label, as sentences.

    For example "To Stage 2: Line or team managers, because no agreement was reached.
    We could not agree; raising with our managers."
    """
    moved: list[str] = []
    to_stage = str(data.get("to_stage") or "")
    if to_stage and track.has_stage(to_stage):
        stage = track.stage(to_stage)
        moved.append("To " + stage_title(stage.number, stage.name, informal=stage.informal))
    reason = str(data.get("reason") or "").strip()
    if kind == EventKind.ESCALATED and reason in TRIGGER_WORDS:
        moved.append(f"because {TRIGGER_WORDS[reason]}")
    elif reason:
        moved.append(f"Reason: {reason}")
    sentences = [", ".join(moved)] if moved else []
    if kind == EventKind.RAISED and data.get("route") == "immediate-risk":
        sentences.append("On the immediate-risk route")
    if data.get("on_behalf_of"):
        sentences.append(f"On behalf of {data['on_behalf_of']}")
    for key in ("text", "outcome", "filename"):
        value = str(data.get(key) or "").strip()
        if value:
            sentences.append(value)
    outstanding = str(data.get("outstanding") or "").strip()
    if outstanding:
        sentences.append(f"Outstanding issues: {outstanding}")
    return " ".join(_sentence(s) for s in sentences)


def _sentence(words: str) -> str:
    words = words[:1].upper() + words[1:]
    return words if words.endswith((".", "?", "!")) else words + "."


def _visits(entries: tuple[Entry, ...], track: Track) -> tuple[Visit, ...]:
    """The stages the case reached, in order, each with when and how it left it."""
    how_words = {
        EventKind.ESCALATED: "Escalated",
        EventKind.BYPASSED: "Bypassed to a later stage",
        EventKind.IMMEDIATE_RISK_DECLARED: "Escalated for immediate risk",
        EventKind.RESOLVED: "Resolved",
        EventKind.WITHDRAWN: "Withdrawn",
    }
    visits: list[Visit] = []
    for entry in entries:
        if visits and visits[-1].left_at is None and entry.kind in how_words:
            visits[-1] = dataclasses.replace(
                visits[-1], left_at=entry.at, how_left=how_words[entry.kind]
            )
        arrived = entry.stage if entry.kind is EventKind.RAISED else entry.to_stage
        if arrived and (entry.kind is EventKind.RAISED or entry.kind in MOVES):
            number, words = 0, arrived
            if track.has_stage(arrived):
                stage = track.stage(arrived)
                number = stage.number
                words = stage_title(stage.number, stage.name, informal=stage.informal)
            visits.append(Visit(arrived, words, number, entry.at))
    return tuple(visits)


def _preparer(person: Person) -> Preparer:
    roles = person.roles.select_related("agency")
    agencies = sorted({role.agency.name for role in roles if role.agency is not None})
    return Preparer(
        name=person.name,
        job_title=person.job_title,
        agency=", ".join(agencies),
        email=person.email,
        phone=person.phone,
    )
