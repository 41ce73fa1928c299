"""The procedure model: a partnership's escalation procedure as plain, checked data.

Everything here is built by :mod:`parley.core.loader` from a procedure file and is
immutable. The engine and the planner read it; nothing in it knows about Django.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from parley.core.durations import NO_LIMIT, Duration
from parley.core.roletable import STANDARD_ROLES as ROLE_TABLE
from parley.core.roletable import Role

# Side is named from here by the procedure model's readers: re-exported.
from parley.core.sides import Side as Side


class StepAction(StrEnum):
    """The recorded action that completes a step."""

    RAISE = "raise"
    DISCUSS = "discuss"
    RESPOND = "respond"
    CONFIRM = "confirm"  # written confirmation of an agreed outcome
    REFER = "refer"  # a referral, usually on a form, to the next rung
    MEET = "meet"
    DECIDE = "decide"
    FEEDBACK = "feedback"  # feedback to the person who raised it (Torbay Channel para 13)


class EscalationTrigger(StrEnum):
    """What moves a case up a rung."""

    DEADLINE_PASSED = "deadline-passed"
    RESPONSE_UNSATISFACTORY = "response-unsatisfactory"
    NO_AGREEMENT = "no-agreement"


class Scope(StrEnum):
    CHILDREN = "children"
    ADULTS = "adults"
    CHANNEL = "channel"


class ResolutionKind(StrEnum):
    CHAIR_DECIDES = "chair-decides"
    RESOLUTION_PANEL = "resolution-panel"
    DISPUTE_RESOLUTION_MEETING = "dispute-resolution-meeting"
    CONFLICT_RESOLUTION_MEETING = "conflict-resolution-meeting"
    BINDING_DECISION = "binding-decision"
    AGREEMENT = "agreement"


class SignpostKind(StrEnum):
    CONDUCT_COMPLAINT = "conduct-complaint"
    ALLEGATION_AGAINST_STAFF = "allegation-against-staff"
    WHISTLEBLOWING = "whistleblowing"
    SINGLE_AGENCY = "single-agency"
    SYSTEM_ISSUE = "system-issue"


class StepAnchor(StrEnum):
    PREVIOUS_STEP = "previous-step"
    STAGE_START = "stage-start"
    EVENT = "event"


class ClockKind(StrEnum):
    """Where a limit's clock runs from, when it is not the stage or the step before."""

    ANSWER = "answer"  # a date the person raising it gave (answer:<question id>)
    STEP = "step"  # another step's completion, of any stage (<stage id>.<step id>)
    CAP = "cap"  # the end of a cap (cap:<cap id>)


@dataclass(frozen=True)
class Clock:
    """``after: answer:conference-ended``, ``after: stage-1.discuss`` or ``after: cap:steps``."""

    kind: ClockKind
    ref: str  # the question id, "<stage id>.<step id>" or the cap id

    def __str__(self) -> str:
        return self.ref if self.kind is ClockKind.STEP else f"{self.kind.value}:{self.ref}"


class NotifyWhen(StrEnum):
    RAISED = "raised"
    ENTRY = "entry"  # the case reaches this stage
    OUTCOME = "outcome"  # the case is resolved at this stage, or anywhere if procedure-wide
    ESCALATED = "escalated"  # the case leaves this stage upwards
    CLOSED = "closed"
    EVERY_STAGE = "every-stage"


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    BI_ANNUAL = "bi-annual"
    ANNUAL = "annual"


