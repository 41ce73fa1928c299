"""The one door for notifications: writing the outbox, sweeping for due deadlines, sending.

- :func:`notifications_for_change` runs inside the transaction of every change (an
  after-change hook, :mod:`parley.cases.hooks`), so the outbox rows commit (or roll
  back) with the change.
  Once it commits, a ``send_due_notifications`` task is enqueued.
- :func:`notifications_sweep` finds deadlines that call for a reminder, "due today" or
  "overdue" and writes their rows. The worker runs it every minute; it is idempotent.
- :func:`notifications_send_due` claims due rows (``SELECT ... FOR UPDATE SKIP LOCKED``
  on PostgreSQL; under SQLite's write lock, with a conditional update), sends one
  message per person (a digest when several are due at once; urgent notices never
  share a message with anything that is not urgent) and records the outcome.

What is guaranteed when a sender stops mid-send, or the mail server fails, is written
in docs/notifications.md.

Which notices a change or a deadline implies is decided by the pure
:mod:`parley.core.notify`; who they reach, by the directory and the access rules.
"""

from __future__ import annotations

import logging
import time as clock
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from parley.cases import hooks
from parley.cases.access import agencies_involved, can_view
from parley.cases.hooks import Change
from parley.cases.models import (
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
)
from parley.cases.selectors import calendar_with, closures_of, core_event, procedure_of
from parley.core import notify as rules
from parley.core.calendar import WorkingCalendar
from parley.core.durations import Unit
from parley.core.engine import CaseState
from parley.core.notify import Notice, NoticeKind, OpenDeadline
from parley.core.procedure import Procedure, Side
from parley.dbbulk import rows_insert
from parley.notifications import wording
from parley.notifications.channels import ClaimLost, DeliveryError, Outgoing, channel_for
from parley.notifications.models import (
    Notification,
    NotificationSettings,
    SweepRun,
)
from parley.notifications.recipients import Directory

logger = logging.getLogger(__name__)
Status = Notification.Status


# --- settings ---------------------------------------------------------------------------


def notification_settings_for(partnership: Partnership) -> NotificationSettings:
    """The partnership's settings, or the defaults (unsaved) if it has chosen none."""
    found = NotificationSettings.objects.filter(partnership=partnership).first()
    return found or NotificationSettings(partnership=partnership)


def _lead(prefs: NotificationSettings) -> rules.Lead:
    unit = Unit.HOURS if prefs.reminder_unit == prefs.LeadUnit.HOURS else Unit.WORKING_DAYS
    return rules.Lead(prefs.reminder_lead, unit)


def _hours(prefs: NotificationSettings) -> rules.WorkingHours:
    return rules.WorkingHours(prefs.working_hours_start, prefs.working_hours_end)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _channel() -> str:
    return str(getattr(settings, "PARLEY_NOTIFY_CHANNEL", Notification.Channel.EMAIL))


# --- calendars --------------------------------------------------------------------------

# --- writing the outbox -----------------------------------------------------------------


@dataclass
class _Case:
    case: Disagreement
    procedure: Procedure
    calendar: WorkingCalendar
    raiser: Person | None = None
    other_party: Person | None = None


