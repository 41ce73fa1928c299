"""Each case's stages as rows the reports read: kept with the case, worked out from its record.

A report counts time at each stage from :class:`~parley.reports.models.StageSpan` rows
and time overall from :class:`~parley.reports.models.ReportCase`. They hold nothing the
record does not: each is worked out from the case's stage-changing events by the pure
core (:func:`parley.core.report.stage_spans`). They are written in the same transaction
as the events that change them (:func:`case_changed`, an after-change hook registered in
``apps.py``), by the
bulk generator alongside its rows, and repaired from the record by
:func:`parley.reports.services.stage_spans_refresh` (``parley reports_refresh``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from parley.cases.hooks import Change, Imported
from parley.cases.selectors import core_event
from parley.core import engine
from parley.core import report as core
from parley.core.procedure import Procedure
from parley.dbbulk import rows_insert
from parley.reports.models import ReportCase, StageSpan

# What the report copy keeps of the case itself (besides what its record says).
COPIED = (
    "stage",
    "status",
    "stage_entered_at",
    "raising_agency_id",
    "other_agency_id",
    "category",
    "highest_stage_number",
)


def copy_fields(case: Any, zone: ZoneInfo) -> dict[str, Any]:
    """The report copy's fields taken from a case's own (a Disagreement)."""
    return {
        **{name: getattr(case, name) for name in COPIED},
        "raised_on": case.raised_at.astimezone(zone).date(),
        "closed_on": case.closed_at.astimezone(zone).date() if case.closed_at else None,
    }


def spans_of(
    *, case: Any, procedure: Procedure, events: Iterable[engine.Event]
) -> tuple[list[StageSpan], ReportCase]:
    """The span rows and the report copy of one case (a Disagreement, saved), from its
    record (any events; only the stage-changing ones count)."""
    zone = ZoneInfo(procedure.calendar.timezone)
    informal = {s.id for t in procedure.tracks for s in t.stages if s.informal}
    formal_start = None
    resolved_on = None
    rows: list[StageSpan] = []
    for span in core.stage_spans(events):
        entered_on = span.entered_at.astimezone(zone).date()
        left_on = span.left_at.astimezone(zone).date() if span.left_at else None
        if formal_start is None and span.stage not in informal:
            formal_start = entered_on
        if span.left_by is engine.EventKind.RESOLVED:
            resolved_on = left_on
        rows.append(
            StageSpan(
                disagreement_id=case.pk,
                version_id=case.procedure_id,
                stage=span.stage,
                entered_at=span.entered_at,
                entered_on=entered_on,
                left_at=span.left_at,
                left_on=left_on,
                left_by=span.left_by.value if span.left_by else "",
                immediate=span.immediate,
            )
        )
    copy = ReportCase(
        disagreement_id=case.pk,
        version_id=case.procedure_id,
        formal_start_on=formal_start,
        resolved_on=resolved_on,
        **copy_fields(case, zone),
    )
    return rows, copy


def case_changed(change: Change) -> None:
    """Keep one case's report rows in step with it: an after-change hook
    (:mod:`parley.cases.hooks`), inside the change's transaction.

    Only a stage-changing event moves the spans; anything else at most changes the copy.
    """
    disagreement, procedure = change.disagreement, change.procedure
    record, new = change.record, [core_event(row) for row in change.new]
    fields = copy_fields(disagreement, ZoneInfo(procedure.calendar.timezone))
    if not any(e.kind in core.STAGE_CHANGE_KINDS for e in new) and (
        ReportCase.objects.filter(disagreement_id=disagreement.pk).update(**fields)
    ):
        return
    rows, copy = spans_of(case=disagreement, procedure=procedure, events=record)
    StageSpan.objects.filter(disagreement_id=disagreement.pk).delete()
    StageSpan.objects.bulk_create(rows)
    ReportCase.objects.update_or_create(
        disagreement_id=disagreement.pk,
        defaults={
            "version_id": copy.version_id,
            **fields,
            "formal_start_on": copy.formal_start_on,
            "resolved_on": copy.resolved_on,
        },
    )


def cases_imported(imported: Imported) -> None:
    """The report rows of cases brought in at once: an import hook (parley.cases.hooks)."""
    spans: list[StageSpan] = []
    copies: list[ReportCase] = []
    for case, record in zip(imported.cases, imported.records, strict=True):
        rows, copy = spans_of(case=case, procedure=imported.procedure, events=record)
        spans.extend(rows)
        copies.append(copy)
    if imported.copy:
        rows_insert(StageSpan, spans)
        rows_insert(ReportCase, copies, with_id=True)
    else:
        StageSpan.objects.bulk_create(spans, batch_size=5000)
        ReportCase.objects.bulk_create(copies, batch_size=5000)
