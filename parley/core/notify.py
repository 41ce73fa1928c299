"""Who must be told what, and when: notification rules as data, with no Django.

Two questions are answered here, both as plain values (:class:`Notice`):

- A change to a case (the events one action appended) implies which notices?
  :func:`change_notices`. The rules follow the procedure file: ``notify`` (who, when,
  why), each stage's ``kept_informed``, ``outcome.feedback_to_raiser`` and the
  ``immediate_risk`` route's ``notify``.
- The passing of time implies which notices for one open deadline, at ``now``?
  :func:`deadline_notices`: a reminder some time before (a partnership setting), "due
  today", and "overdue" to the people who hold it and to the next rung.

A notice names its recipients as a description (a role on a side of the case, "the
raiser", "who holds the deadline", "the next rung"), never as people: the directory
turns descriptions into people, and the access rules decide who of them may be told.

Every notice carries a ``trigger``: the same trigger is never notified twice to the same
person (the outbox keys on trigger and person). A deadline's trigger includes its due
time, so when a bank holiday moves a deadline, its reminders follow it.

Time: "now" is always an argument, and every moment is worked out on the partnership's
working-day calendar in its time zone, so the clock changes in March and October move
nothing by an hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from parley.core.calendar import WorkingCalendar
from parley.core.durations import Unit
from parley.core.engine import (
    SIDE_ROUTE_EVENTS,
    CaseState,
    Event,
    EventKind,
    Route,
    apply,
    forms_sent,
    forms_used,
)
from parley.core.procedure import NotifyWhen, Procedure, Side, Stage, Track
from parley.core.roles import PARTY_ROLE, stage_side_roles, stand_in_roles
from parley.core.words import clock, long_date, moment_words


class NoticeKind(StrEnum):
    """What a notice is about. The order is the priority when one person would get two
    notices for one trigger: they get the first only."""

    IMMEDIATE_RISK = "immediate-risk"
    RAISED_WITH_YOU = "raised-with-you"
    ESCALATED_TO_YOU = "escalated-to-you"
    OVERDUE = "overdue"
    DUE_TODAY = "due-today"
    REMINDER = "reminder"
    RESPONSE_RECEIVED = "response-received"
    FEEDBACK = "feedback"
    FORM_SENT = "form-sent"
    NAMED_ALERT = "named-alert"
    KEPT_INFORMED = "kept-informed"
    WITHDRAWN = "withdrawn"


PRIORITY: dict[NoticeKind, int] = {kind: rank for rank, kind in enumerate(NoticeKind)}
DEADLINE_KINDS = frozenset({NoticeKind.REMINDER, NoticeKind.DUE_TODAY, NoticeKind.OVERDUE})


class Audience(StrEnum):
    RAISER = "raiser"  # the person who raised the disagreement
    OTHER_PARTY = "other-party"  # the professional named in the other agency, if any
    HOLDER = "holder"  # whoever must act: the roles of a stage, on the side(s) due
    NEXT_RUNG = "next-rung"  # the roles of the next stage, on the same side(s)
    ROLE = "role"  # a role the procedure names (notify, kept_informed, immediate_risk)
    # The roles named, held in each agency the case records as involved beyond its two
    # sides: a meeting of every agency involved.
    INVOLVED = "involved"


@dataclass(frozen=True)
class RoleGroup:
    """Holders of ``roles`` on one side of the case.

    ``RAISING``/``OTHER``: held in the raising/other agency, or partnership-wide (the
    Channel roles are held partnership-wide); ``BOTH``: in either agency or
    partnership-wide; ``PARTNERSHIP``: partnership-wide only.
    """

    side: Side
    roles: tuple[str, ...]
    # For the side's party (``practitioner``) when the party is not in Parley: the roles
    # told instead (:func:`parley.core.roles.stand_in_roles`).
    stand_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    audience: Audience
    groups: tuple[RoleGroup, ...] = ()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for group in self.groups for role in (*group.roles, *group.stand_in))

    def describe(self) -> str:
        if not self.groups:
            return self.audience.value
        parts = [f"{g.side.value}:{'+'.join(g.roles)}" for g in self.groups]
        return f"{self.audience.value}({', '.join(parts)})"


RAISER = Recipient(Audience.RAISER)
OTHER_PARTY = Recipient(Audience.OTHER_PARTY)


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    recipient: Recipient
    case: str
    trigger: str  # what caused it; a person is told of one trigger once
    stage: str  # the stage the notice is about
    at: datetime  # when it became due to be told
    urgent: bool = False  # the immediate-risk route: not held back for working hours
    due: datetime | None = None  # the deadline's due moment, for deadline notices
    deadline: str = ""  # the deadline's key, for deadline notices
    label: str = ""  # what is due (a step's name), or what happened
    why: str = ""  # the procedure's reason for telling this person, where it gives one
    cite: str = ""  # where in the document that reason comes from
    event: str = ""  # the event kind that caused a change notice

    @property
    def rank(self) -> tuple[int, int]:
        return PRIORITY[self.kind], 0 if self.recipient.audience is Audience.HOLDER else 1


# --- settings a partnership chooses -----------------------------------------------------


@dataclass(frozen=True)
class Lead:
    """How long before a deadline the reminder goes: working days (default 1) or hours."""

    amount: int = 1
    unit: Unit = Unit.WORKING_DAYS

    def __post_init__(self) -> None:
        if self.unit not in (Unit.WORKING_DAYS, Unit.HOURS):
            raise ValueError("a reminder's lead time is in working days or hours")
        if self.amount < 0:
            raise ValueError("a reminder's lead time cannot be negative")


@dataclass(frozen=True)
class WorkingHours:
    """When ordinary notifications may be sent; outside them they wait for the morning."""

    start: time = time(8, 0)
    end: time = time(18, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")


# --- changes ----------------------------------------------------------------------------


def change_notices(
    procedure: Procedure,
    before: CaseState | None,
    after: CaseState,
    events: Sequence[Event],
    *,
    case: str,
    first_sequence: int,
) -> list[Notice]:
    """The notices the events of one change imply, in priority order per trigger.

    ``first_sequence`` is the record's sequence number of ``events[0]``: each event is
    its own trigger. ``after`` must be ``before`` with the events applied.
    """
    notices: list[Notice] = []
    state = before
    for offset, event in enumerate(events):
        new = apply(state, event, procedure)
        trigger = f"{case}:e{first_sequence + offset}"
        told = _side_route_notices if event.kind in SIDE_ROUTE_EVENTS else _event_notices
        notices.extend(told(procedure, state, new, event, case=case, trigger=trigger))
        state = new
    if state != after:
        raise ValueError("the state after the change is not the state before plus its events")
    return sorted(notices, key=lambda n: (n.trigger, n.rank))


def _event_notices(
    procedure: Procedure,
    before: CaseState | None,
    after: CaseState,
    event: Event,
    *,
    case: str,
    trigger: str,
) -> list[Notice]:
    track = procedure.track(after.track)
    stage = track.stage(after.stage)
    urgent = after.route is Route.IMMEDIATE_RISK

    def notice(kind: NoticeKind, recipient: Recipient, **extra: str) -> Notice:
        return Notice(
            kind=kind,
            recipient=recipient,
            case=case,
            trigger=trigger,
            stage=stage.id,
            at=event.at,
            urgent=urgent,
            label=extra.get("label", ""),
            why=extra.get("why", ""),
            cite=extra.get("cite", ""),
            event=event.kind.value,
        )

    notices: list[Notice] = []
    kind = event.kind
    feedback = procedure.outcome.feedback_to_raiser
    moving = (EventKind.ESCALATED, EventKind.BYPASSED, EventKind.IMMEDIATE_RISK_DECLARED)

    if kind is EventKind.RAISED:
        # Both sides' holders of the stage it starts at; the raiser is the actor and is
        # never told of their own action.
        notices.append(notice(NoticeKind.RAISED_WITH_YOU, _holders(stage, Side.BOTH, track=track)))
        if stage.other_side:
            # The professional named in the other agency hears of it when a stage first
            # gives their side something to do: not at Torbay children's Stage One, the
            # worker's own consultation "before approaching the other agency".
            notices.append(notice(NoticeKind.RAISED_WITH_YOU, OTHER_PARTY))
        notices.extend(_entry_alerts(procedure, stage, notice, raised=True, answers=after.answers))
        if urgent:
            notices.extend(_immediate_alerts(procedure, notice))
    elif kind in moving and before is not None:
        left = track.stage(before.stage)
        notices.append(notice(NoticeKind.ESCALATED_TO_YOU, _holders(stage, Side.BOTH, track=track)))
        if feedback is NotifyWhen.EVERY_STAGE:
            notices.append(notice(NoticeKind.FEEDBACK, RAISER, label="stage-changed"))
        for rule in left.notify:
            if rule.when is NotifyWhen.ESCALATED and rule.applies(after.answers):
                notices.append(_named(rule.who, rule.why, rule.source.shown(), notice))
        notices.extend(_entry_alerts(procedure, stage, notice, raised=False, answers=after.answers))
        if kind is EventKind.IMMEDIATE_RISK_DECLARED:
            notices.extend(_immediate_alerts(procedure, notice))
    elif kind is EventKind.RESPONSE_RECORDED:
        # The raiser's side hears that the other side has answered.
        notices.append(notice(NoticeKind.RESPONSE_RECEIVED, RAISER))
        notices.append(
            notice(NoticeKind.RESPONSE_RECEIVED, _holders(stage, Side.RAISING, track=track))
        )
    elif kind is EventKind.FEEDBACK_GIVEN:
        notices.append(notice(NoticeKind.FEEDBACK, RAISER, label="feedback-given"))
    elif kind is EventKind.RESOLVED:
        notices.extend(_resolved_notices(procedure, stage, after, notice))
    elif kind is EventKind.CLOSED:
        notices.extend(_closed_notices(procedure, stage, after, notice))
    elif kind is EventKind.WITHDRAWN:
        notices.append(notice(NoticeKind.WITHDRAWN, _holders(stage, Side.BOTH, track=track)))
        if stage.kept_informed:
            notices.append(notice(NoticeKind.WITHDRAWN, _roles(stage.kept_informed)))
    return notices + _beyond_the_sides(procedure, stage, event, notice)


def _resolved_notices(
    procedure: Procedure, stage: Stage, after: CaseState, notice: _Make
) -> list[Notice]:
    """Who hears that a case was resolved at ``stage``: the raiser's feedback, the notices
    the procedure names on an outcome, those kept informed, and the forms it sends."""
    notices: list[Notice] = []
    feedback = procedure.outcome.feedback_to_raiser
    if feedback in (NotifyWhen.EVERY_STAGE, NotifyWhen.OUTCOME):
        notices.append(notice(NoticeKind.FEEDBACK, RAISER, label="resolved"))
    for rule in (*stage.notify, *procedure.notify):
        if rule.when is NotifyWhen.OUTCOME and rule.applies(after.answers):
            notices.append(_named(rule.who, rule.why, rule.source.shown(), notice))
    if stage.kept_informed:
        notices.append(notice(NoticeKind.KEPT_INFORMED, _roles(stage.kept_informed)))
    # A form sent because of where it was resolved (Wirral's proformas, section 2 and
    # Appendix 2), with the form: it waits for its recipient to acknowledge it.
    for form in forms_sent(procedure, after):
        notices.append(
            notice(
                NoticeKind.FORM_SENT,
                _roles(form.send_to),
                label=form.template,
                why=form.name,
                cite=form.source.cite,
            )
        )
    return notices


def _closed_notices(
    procedure: Procedure, stage: Stage, after: CaseState, notice: _Make
) -> list[Notice]:
    """Who hears that a case was closed: the raiser's feedback and the notices the
    procedure names on closing, with the forms used where it says so."""
    notices: list[Notice] = []
    feedback = procedure.outcome.feedback_to_raiser
    if feedback in (NotifyWhen.EVERY_STAGE, NotifyWhen.OUTCOME):
        notices.append(notice(NoticeKind.FEEDBACK, RAISER, label="closed"))
    # e.g. TWSP Appendix 1, stage 7: the completed forms go to the Partnership Manager,
    # with the forms themselves.
    used = forms_used(procedure, after)
    for rule in (*stage.notify, *procedure.notify):
        if rule.when is not NotifyWhen.CLOSED or not rule.applies(after.answers):
            continue
        if rule.with_forms and used:
            notices.append(
                notice(
                    NoticeKind.FORM_SENT,
                    _roles((rule.who,)),
                    label=" ".join(form.template for form in used),
                    why="; ".join(form.name for form in used),
                    cite=rule.source.shown(),
                )
            )
        else:
            notices.append(_named(rule.who, rule.why, rule.source.shown(), notice))
    return notices


def _side_route_notices(
    procedure: Procedure,
    before: CaseState | None,
    after: CaseState,
    event: Event,
    *,
    case: str,
    trigger: str,
) -> list[Notice]:
    """A side route's stage is for those it names: the partnership's executive hears of a
    complaint about its handling when the route reaches them. Ending it tells no one."""
    taken = after.side_route(str(event.data.get("route", "")))
    if taken is None or event.kind is EventKind.SIDE_ROUTE_ENDED:
        return []
    route = procedure.side_route(taken.route)
    reached = route.stage(taken.stage)
    return [
        Notice(
            kind=NoticeKind.NAMED_ALERT,
            recipient=_roles(reached.roles),
            case=case,
            trigger=trigger,
            stage=after.stage,
            at=event.at,
            why=f"{route.name}: it has reached {reached.name}, for you to take.",
            cite=reached.source.shown(),
            event=event.kind.value,
        )
    ]


class _Make(Protocol):
    """The shape of the ``notice`` helper inside :func:`_event_notices`."""

    def __call__(self, kind: NoticeKind, recipient: Recipient, **extra: str) -> Notice: ...


def _entry_alerts(
    procedure: Procedure,
    stage: Stage,
    notice: _Make,
    *,
    raised: bool,
    answers: Mapping[str, str] | None = None,
) -> list[Notice]:
    """The named alerts and kept-informed notices when a case reaches ``stage``."""
    notices = []
    rules = [r for r in stage.notify if r.when in (NotifyWhen.ENTRY, NotifyWhen.EVERY_STAGE)]
    rules += [r for r in procedure.notify if r.when is NotifyWhen.EVERY_STAGE]
    if raised:
        # e.g. Torbay Channel para 5: "The Channel chair must be alerted to the dispute".
        rules += [r for r in procedure.notify if r.when is NotifyWhen.RAISED]
    for rule in rules:
        # "Tell the reviewing officer in writing, where one is involved": a rule with
        # ``only_if`` is for the cases whose answers meet it.
        if rule.applies(answers):
            notices.append(_named(rule.who, rule.why, rule.source.shown(), notice))
    if stage.kept_informed:
        notices.append(notice(NoticeKind.KEPT_INFORMED, _roles(stage.kept_informed)))
    if stage.meeting is not None and not raised:
        notices.append(_meeting_alert(stage, notice))
    return notices


def _meeting_alert(stage: Stage, notice: _Make) -> Notice:
    """Every agency involved is told of a meeting of every agency involved: the roles the
    meeting names, in each of them."""
    roles = tuple(
        r for r in dict.fromkeys((*stage.raising_side, *stage.other_side)) if r != PARTY_ROLE
    )
    return notice(
        NoticeKind.NAMED_ALERT,
        Recipient(Audience.INVOLVED, (RoleGroup(Side.BOTH, roles),)),
        why=f"{stage.name}: your agency is involved and is asked to the meeting.",
        cite=stage.meeting.source.shown() if stage.meeting else "",
    )


def _beyond_the_sides(
    procedure: Procedure, stage: Stage, event: Event, notice: _Make
) -> list[Notice]:
    """An adviser asked is told (held partnership-wide); an agency added while the
    meeting of every agency involved is under way is told of it."""
    if event.kind is EventKind.ADVICE_REQUESTED:
        adviser = procedure.adviser(str(event.data.get("adviser", "")))
        if adviser is None:
            return []
        group = RoleGroup(Side.PARTNERSHIP, (adviser.role,))
        return [
            notice(
                NoticeKind.NAMED_ALERT,
                Recipient(Audience.ROLE, (group,)),
                why=f"Your advice is asked for, as {adviser.label.lower()}.",
                cite=adviser.source.shown(),
            )
        ]
    if event.kind is EventKind.AGENCY_INVOLVED and stage.meeting is not None:
        return [_meeting_alert(stage, notice)]
    return []


def _immediate_alerts(procedure: Procedure, notice: _Make) -> list[Notice]:
    risk = procedure.immediate_risk
    if risk is None or not risk.notify:
        return []
    # "Tell your designated safeguarding lead now" (TWSP section 3): the raising agency's
    # holders of the roles, and partnership-wide ones (a hub, the Channel chair).
    group = RoleGroup(Side.RAISING, tuple(risk.notify))
    return [
        notice(
            NoticeKind.IMMEDIATE_RISK,
            Recipient(Audience.ROLE, (group,)),
            why=risk.guidance.strip(),
            cite=risk.source.cite,
        )
    ]


def _named(role: str, why: str, cite: str, notice: _Make) -> Notice:
    return notice(NoticeKind.NAMED_ALERT, _roles((role,)), why=why.strip(), cite=cite)


def _roles(roles: Sequence[str]) -> Recipient:
    return Recipient(Audience.ROLE, (RoleGroup(Side.BOTH, tuple(roles)),))


def _holders(
    stage: Stage, side: Side, audience: Audience = Audience.HOLDER, *, track: Track | None = None
) -> Recipient:
    """Who holds a stage for ``side``, as the roles table says who acts there
    (:func:`parley.core.roles.stage_side_roles`): its raising-side roles in the raising
    agency, its other-side roles in the other agency; for the partnership, the roles that
    act for it at the stage (or, with none, those it keeps informed). Everyone the stage
    names to act (BOTH) includes those who act for the partnership: a case escalated to
    Torbay Channel's stage 4 is the Community Safety Partnership Board Chair's to resolve
    (paras 10 and 11), and the Chair is told so, not only kept informed. Where a side's
    party holds the stage, ``track`` gives who stands in for a party not in Parley."""
    groups: list[RoleGroup] = []
    for one in (Side.RAISING, Side.OTHER):
        roles = stage_side_roles(stage, one)
        if side in (one, Side.BOTH) and roles:
            stand_in = (
                stand_in_roles(track, stage, one)
                if track is not None and PARTY_ROLE in roles
                else ()
            )
            groups.append(RoleGroup(one, roles, stand_in))
    if side is Side.BOTH and (chairs := stage_side_roles(stage, Side.PARTNERSHIP)):
        groups.append(RoleGroup(Side.PARTNERSHIP, chairs))
    if side is Side.PARTNERSHIP:
        roles = stage_side_roles(stage, Side.PARTNERSHIP) or stage.kept_informed
        if roles:
            groups.append(RoleGroup(Side.BOTH, roles))
    return Recipient(audience, tuple(groups))


# --- deadlines --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDeadline:
    """One deadline not yet met, as the sweep finds it (a copy of the planner's)."""

    case: str
    key: str  # the planner's key: "stage-1/resolve", "stage-1", "cap:x", "overall"
    stage: str
    by: Side
    due: datetime
    label: str
    track: str
    stage_entered_at: datetime
    urgent: bool = False


def deadline_trigger(kind: NoticeKind, deadline: OpenDeadline) -> str:
    due = deadline.due.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
    return f"{deadline.case}:{kind.value}:{deadline.key}:{due}"


def deadline_notices(
    procedure: Procedure,
    deadline: OpenDeadline,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    lead: Lead,
) -> list[Notice]:
    """The one notice this deadline calls for at ``now``, to its holders (and, once it
    has passed, to the next rung); none if it calls for nothing now.

    Only the latest applies: a deadline first seen on its due day gets "due today", not
    yesterday's reminder. A reminder or "due today" whose moment came before the case
    reached the stage is not sent: the "escalated to you" notice already said what is
    due.
    """
    try:
        track = procedure.track(deadline.track or None)
        stage = track.stage(deadline.stage)
    except KeyError:
        return []
    due = deadline.due
    if now >= due:
        return _overdue(track, stage, deadline, now=now)
    morning = start_of_day(due, calendar)
    if now >= morning:
        if morning < deadline.stage_entered_at:
            return []
        return [_deadline_notice(NoticeKind.DUE_TODAY, stage, deadline, at=morning)]
    remind = reminder_at(due, calendar=calendar, lead=lead)
    if now >= remind and remind >= deadline.stage_entered_at:
        return [_deadline_notice(NoticeKind.REMINDER, stage, deadline, at=remind)]
    return []


def _overdue(track: Track, stage: Stage, deadline: OpenDeadline, *, now: datetime) -> list[Notice]:
    notices = [_deadline_notice(NoticeKind.OVERDUE, stage, deadline, at=deadline.due)]
    above = track.next_stage(stage)
    if above is not None:
        rung = _holders(above, _side_of(deadline.by), Audience.NEXT_RUNG)
    elif stage.kept_informed:
        # The top of the ladder: those the stage keeps informed are the last word.
        rung = Recipient(Audience.NEXT_RUNG, (RoleGroup(Side.BOTH, stage.kept_informed),))
    else:
        rung = Recipient(Audience.NEXT_RUNG)
    if rung.groups:
        notices.append(
            _deadline_notice(NoticeKind.OVERDUE, stage, deadline, at=deadline.due, to=rung)
        )
    return notices


def _side_of(by: Side) -> Side:
    # A partnership step's next rung is the next stage's parties on both sides.
    return Side.BOTH if by is Side.PARTNERSHIP else by


def _deadline_notice(
    kind: NoticeKind,
    stage: Stage,
    deadline: OpenDeadline,
    *,
    at: datetime,
    to: Recipient | None = None,
) -> Notice:
    return Notice(
        kind=kind,
        recipient=to or _holders(stage, deadline.by),
        case=deadline.case,
        trigger=deadline_trigger(kind, deadline),
        stage=stage.id,
        at=at,
        # On the immediate-risk route a passed deadline is told at once, day or night;
        # reminders and "due today" keep to working hours like any other.
        urgent=deadline.urgent and kind is NoticeKind.OVERDUE,
        due=deadline.due,
        deadline=deadline.key,
        label=deadline.label,
    )


def start_of_day(moment: datetime, calendar: WorkingCalendar) -> datetime:
    """Midnight at the start of ``moment``'s day, on the calendar's wall clock."""
    zone = ZoneInfo(calendar.timezone)
    return datetime.combine(moment.astimezone(zone).date(), time(), tzinfo=zone)


def reminder_at(due: datetime, *, calendar: WorkingCalendar, lead: Lead) -> datetime:
    """When the reminder for a deadline due at ``due`` becomes due.

    Working days: the start of the ``amount``-th working day before the due day (one
    working day before a Tuesday deadline after a bank holiday Monday is the Friday).
    Hours: ``amount`` hours of the wall clock before it.
    """
    zone = ZoneInfo(calendar.timezone)
    if lead.unit is Unit.HOURS:
        wall = due.astimezone(zone).replace(tzinfo=None) - timedelta(hours=lead.amount)
        return wall.replace(tzinfo=zone)
    day = due.astimezone(zone).date()
    for _ in range(lead.amount):
        day = calendar.previous_working_day(day)
    return datetime.combine(day, time(), tzinfo=zone)


def sweep_horizon(now: datetime, *, calendar: WorkingCalendar, lead: Lead) -> datetime:
    """No deadline due after this can call for a notice at ``now``: the sweep's bound.

    Generous by a working day so that another procedure's calendar in the same
    partnership (a different region's bank holidays) is still covered.
    """
    zone = ZoneInfo(calendar.timezone)
    if lead.unit is Unit.HOURS:
        return now + timedelta(hours=lead.amount) + timedelta(days=1)
    today = now.astimezone(zone).date()
    last = calendar.add_working_days(today, lead.amount + 2)
    return datetime.combine(last, time(), tzinfo=zone)


def deliver_at(
    moment: datetime, *, calendar: WorkingCalendar, hours: WorkingHours, urgent: bool
) -> datetime:
    """The earliest time a notice that became due at ``moment`` may be sent.

    Within working hours on a working day: at once. Otherwise the start of the next
    working hours, where everything that fell due overnight makes the morning's digest.
    The immediate-risk route is never held back.
    """
    if urgent:
        return moment
    zone = ZoneInfo(calendar.timezone)
    local = moment.astimezone(zone)
    day: date = local.date()
    if calendar.is_working_day(day):
        if hours.start <= local.time() < hours.end:
            return moment
        if local.time() < hours.start:
            return datetime.combine(day, hours.start, tzinfo=zone)
    return datetime.combine(calendar.next_working_day(day), hours.start, tzinfo=zone)


def held_words(
    written: datetime,
    goes: datetime,
    *,
    calendar: WorkingCalendar,
    hours: WorkingHours,
    urgent: bool,
) -> str:
    """Why a notice written at ``written`` waits until ``goes``, in words ("" if it goes
    at once): what :func:`deliver_at` decided, told to the person waiting for it."""
    if urgent or goes <= written:
        return ""
    zone = ZoneInfo(calendar.timezone)
    local, send = written.astimezone(zone), goes.astimezone(zone)
    if not calendar.is_working_day(local.date()):
        why = f"{long_date(local, weekday=True)} is not a working day"
    elif local.time() < hours.start:
        why = f"it was written at {clock(local)}, before working hours"
    else:
        why = f"it was written at {clock(local)}, after working hours"
    return (
        f"Held until {moment_words(send)}. Notices that are not urgent go only in working "
        f"hours ({clock(hours.start)} to {clock(hours.end)} on working days), and {why}."
    )


def collapse(
    notices: Sequence[Notice], people: Sequence[Sequence[str]]
) -> list[tuple[Notice, str]]:
    """One notice per person per trigger: the highest in priority wins.

    ``people[i]`` are the people (ids) notice ``i`` resolves to. Returns (notice, person)
    pairs in the notices' order. When the winner gives no reason and a notice it beat
    does (a procedure's ``why``), the reason is kept: the Channel chair who is also a
    party still reads why the procedure says they must be alerted.
    """
    best: dict[tuple[str, str], tuple[int, Notice]] = {}
    reasons: dict[tuple[str, str], Notice] = {}
    for index, (notice, persons) in enumerate(zip(notices, people, strict=True)):
        for person in persons:
            slot = (notice.trigger, person)
            held = best.get(slot)
            if held is None or notice.rank < held[1].rank:
                best[slot] = (index, notice)
            if notice.why and slot not in reasons:
                reasons[slot] = notice
    pairs = []
    for slot, (_, notice) in sorted(best.items(), key=lambda item: (item[1][0], item[0][1])):
        reason = reasons.get(slot)
        if reason is not None and not notice.why:
            notice = replace(notice, why=reason.why, cite=reason.cite)
        pairs.append((notice, slot[1]))
    return pairs