def _outbox_rows(
    notices: Sequence[Notice],
    cases: dict[str, _Case],
    directory: Directory,
    *,
    hours: rules.WorkingHours,
    now: datetime | None,
    exclude: frozenset[int] = frozenset(),
) -> tuple[list[dict[str, Any]], int]:
    """Outbox rows for ``notices``: one per person per trigger, only to people who may
    see the case. Also returns how many would-be recipients were withheld by access."""
    people: dict[int, Person] = {}
    resolved: list[list[str]] = []
    withheld = 0
    for notice in notices:
        context = cases[notice.case]
        found = directory.resolve(
            notice.recipient,
            context.case,
            raiser=context.raiser,
            other_party=context.other_party,
        )
        withheld += len(found.withheld)
        keep = [p for p in found.people if p.pk not in exclude]
        people.update((p.pk, p) for p in keep)
        resolved.append([str(p.pk) for p in keep])
    channel = _channel()  # as configured now; the sender uses the one configured then
    messages: dict[int, wording.Message] = {}
    rows = []
    for notice, person_key in rules.collapse(notices, resolved):
        context = cases[notice.case]
        zone = ZoneInfo(context.calendar.timezone)
        message = messages.get(id(notice))
        if message is None:
            message = messages[id(notice)] = wording.compose(
                notice,
                reference=context.case.reference,
                procedure=context.procedure,
                track=context.case.track,
                zone=zone,
            )
        # A change is told from when it happened; a sweep's finding from when it ran.
        scheduled = rules.deliver_at(
            now or notice.at, calendar=context.calendar, hours=hours, urgent=notice.urgent
        )
        # A row as the outbox stores it (parley.dbbulk): building a model instance for
        # each of tens of thousands of rows cost a sixth of the busiest sweep.
        rows.append(
            {
                "partnership_id": context.case.partnership_id,
                "recipient_id": people[int(person_key)].pk,
                "disagreement_id": context.case.pk,
                "kind": notice.kind.value,
                "channel": channel,
                "subject": message.subject,
                "body": message.body,
                "dedupe_key": f"{notice.trigger}:p{person_key}"[:255],
                "urgent": notice.urgent,
                "deadline_key": notice.deadline,
                "due_at": notice.due,
                "scheduled_for": scheduled,
                "next_attempt_at": scheduled,
            }
        )
    return rows, withheld


def _write(rows: list[dict[str, Any]]) -> int:
    # A trigger already in the outbox is left as it is: the sweep and a change may meet.
    rows_insert(Notification, rows, ignore_conflicts=True)
    return len(rows)


def notifications_for_change(
    *,
    disagreement: Disagreement,
    before: CaseState | None,
    after: CaseState,
    events: Sequence[Event],
) -> int:
    """Write the outbox rows one change implies, in the caller's transaction.

    ``events`` are the record rows the change appended. The person who acted is never
    told of their own action. Returns how many rows were written.
    """
    if not events:
        return 0
    procedure = procedure_of(disagreement.procedure)
    core = [core_event(e) for e in events]
    notices = rules.change_notices(
        procedure,
        before,
        after,
        core,
        case=str(disagreement.pk),
        first_sequence=events[0].sequence,
    )
    if not notices:
        return 0
    partnership = disagreement.partnership
    prefs = notification_settings_for(partnership)
    directory = Directory(
        partnership_id=partnership.pk,
        roles={role for n in notices for role in n.recipient.roles},
        agency_ids=(
            disagreement.raising_agency_id,
            disagreement.other_agency_id,
            *(int(a) for a in agencies_involved(disagreement) if a.isdigit()),
        ),
    )
    context = _Case(
        case=disagreement,
        procedure=procedure,
        calendar=calendar_with(procedure, closures_of(partnership)),
        raiser=disagreement.raised_by,
        other_party=disagreement.other_professional,
    )
    actors = frozenset(e.actor_id for e in events if e.actor_id)
    rows, _ = _outbox_rows(
        notices,
        {str(disagreement.pk): context},
        directory,
        hours=_hours(prefs),
        now=None,
        exclude=actors,
    )
    if rows:
        _write(rows)
        transaction.on_commit(_enqueue_send)
    return len(rows)


def case_changed(change: Change) -> None:
    """The outbox rows of one change: an after-change hook (:mod:`parley.cases.hooks`)."""
    notifications_for_change(
        disagreement=change.disagreement,
        before=change.before,
        after=change.after,
        events=list(change.new),
    )


# The task that sends what is due (parley.notifications.tasks registers it by this name).
SEND_DUE_NOTIFICATIONS = "notifications.send_due"


def _enqueue_send() -> None:
    try:
        hooks.start(SEND_DUE_NOTIFICATIONS)
    except Exception:
        # The worker's own sweep sends them within a minute anyway.
        logger.exception("could not enqueue send_due_notifications")


# --- the sweep --------------------------------------------------------------------------