class Debrief(StrEnum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


# The labels of the roles Parley knows without a procedure declaring them; what each
# role means (sight, where it may act, its pages) is the table in parley.core.roles.
STANDARD_ROLES: dict[str, str] = {role.id: role.label for role in ROLE_TABLE.values()}


# What every page, form and text says of a rule the document does not give, in place of a
# citation: the rule is Parley's choice, and the choice's reason follows.
CHOICE_WORDS = "Parley's choice: the document does not say"


@dataclass(frozen=True)
class Choice:
    """A rule the document is silent on and the procedure file chooses, with its reason.

    ``settings`` names the settings of the entry that are chosen (an immediate-risk
    route's ``within``); empty, the whole entry is the choice (an annual report).
    """

    reason: str
    settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """Where in the document a rule comes from, as a file line and a citation; or, where
    the document is silent, the choice the file makes in its place."""

    file: str = ""
    line: int = 0
    cite: str = ""
    choice: Choice | None = None

    def chosen(self, setting: str = "") -> bool:
        """Whether the entry (or, named, one of its settings) is Parley's choice."""
        if self.choice is None:
            return False
        return not self.choice.settings or setting in self.choice.settings

    def choice_words(self, setting: str = "") -> str:
        """ "Parley's choice: the document does not say. <reason>", or "" if cited."""
        if not self.chosen(setting) or self.choice is None:
            return ""
        reason = self.choice.reason.strip()
        return f"{CHOICE_WORDS}. {reason}" if reason else f"{CHOICE_WORDS}."

    def shown(self, setting: str = "") -> str:
        """What to show for the rule: the choice where it is one, else the citation."""
        return self.choice_words(setting) or self.cite


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    agency: str = ""
    phone: str = ""
    email: str = ""
    purpose: str = ""
    address: str = ""


@dataclass(frozen=True)
class Signpost:
    kind: SignpostKind
    advice: str
    contact: str = ""
    source: Source = field(default_factory=Source)


# A condition on the raiser's answers: each question's id and the answer it must have
# (a yes-no question's "yes" or "no", a choice question's option id). Every pair must hold;
# empty, it always holds.
Condition = tuple[tuple[str, str], ...]


def holds(condition: Condition, answers: Mapping[str, str] | None) -> bool:
    """Whether the answers given meet the condition. An unanswered question meets none."""
    given = answers or {}
    return all(given.get(question) == answer for question, answer in condition)


@dataclass(frozen=True)
class Branch:
    """One way a stage's ``next`` may go: to ``stage`` when the answers meet ``when``; the
    last branch, with no ``when``, is where a case goes otherwise."""

    stage: str
    when: Condition = ()
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Notify:
    who: str  # a role
    when: NotifyWhen
    why: str = ""
    # The message carries the forms the case used (TWSP Appendix 1, stage 7: "send a copy
    # to the TWSP Partnership Manager" once the forms are completed).
    with_forms: bool = False
    # Told only where the raiser's answers meet this ("tell the reviewing officer in
    # writing, where one is involved"); empty: always.
    only_if: Condition = ()
    source: Source = field(default_factory=Source)

    def applies(self, answers: Mapping[str, str] | None) -> bool:
        return holds(self.only_if, answers)


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    by: Side
    action: StepAction
    within: Duration = NO_LIMIT
    anchor: StepAnchor = StepAnchor.PREVIOUS_STEP
    anchor_event: str = ""  # with anchor == EVENT, e.g. "meeting-held"
    only_if_agreed: bool = False
    cumulative: Duration | None = None
    form: str = ""
    advisory: bool = False
    source: Source = field(default_factory=Source)
    # Where the step's clock runs from, when that is outside its stage (``after``).
    clock: Clock | None = None


@dataclass(frozen=True)
class Participant:
    """Someone the disagreement is about, or their representative (``participants``):
    not a user of Parley, but told of the case and their views put on the record."""

    id: str  # "subject": the person the disagreement is about
    label: str
    told: tuple[NotifyWhen, ...] = ()  # when the holder of the stage tells them
    views: bool = False  # their views are recorded on the case
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Adviser:
    """Someone who may be consulted at any stage without being a stage (``advisers``):
    a designated doctor or nurse. Their role is held partnership-wide and gives sight
    only of the cases they were asked about."""

    role: str
    label: str
    source: Source = field(default_factory=Source)


# Whom a network meeting (a stage's ``meeting``) brings together.
EVERY_AGENCY_INVOLVED = "every-agency-involved"


@dataclass(frozen=True)
class NetworkMeeting:
    """A stage that is a meeting of every agency involved (``meeting``): the two sides and
    the agencies the case records as involved, each told and each seeing the case."""

    of: str = EVERY_AGENCY_INVOLVED
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class ResolutionMethod:
    kind: ResolutionKind
    description: str = ""
    chaired_by: str = ""
    convene_within: Duration = NO_LIMIT
    decide_within: Duration = NO_LIMIT
    panel_agencies: int = 0
    include_parties_where_possible: bool = False
    binding: bool = False
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class MayShorten:
    """Who may set a shorter time limit for this stage in one case, with a reason, to
    protect the child or adult: "within 10 working days or a timescale that protects the
    child or adult from harm (whichever is shortest)" (TWSP Appendix 1). Never longer than
    the written limit."""

    by: frozenset[Side]  # the sides whose people, holding the stage now, may shorten it
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Priority:
    """A priority the people holding a stage may give a case there, which sets the stage's
    time limit: "Urgent: within 1 working day", "Routine: within 5 working days"."""

    id: str
    label: str
    within: Duration
    default: bool = False
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Stage:
    id: str
    number: int  # as the document numbers it: formal stages from 1, an informal stage 0
    name: str
    raising_side: tuple[str, ...]
    other_side: tuple[str, ...]
    steps: tuple[Step, ...]
    within: Duration = NO_LIMIT
    cumulative: Duration | None = None
    informal: bool = False
    escalate_when: frozenset[EscalationTrigger] = frozenset()
    # Where a case goes up to: the one stage, or, with ``branches``, where it goes when no
    # branch's condition holds (the last branch's stage).
    next: str | None = None
    branches: tuple[Branch, ...] = ()
    kept_informed: tuple[str, ...] = ()
    # Who acts for the partnership at this stage (the chair who decides, the panel that
    # meets); the file says so, or it is the partnership-wide roles named as chairing the
    # stage's resolution methods or on one of its sides.
    partnership_side: tuple[str, ...] = ()
    # Who may move the case up from this stage; empty: whoever acts at the stage.
    escalate_by: tuple[str, ...] = ()
    notify: tuple[Notify, ...] = ()
    forms: tuple[str, ...] = ()
    resolution: tuple[ResolutionMethod, ...] = ()
    advisory: bool = False
    description: str = ""
    # Whom those acting for the partnership here may inform, as a recorded action (TWSP:
    # the Executive informs "relevant professional bodies if appropriate").
    informs: str = ""
    may_shorten: MayShorten | None = None
    priorities: tuple[Priority, ...] = ()
    meeting: NetworkMeeting | None = None  # the stage is a meeting of every agency involved
    source: Source = field(default_factory=Source)
    # Where the stage's own limit runs from, when not from reaching the stage (``after``).
    clock: Clock | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role the stage names: on a side, for the partnership or kept informed."""
        return tuple(
            dict.fromkeys(
                (*self.raising_side, *self.other_side, *self.partnership_side, *self.kept_informed)
            )
        )

    def priority(self, priority_id: str = "") -> Priority | None:
        """The priority given (by id), or the stage's default; None if it has none."""
        for priority in self.priorities:
            if priority.id == priority_id:
                return priority
        return next((p for p in self.priorities if p.default), None)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def next_for(self, answers: Mapping[str, str] | None) -> str | None:
        """The stage a case with these answers goes up to: the first branch whose
        condition holds, else ``next``."""
        for branch in self.branches:
            if branch.when and holds(branch.when, answers):
                return branch.stage
        return self.next

    @property
    def next_stages(self) -> tuple[str, ...]:
        """Every stage a case may go up to from here, whatever the answers."""
        found = [branch.stage for branch in self.branches]
        if self.next is not None:
            found.append(self.next)
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Cap:
    """A limit on the time taken across several stages (e.g. "20 working days in all"), or
    across steps, each named ``<stage id>.<step id>`` ("steps 1 to 5 together")."""

    id: str
    stages: tuple[str, ...]
    within: Duration
    advisory: bool = False
    source: Source = field(default_factory=Source)

    @property
    def stage_ids(self) -> tuple[str, ...]:
        """The stages the cap covers, wholly or by some of their steps, in its order."""
        return tuple(dict.fromkeys(member.split(".", 1)[0] for member in self.stages))

    def covers(self, stage_id: str, step_id: str = "") -> bool:
        """Whether the cap binds the stage (``step_id`` empty) or one of its steps."""
        if stage_id in self.stages:
            return True
        return bool(step_id) and f"{stage_id}.{step_id}" in self.stages


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    stages: tuple[Stage, ...]
    description: str = ""
    caps: tuple[Cap, ...] = ()

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def has_stage(self, stage_id: str) -> bool:
        return any(stage.id == stage_id for stage in self.stages)

    def next_stage(self, stage: Stage, answers: Mapping[str, str] | None = None) -> Stage | None:
        """The stage above ``stage`` for a case with these answers (none: where a case
        goes when no condition holds)."""
        above = stage.next_for(answers)
        return self.stage(above) if above else None

    def formal_stages(self) -> Iterator[Stage]:
        return (stage for stage in self.stages if not stage.informal)

    def first_stage(self, *, informal: bool = False) -> Stage:
        if informal:
            return self.stages[0]
        return next(self.formal_stages(), self.stages[0])

    def ladder_from(
        self, stage: Stage, answers: Mapping[str, str] | None = None
    ) -> Iterator[Stage]:
        current: Stage | None = stage
        while current is not None:
            yield current
            current = self.next_stage(current, answers)


@dataclass(frozen=True)
class ImmediateRisk:
    """The route for someone at immediate risk of significant harm."""

    within: Duration
    start: str  # a stage id, or "choose" where the raiser uses discretion
    allowed_starts: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    guidance: str = ""
    source: Source = field(default_factory=Source)

    @property
    def raiser_chooses(self) -> bool:
        return self.start == "choose"


@dataclass(frozen=True)
class Bypass:
    allowed: bool = False
    reason_required: bool = True
    by: tuple[str, ...] = ()  # roles; empty means either side's parties
    from_stages: tuple[str, ...] = ()  # empty: from any stage
    to_stages: tuple[str, ...] = ()  # empty: to any stage beyond the next
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class OnBehalf:
    allowed: bool = False
    by: tuple[str, ...] = ()
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Outcome:
    written_confirmation: bool = True
    outstanding_issues: bool = True
    # None: the raiser is not told (a document that asks for no feedback).
    feedback_to_raiser: NotifyWhen | None = NotifyWhen.EVERY_STAGE
    feedback_by: str = "the person the issue is referred to"
    debrief: Debrief = Debrief.OPTIONAL
    learning_to: str = ""
    records_kept_by: str = ""
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Form:
    id: str
    name: str
    template: str  # a document template Parley knows, e.g. "twsp-referral"
    from_stage: str = ""
    within: Duration = NO_LIMIT
    send_to: tuple[str, ...] = ()
    # Who it goes to as the document names them ("the WSCB Business Manager"), printed
    # on the form in place of the roles' labels.
    addressee: str = ""
    when: str = "entry"  # "entry" (on reaching from_stage) or "resolved-at" (resolved there)
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Reporting:
    cadence: Cadence
    to: str
    by: str = ""
    includes: str = ""
    source: Source = field(default_factory=Source)


class SideRouteFrom(StrEnum):
    """When a side route may be started from a case."""

    ANY_STAGE = "any-stage"  # while the case is open, at whatever stage of the ladder
    CLOSED = "closed"  # once the case has ended: resolved or closed


# Who may start a side route, besides roles: the people involved for a side of the case.
SIDE_ROUTE_SIDES = ("raising", "other", "partnership")


@dataclass(frozen=True)
class SideRoute:
    """A short route out of the ladder that a party can start from a case, with its own
    stages and limits, kept on the case's record: a complaint about the partnership's
    handling goes to its executive, then its independent scrutineer."""

    id: str
    name: str
    stages: tuple[Stage, ...]
    may_start: tuple[str, ...] = ()  # roles, or "raising", "other", "partnership"
    start_from: SideRouteFrom = SideRouteFrom.ANY_STAGE
    description: str = ""
    source: Source = field(default_factory=Source)

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def next_stage(self, stage: Stage) -> Stage | None:
        return self.stage(stage.next) if stage.next else None


class QuestionKind(StrEnum):
    """What kind of answer a question asks of the person raising a disagreement."""

    DATE = "date"
    YES_NO = "yes-no"
    CHOICE = "choice"


@dataclass(frozen=True)
class Option:
    """One answer a choice question offers."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """A question the person raising a disagreement answers (the date of the conference
    they dissent from). The answer is kept with the case; a limit may run from a date
    answered (``after: answer:<id>``).

    ``names`` is what a date answered is, for the explanation of a deadline that runs
    from it ("the end of the conference"); without it, the question's text is quoted.
    """

    id: str
    text: str
    kind: QuestionKind
    options: tuple[Option, ...] = ()
    hint: str = ""
    required: bool = False
    names: str = ""
    source: Source = field(default_factory=Source)

    def option_label(self, option_id: str) -> str:
        for option in self.options:
            if option.id == option_id:
                return option.label
        return option_id


@dataclass(frozen=True)
class CalendarSpec:
    region: str = "england-and-wales"
    end_of_day: time = time(17, 0)
    closures: tuple[tuple[date, str], ...] = ()
    timezone: str = "Europe/London"
    # Whether a limit in calendar days that ends on a weekend, bank holiday or closure day
    # moves to the next working day ("next-working-day") or ends where it falls
    # ("as-counted"); empty where the file does not say (Parley's choice: it moves).
    calendar_days_end: str = ""


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    version: str
    partnership: str
    scope: frozenset[Scope]
    tracks: tuple[Track, ...]
    document: str = ""
    summary: str = ""
    categories: tuple[Category, ...] = ()
    roles: dict[str, str] = field(default_factory=dict)  # its own roles: id and label
    role_specs: dict[str, Role] = field(default_factory=dict)  # its own roles, as the table
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    contacts: tuple[Contact, ...] = ()
    signposting: tuple[Signpost, ...] = ()
    immediate_risk: ImmediateRisk | None = None
    bypass: Bypass = field(default_factory=Bypass)
    on_behalf: OnBehalf = field(default_factory=OnBehalf)
    outcome: Outcome = field(default_factory=Outcome)
    forms: tuple[Form, ...] = ()
    reporting: tuple[Reporting, ...] = ()
    notify: tuple[Notify, ...] = ()
    overall: Duration = NO_LIMIT
    advisory: bool = False
    side_routes: tuple[SideRoute, ...] = ()
    questions: tuple[Question, ...] = ()
    retention_years: int = 7
    # A challenge inside one agency (a reviewing officer and their own agency's manager):
    # the other side is the raising agency, and the stages tell the sides apart by role.
    single_agency: bool = False
    participants: tuple[Participant, ...] = ()
    advisers: tuple[Adviser, ...] = ()
    source_file: str = ""

    @property
    def subject(self) -> Participant | None:
        """The person the disagreement is about, where the procedure makes them a
        participant who is told and whose views are recorded."""
        return next((p for p in self.participants if p.id == "subject"), None)

    def adviser(self, role: str) -> Adviser | None:
        return next((a for a in self.advisers if a.role == role), None)

    @property
    def has_network_meeting(self) -> bool:
        return any(stage.meeting for track in self.tracks for stage in track.stages)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def is_channel(self) -> bool:
        return Scope.CHANNEL in self.scope

    def track(self, track_id: str | None = None) -> Track:
        if track_id is None:
            return self.tracks[0]
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)

    def role_label(self, role: str) -> str:
        return self.roles.get(role) or STANDARD_ROLES.get(role, role.replace("-", " "))

    def form(self, form_id: str) -> Form:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise KeyError(form_id)

    def side_route(self, route_id: str) -> SideRoute:
        for route in self.side_routes:
            if route.id == route_id:
                return route
        raise KeyError(route_id)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def category_label(self, category_id: str) -> str:
        for category in self.categories:
            if category.id == category_id:
                return category.label
        return category_id


# How a chosen setting is named where the choices are listed.
SETTING_WORDS = {
    "within": "the time limit",
    "start": "the starting stage",
    "allowed_starts": "the stages it may start at",
    "send_to": "who it is sent to",
    "feedback_to_raiser": "feedback to the person who raised it",
    "reason_required": "a reason asked for",
}


def condition_words(procedure: Procedure, condition: Condition) -> str:
    """A condition as people read it: 'if the answer to “Who is it about?” is “An adult”'."""
    parts = []
    for question_id, answer in condition:
        try:
            question = procedure.question(question_id)
        except KeyError:
            parts.append(f"if {question_id} is {answer}")
            continue
        said = (
            answer if question.kind is QuestionKind.YES_NO else f"“{question.option_label(answer)}”"
        )
        parts.append(f"if the answer to “{question.text}” is {said}")
    return " and ".join(parts)


def rules_of(procedure: Procedure) -> list[tuple[str, Source]]:
    """Every rule of the procedure that has a source, each with what it is in words, in the
    order of the file's sections: the one list of rules the pages and texts show, for the
    choices it holds and for the file each comes from."""
    found: list[tuple[str, Source]] = []

    def told(rule: Notify) -> str:
        return f"telling the {procedure.role_label(rule.who).lower()}"

    found += [(f"Question “{q.text}”", q.source) for q in procedure.questions]
    found += [
        (f"Category “{category.label}”", category.source) for category in procedure.categories
    ]
    found += [
        (f"Signpost ({sign.kind.value.replace('-', ' ')})", sign.source)
        for sign in procedure.signposting
    ]
    if procedure.immediate_risk is not None:
        found.append(("Immediate risk", procedure.immediate_risk.source))
    found.append(("Bypass", procedure.bypass.source))
    found.append(("Raising on another's behalf", procedure.on_behalf.source))
    found.append(("Outcome", procedure.outcome.source))
    found += [(f"Form “{form.name}”", form.source) for form in procedure.forms]
    found += [
        (f"Report ({report.cadence.value}) to {report.to}", report.source)
        for report in procedure.reporting
    ]
    found += [(told(rule).capitalize(), rule.source) for rule in procedure.notify]
    for track in procedure.tracks:
        found += [(f"Limit across stages ({cap.id})", cap.source) for cap in track.caps]
        for stage in track.stages:
            name = stage_label(stage)
            found.append((name, stage.source))
            found += [(f"{name}, step “{step.name}”", step.source) for step in stage.steps]
            found += [(f"{name}, {told(rule)}", rule.source) for rule in stage.notify]
            found += [
                (f"{name}, resolution ({method.kind.value})", method.source)
                for method in stage.resolution
            ]
    for route in procedure.side_routes:
        found.append((f"Side route “{route.name}”", route.source))
        found += [(f"Side route “{route.name}”, {s.name}", s.source) for s in route.stages]
    return found


def stage_label(stage: Stage) -> str:
    """A stage as lists of rules name it: "Stage 2, Line managers"."""
    return (
        f"Informal stage, {stage.name}" if stage.informal else f"Stage {stage.number}, {stage.name}"
    )


def choices_of(procedure: Procedure) -> list[tuple[str, Source]]:
    """Every rule of the procedure that is Parley's choice, each with what it is in words
    and, where the choice is of some settings only, which."""
    found: list[tuple[str, Source]] = []
    for what, source in rules_of(procedure):
        if source.choice is not None:
            settings = ", ".join(
                SETTING_WORDS.get(s, s.replace("_", " ")) for s in source.choice.settings
            )
            found.append((f"{what}: {settings}" if settings else what, source))
    return found


def rules_by_file(procedure: Procedure) -> dict[str, list[str]]:
    """For a procedure laid over another, the rules each file set or last changed, in the
    order of the file's sections: a rule changed by a local file counts as the local
    file's (its settings were laid over the regional file's)."""
    files: dict[str, list[str]] = {}
    for what, source in rules_of(procedure):
        files.setdefault(source.file, []).append(what)
    return files
