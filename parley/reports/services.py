"""The one door for the reports app's writes: the learning log and the report settings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from parley.cases.models import Disagreement, Event, Partnership, Person, ProcedureVersion
from parley.cases.selectors import calendar_of, procedure_of
from parley.core import engine
from parley.core import report as core
from parley.core.engine import EventKind
from parley.reports.models import (
    DEFAULT_THRESHOLD,
    LearningItem,
    ReportCase,
    ReportSettings,
    StageSpan,
)
from parley.reports.spans import COPIED, spans_of

# Working days from a referral to its first review, unless someone sets another date:
# about a month, so an issue comes back before the next quarterly report.
FOLLOW_UP_WORKING_DAYS = 20
THRESHOLD_RANGE = (2, 50)


class ReportError(ValueError):
    """A change the reports app refuses; the message is plain English."""


@transaction.atomic
def learning_item_record(
    *,
    event: Event,
    person: Person | None = None,
    topic: str = "",
    referred_to: str = "",
    summary: str = "",
    follow_up_due: date | None = None,
) -> LearningItem:
    """Put an issue referred from a case (a ``learning-referred`` event) in the learning log.

    Call it straight after the action that referred it; calling it again for the same
    event returns the item already there. ``topic``, ``referred_to`` and ``summary`` may
    also come in the event's own fields of the same names.
    """
    if event.kind != EventKind.LEARNING_REFERRED:
        raise ReportError("Only a policy or learning issue referred from a case is logged")
    existing = LearningItem.objects.filter(event=event).first()
    if existing is not None:
        return existing
    case = event.disagreement
    procedure = procedure_of(case.procedure)
    data = event.data or {}
    chosen_topic = topic or str(data.get("topic") or "")
    if chosen_topic not in LearningItem.Topic.values:
        chosen_topic = LearningItem.Topic.OTHER
    if follow_up_due is None:
        calendar = calendar_of(case.partnership, procedure)
        referred_day = event.at.astimezone(calendar.end_of_working_day(event.at.date()).tzinfo)
        follow_up_due = calendar.add_working_days(referred_day.date(), FOLLOW_UP_WORKING_DAYS)
    return LearningItem.objects.create(
        partnership=case.partnership,
        procedure_id=case.procedure.procedure_id,
        disagreement=case,
        event=event,
        referred_at=event.at,
        issue=str(data.get("text") or ""),
        topic=chosen_topic,
        summary=summary or str(data.get("summary") or ""),
        referred_to=(
            referred_to or str(data.get("referred_to") or "") or procedure.outcome.learning_to
        )[:200],
        follow_up_due=follow_up_due,
        recorded_by=person,
    )


@transaction.atomic
def learning_item_update(
    *,
    item: LearningItem,
    person: Person,
    topic: str,
    summary: str,
    referred_to: str,
    decision: str,
    done_on: date | None,
    follow_up_due: date | None,
) -> LearningItem:
    """Record what became of an issue: to whom it went, what was decided, when it was done."""
    if topic not in LearningItem.Topic.values:
        raise ReportError("Choose what kind of issue it is")
    if done_on is not None and not decision.strip():
        raise ReportError("Enter what was decided before saying when it was done")
    if done_on is not None and done_on < item.referred_at.date() - timedelta(days=1):
        raise ReportError("The date it was done must be on or after the date it was referred")
    locked = LearningItem.objects.select_for_update().get(pk=item.pk)
    locked.topic = topic
    locked.summary = summary.strip()
    locked.referred_to = referred_to.strip()[:200]
    locked.decision = decision.strip()
    locked.done_on = done_on
    locked.follow_up_due = follow_up_due
    locked.recorded_by = person
    locked.save()
    return locked


def threshold_of(partnership: Partnership | None) -> int:
    """The smallest count shown in shared reports (default 5)."""
    if partnership is None:
        return DEFAULT_THRESHOLD
    found = ReportSettings.objects.filter(partnership=partnership).first()
    return found.suppression_threshold if found else DEFAULT_THRESHOLD


@transaction.atomic
def report_settings_set(*, partnership: Partnership, suppression_threshold: int) -> ReportSettings:
    low, high = THRESHOLD_RANGE
    if not low <= suppression_threshold <= high:
        raise ReportError(f"The smallest count shown must be between {low} and {high}")
    found, _ = ReportSettings.objects.update_or_create(
        partnership=partnership, defaults={"suppression_threshold": suppression_threshold}
    )
    return found


# --- each case's stages, worked out from its record -------------------------------------

REFRESH_CHUNK = 5000
CHANGES = sorted(k.value for k in core.STAGE_CHANGE_KINDS)
# One advisory lock serialises refreshes, so two reports at once cannot both write a case.
REFRESH_LOCK = int.from_bytes(b"parleyRp", "big")


def stage_spans_refresh(*, versions: Sequence[ProcedureVersion]) -> int:
    """Work out again the stages of every case of these versions whose stage, status or
    stage-entry time has changed since they were last worked out; how many there were.

    Reports count time at each stage from these rows, which come from the cases' events
    and nothing else; the record only grows, so a case whose fields have not moved has
    stages that have not moved either.
    """
    same = ReportCase.objects.filter(
        disagreement=OuterRef("pk"),
        version=OuterRef("procedure"),
        stage=OuterRef("stage"),
        status=OuterRef("status"),
        stage_entered_at=OuterRef("stage_entered_at"),
        raised_on__isnull=False,  # copied before the copy kept the case's own fields
    )
    stale = list(
        Disagreement.objects.filter(procedure__in=versions)
        .filter(~Exists(same))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not stale:
        return 0
    procedures = {v.pk: procedure_of(v) for v in versions}
    for start in range(0, len(stale), REFRESH_CHUNK):
        _refold(stale[start : start + REFRESH_CHUNK], procedures)
    return len(stale)


@transaction.atomic
def _refold(ids: Sequence[int], procedures: dict[int, core.Procedure]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
    records: dict[int, list[engine.Event]] = defaultdict(list)
    rows = (
        Event.objects.filter(disagreement_id__in=ids, kind__in=CHANGES)
        .order_by("disagreement_id", "sequence")
        .values_list("disagreement_id", "kind", "at", "stage", "data")
    )
    for case_id, kind, at, stage, data in rows:
        records[case_id].append(engine.Event(EventKind(kind), at, "", stage, data or {}))
    spans: list[StageSpan] = []
    copies: list[ReportCase] = []
    cases = Disagreement.objects.filter(pk__in=ids).only(
        "procedure_id", "raised_at", "closed_at", *COPIED
    )
    for case in cases:
        found, copy = spans_of(
            case=case, procedure=procedures[case.procedure_id], events=records.get(case.pk, [])
        )
        spans.extend(found)
        copies.append(copy)
    StageSpan.objects.filter(disagreement_id__in=ids).delete()
    ReportCase.objects.filter(disagreement_id__in=ids).delete()
    StageSpan.objects.bulk_create(spans, batch_size=5000)
    ReportCase.objects.bulk_create(copies, batch_size=5000)