def notifications_sweep(
    *, now: datetime | None = None, partnership: Partnership | None = None
) -> SweepRun:
    """Find every open deadline that calls for a notice now and write the outbox rows.

    Idempotent: what was written before is not written again (the outbox's keys include
    the deadline's due time, so a deadline a bank holiday moved is reminded afresh).
    """
    now = now or timezone.now()
    started = clock.perf_counter()
    run = SweepRun(as_of=now)
    if partnership is not None:
        partnerships = [partnership]
    else:
        partnerships = list(
            Partnership.objects.filter(
                pk__in=Disagreement.objects.filter(status=Disagreement.Status.OPEN).values(
                    "partnership_id"
                )
            )
        )
    for each in partnerships:
        examined, written, withheld = _sweep_partnership(each, now)
        run.deadlines_examined += examined
        run.notifications_written += written
        run.withheld += withheld
    run.finished_at = timezone.now()
    run.seconds = round(clock.perf_counter() - started, 3)
    run.save()
    return run


_CASE_FIELDS = (
    "disagreement__reference",
    "disagreement__track",
    "disagreement__stage_entered_at",
    "disagreement__route",
    "disagreement__procedure_id",
    "disagreement__raised_by_id",
    "disagreement__other_professional_id",
    "disagreement__raising_agency_id",
    "disagreement__other_agency_id",
    "disagreement__highest_stage_number",
)


# What the sweep knows of each case it writes notices for, in the order it reads them; and
# the same in the model's order of fields (as Disagreement.from_db takes them).
_KNOWN = (
    "id",
    "partnership_id",
    "reference",
    "track",
    "procedure_id",
    "raised_by_id",
    "other_professional_id",
    "raising_agency_id",
    "other_agency_id",
    "highest_stage_number",
)
_CONTEXT_FIELDS = [f.attname for f in Disagreement._meta.concrete_fields if f.attname in _KNOWN]


def _sweep_partnership(partnership: Partnership, now: datetime) -> tuple[int, int, int]:
    prefs = notification_settings_for(partnership)
    lead = _lead(prefs)
    versions = {v.pk: v for v in ProcedureVersion.objects.filter(partnership=partnership)}
    procedures = {pk: procedure_of(v) for pk, v in versions.items()}
    closures = closures_of(partnership)
    calendars = {pk: calendar_with(p, closures) for pk, p in procedures.items()}
    if not calendars:
        return 0, 0, 0
    horizon = max(rules.sweep_horizon(now, calendar=c, lead=lead) for c in calendars.values())
    told = Notification.objects.filter(
        disagreement=OuterRef("disagreement"),
        deadline_key=OuterRef("key"),
        due_at=OuterRef("due_at"),
    )
    candidates = (
        Deadline.objects.filter(
            disagreement__partnership=partnership,
            disagreement__status=Disagreement.Status.OPEN,
            met_at__isnull=True,
            advisory=False,
            due_at__lte=horizon,
        )
        # Nothing more is ever said of a deadline once its "overdue" has been written.
        .exclude(Exists(told.filter(kind=NoticeKind.OVERDUE.value)))
        .annotate(
            reminded=Exists(told.filter(kind=NoticeKind.REMINDER.value)),
            told_today=Exists(told.filter(kind=NoticeKind.DUE_TODAY.value)),
        )
        .values_list(
            "disagreement_id",
            "key",
            "stage",
            "side",
            "due_at",
            "label",
            *_CASE_FIELDS,
            "reminded",
            "told_today",
        )
    )
    notices: list[Notice] = []
    cases: dict[str, _Case] = {}
    examined = 0
    alias = connection.alias  # once: each use goes through the connection proxy's lookup
    # Fetched whole, not through a server-side cursor: PostgreSQL plans a cursor for its
    # first rows (cursor_tuple_fraction) and chose nested loops 15 times slower here.
    for row in candidates:
        examined += 1
        case_id, key, stage, side, due, label, reference, track, entered, route = row[:10]
        version_id, raiser_id, other_id, raising_id, other_agency_id, highest = row[10:16]
        reminded, told_today = row[16:]
        deadline = OpenDeadline(
            case=str(case_id),
            key=key,
            stage=stage,
            by=Side(side),
            due=due,
            label=label,
            track=track,
            stage_entered_at=entered,
            urgent=route == Disagreement.Route.IMMEDIATE_RISK,
        )
        found = rules.deadline_notices(
            procedures[version_id], deadline, now=now, calendar=calendars[version_id], lead=lead
        )
        found = [
            n
            for n in found
            if not (n.kind is NoticeKind.REMINDER and reminded)
            and not (n.kind is NoticeKind.DUE_TODAY and told_today)
        ]
        if not found:
            continue
        notices.extend(found)
        if deadline.case not in cases:
            # As a row read from the database: three times quicker than building the
            # instance from keywords, for each of thousands of cases on a busy morning.
            known = dict(
                zip(_KNOWN, (case_id, partnership.pk, reference, track, *row[10:16]), strict=True)
            )
            case = Disagreement.from_db(
                alias, _CONTEXT_FIELDS, [known[name] for name in _CONTEXT_FIELDS]
            )
            case.procedure = versions[version_id]
            cases[deadline.case] = _Case(case, procedures[version_id], calendars[version_id])
    if not notices:
        return examined, 0, 0
    directory = Directory(
        partnership_id=partnership.pk, roles={r for n in notices for r in n.recipient.roles}
    )
    rows, withheld = _outbox_rows(notices, cases, directory, hours=_hours(prefs), now=now)
    with transaction.atomic():
        written = _write(rows)
    return examined, written, withheld


# --- sending ----------------------------------------------------------------------------


@dataclass
class SendReport:
    deliveries: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    unconfirmed: int = 0

    def add(self, other: SendReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Delivery:
    key: uuid.UUID
    token: uuid.UUID
    repeat: bool  # made up before: this is a retry, or its sender stopped mid-send
    ids: list[int] = field(default_factory=list)


def _pending(now: datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(status__in=Notification.PENDING, next_attempt_at__lte=now)


def _locked(queryset: QuerySet[Notification]) -> QuerySet[Notification]:
    # PostgreSQL: rows another sender is claiming are skipped, not waited for. SQLite has
    # no row locks; its claim runs under the database's write lock (BEGIN IMMEDIATE) and
    # its UPDATE re-checks that each row is still pending.
    if connection.vendor == "postgresql":
        return queryset.select_for_update(skip_locked=True)
    return queryset


def _claim(*, now: datetime, batch: int) -> list[_Delivery]:
    lease = now + timedelta(seconds=_setting("PARLEY_NOTIFY_CLAIM_SECONDS", 300))
    deliveries: list[_Delivery] = []
    with transaction.atomic():
        picked = list(
            _locked(_pending(now).order_by("next_attempt_at", "pk")).values_list(
                "pk", "recipient_id", "channel", "delivery_key"
            )[:batch]
        )
        if not picked:
            return []
        repeats = {key for _, _, _, key in picked if key is not None}
        fresh = {person for _, person, _, key in picked if key is None}
        # An urgent notice (the immediate-risk route) never waits for, travels with or
        # retries on the schedule of anything that is not urgent.
        groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        if repeats:
            # A delivery is tried again as it was made up, whole, under the same key.
            rows = _locked(_pending(now).filter(delivery_key__in=repeats).order_by("pk"))
            for pk, key in rows.values_list("pk", "delivery_key"):
                groups[("repeat", key)].append(pk)
        if fresh:
            # Everything due for one person goes in one message: the morning's digest.
            rows = _locked(
                _pending(now)
                .filter(delivery_key__isnull=True, recipient_id__in=fresh)
                .order_by("pk")
            )
            for pk, person, urgent in rows.values_list("pk", "recipient_id", "urgent"):
                groups[("fresh", person, urgent)].append(pk)
        for group, ids in groups.items():
            token = uuid.uuid4()
            repeat = group[0] == "repeat"
            key = group[1] if repeat else token
            assert isinstance(key, uuid.UUID)
            changes: dict[str, object] = {
                "status": Status.SENDING,
                "claim_token": token,
                "delivery_key": key,
                "next_attempt_at": lease,
                "attempts": F("attempts") + 1,
            }
            if not repeat:
                # The channel configured now; a repeat stays on the one it was tried on.
                changes["channel"] = _channel()
            claimed = _pending(now).filter(pk__in=ids).update(**changes)
            if claimed:
                claimed_ids = list(
                    Notification.objects.filter(claim_token=token).values_list("pk", flat=True)
                )
                deliveries.append(_Delivery(key=key, token=token, repeat=repeat, ids=claimed_ids))
    return deliveries


def notifications_send_due(
    *, now: datetime | None = None, batch: int | None = None, max_batches: int = 50
) -> SendReport:
    """Send what is due, one message per person per claim, until nothing is left.

    ``now`` fixes the clock (tests); the worker leaves it to the real one.
    """
    report = SendReport()
    batch = batch or _setting("PARLEY_NOTIFY_BATCH", 20)
    for _ in range(max_batches):
        moment = now or timezone.now()
        deliveries = _claim(now=moment, batch=batch)
        if not deliveries:
            break
        for delivery in deliveries:
            report.add(_deliver(delivery, now=now))
    return report


def _deliver(delivery: _Delivery, *, now: datetime | None) -> SendReport:
    report = SendReport(deliveries=1)
    moment = now or timezone.now()
    lease = moment + timedelta(seconds=_setting("PARLEY_NOTIFY_CLAIM_SECONDS", 300))
    mine = Notification.objects.filter(claim_token=delivery.token, status=Status.SENDING)
    # Renew the claim before sending: one that lapsed while earlier messages of this
    # batch went out may have been taken by another sender, who will send it instead.
    if not mine.update(next_attempt_at=lease):
        report.lost_claims += 1
        return report
    rows = list(
        mine.select_related("recipient", "disagreement__procedure")
        .prefetch_related("recipient__roles")
        .order_by("pk")
    )
    if not delivery.repeat:
        rows = _drop_unneeded(rows, report)
        if not rows:
            return report
    recipient = rows[0].recipient
    if not recipient.email:
        return _fail(delivery, rows, DeliveryError("no email address", permanent=True), moment)
    # Words are finished now, not when queued: links follow the address Parley is at.
    if len(rows) == 1:
        subject = rows[0].subject
        body = wording.finish(rows[0].body, rows[0].disagreement.reference)
    else:
        message = wording.digest(
            [(r.subject, r.disagreement.reference) for r in rows],
            urgent=all(r.urgent for r in rows),
        )
        subject, body = message.subject, message.body
    outgoing = Outgoing(
        to=recipient.email,
        subject=subject,
        body=body,
        key=str(delivery.key),
        notification_ids=tuple(r.pk for r in rows),
        repeat=delivery.repeat,
    )
    ours = Notification.objects.filter(
        claim_token=delivery.token, status__in=(Status.SENDING, Status.UNCONFIRMED)
    )

    def handover() -> bool:
        # Committed before the mail server is told the message is complete: a sender
        # that dies after this is not followed by a second copy (docs/notifications.md).
        return bool(
            mine.update(
                status=Status.UNCONFIRMED, sent_at=now or timezone.now(), next_attempt_at=None
            )
        )

    try:
        reference = channel_for(rows[0].channel).deliver(outgoing, handover)
    except ClaimLost:
        report.lost_claims += 1
        logger.warning("delivery %s was taken over by another sender before it went", delivery.key)
        return report
    except DeliveryError as error:
        if error.in_doubt:
            report.unconfirmed += ours.update(
                status=Status.UNCONFIRMED, last_error=error.reason[:2000], next_attempt_at=None
            )
            logger.error(
                "delivery %s was handed over but not confirmed: %s", delivery.key, error.reason
            )
            return report
        return _fail(delivery, rows, error, moment)
    done = ours.update(
        status=Status.SENT,
        sent_at=now or timezone.now(),
        provider_reference=reference[:100],
        next_attempt_at=None,
    )
    if done:
        report.sent += done
    else:
        # Sent, but the claim lapsed during the send (GOV.UK Notify, which has no
        # handover mark); the next sender asks Notify for the key before repeating it.
        report.lost_claims += 1
        logger.warning("delivery %s sent after its claim lapsed", delivery.key)
    return report


def _drop_unneeded(rows: list[Notification], report: SendReport) -> list[Notification]:
    """Cancel rows no longer worth sending, saying why: the deadline was met or moved,
    the case ended, or the recipient may no longer see it."""
    deadline_rows = [r for r in rows if r.deadline_key]
    still_open: set[tuple[int, str, datetime]] = set()
    if deadline_rows:
        still_open = set(
            Deadline.objects.filter(
                disagreement_id__in={r.disagreement_id for r in deadline_rows},
                met_at__isnull=True,
                disagreement__status=Disagreement.Status.OPEN,
            ).values_list("disagreement_id", "key", "due_at")
        )
    keep = []
    for row in rows:
        reason = ""
        if row.deadline_key and (row.disagreement_id, row.deadline_key, row.due_at) not in (
            still_open
        ):
            reason = "The deadline was met, moved or ended before this was sent."
        elif not can_view(row.recipient, row.disagreement):
            reason = "The recipient can no longer see this case."
        if reason:
            Notification.objects.filter(pk=row.pk).update(
                status=Status.CANCELLED, last_error=reason, next_attempt_at=None
            )
            report.cancelled += 1
        else:
            keep.append(row)
    return keep


def _fail(
    delivery: _Delivery, rows: list[Notification], error: DeliveryError, moment: datetime
) -> SendReport:
    report = SendReport(deliveries=1)
    attempts = max(r.attempts for r in rows)  # the claim counted this attempt
    # A delivery is all urgent or all not (see _claim): urgent ones keep their own, closer
    # schedule, day and night, and keep trying for longer before they are failed.
    urgent = all(r.urgent for r in rows)
    if urgent:
        most = _setting("PARLEY_NOTIFY_URGENT_MAX_ATTEMPTS", 20)
        base = _setting("PARLEY_NOTIFY_URGENT_RETRY_SECONDS", 60)
        longest = _setting("PARLEY_NOTIFY_URGENT_RETRY_MAX_SECONDS", 300)
    else:
        most = _setting("PARLEY_NOTIFY_MAX_ATTEMPTS", 6)
        base = _setting("PARLEY_NOTIFY_RETRY_SECONDS", 60)
        longest = 6 * 60 * 60
    mine = Notification.objects.filter(
        claim_token=delivery.token, status__in=(Status.SENDING, Status.UNCONFIRMED)
    )
    reason = error.reason[:2000]
    if error.permanent or attempts >= most:
        report.failed += mine.update(status=Status.FAILED, last_error=reason, next_attempt_at=None)
        logger.error("delivery %s failed: %s", delivery.key, reason)
        return report
    wait = timedelta(seconds=min(base * 2 ** (attempts - 1), longest))
    retry_at = moment + wait if urgent else _respecting_hours(rows[0], moment + wait)
    report.retrying += mine.update(
        status=Status.RETRYING, last_error=reason, next_attempt_at=retry_at
    )
    logger.warning("delivery %s will be retried at %s: %s", delivery.key, retry_at, reason)
    return report


def _respecting_hours(row: Notification, moment: datetime) -> datetime:
    version = row.disagreement.procedure
    partnership = row.disagreement.partnership
    prefs = notification_settings_for(partnership)
    calendar = calendar_with(procedure_of(version), closures_of(partnership))
    return rules.deliver_at(moment, calendar=calendar, hours=_hours(prefs), urgent=False)


# --- operators ----------------------------------------------------------------------------


def notification_retry(*, notification: Notification, now: datetime | None = None) -> bool:
    """Send a failed notification again, from the first attempt, as a new message; or
    one sent but not confirmed, which an operator chooses to send again. True if it was
    either."""
    now = now or timezone.now()
    again = (Status.FAILED, Status.UNCONFIRMED)
    return bool(
        Notification.objects.filter(pk=notification.pk, status__in=again).update(
            status=Status.QUEUED,
            attempts=0,
            next_attempt_at=now,
            delivery_key=None,
            claim_token=None,
        )
    )


def notifications_retry_failed(
    *,
    partnership: Partnership | None = None,
    among: QuerySet[Notification] | None = None,
    now: datetime | None = None,
) -> int:
    """Send every failed notification (of one partnership; of those ``among``, the ones
    an operator may know of) again; returns how many."""
    now = now or timezone.now()
    failed = Notification.objects.filter(status=Status.FAILED)
    if partnership is not None:
        failed = failed.filter(partnership=partnership)
    if among is not None:
        failed = failed.filter(pk__in=among.values("pk"))
    count = failed.update(
        status=Status.QUEUED, attempts=0, next_attempt_at=now, delivery_key=None, claim_token=None
    )
    if count:
        transaction.on_commit(_enqueue_send)
    return count
