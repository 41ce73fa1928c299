"""Removing what has passed its retention period (docs/data-protection.md).

A disagreement closed or withdrawn more than its procedure's ``retention_years`` ago is
anonymised, once:

- the row stays, with its dates, stages, route, category and agencies, so the counts in
  past years' reports do not change; every detail about the person it was about is
  blanked, and every free-text field says "[removed after the retention period]";
- its record (events), its deadlines and anything else linked to it (evidence files and
  their stored copies, notifications) are deleted. The record is append-only: the events
  go under :func:`parley.cases.services.purge_permit`, the one sanctioned way;
- the audit trail gains a ``retention.purge`` entry naming the reference and the counts,
  and a :class:`~parley.directory.models.RetentionPurge` row marks the case as done.

Each case is purged in its own transaction, so one that cannot be purged is reported and
the others still are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from parley.audit.models import AuditEntry
from parley.audit.services import audit_record
from parley.cases.models import Deadline, Disagreement, Event, ProcedureVersion
from parley.cases.selectors import procedure_of
from parley.cases.services import purge_permit
from parley.directory.models import RetentionPurge

logger = logging.getLogger(__name__)

REMOVED = "[removed after the retention period]"
ENDED = (Disagreement.Status.CLOSED, Disagreement.Status.WITHDRAWN)
SUBJECT_BLANKS: dict[str, object] = {
    "subject_name": "",
    "subject_date_of_birth": None,
    "subject_nhs_number": "",
    "subject_client_reference": "",
    "subject_gp": "",
    # Names typed in by hand: of whoever it was raised for, and of the other professional.
    "raised_on_behalf_of": "",
    "other_professional_name": "",
    "request_key": None,
    "next_due_at": None,
}
FREE_TEXT = ("summary", "evidence", "outcome_sought", "outcome", "outstanding")
# Linked rows that stay: the audit trail is hash-chained and holds references, not case
# text; the purge's own mark; the record and deadlines are handled on their own.
KEPT_LINKS: tuple[type[models.Model], ...] = (AuditEntry, RetentionPurge, Event, Deadline)


@dataclass(frozen=True)
class PurgedCase:
    reference: str
    procedure_id: str
    closed_at: datetime
    retention_years: int
    events: int
    deadlines: int
    other: dict[str, int] = field(default_factory=dict)


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    cases: list[PurgedCase] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # reference, why


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February, in a year without one
        return moment.replace(year=moment.year - years, day=28)


def due_for_purge(*, now: datetime) -> list[tuple[Disagreement, int]]:
    """Cases closed or withdrawn more than their procedure's retention period before ``now``."""
    due: list[tuple[Disagreement, int]] = []
    for version in ProcedureVersion.objects.order_by("pk"):
        years = procedure_of(version).retention_years
        cases = Disagreement.objects.filter(
            procedure=version,
            status__in=ENDED,
            closed_at__lt=years_before(now, years),
            retention_purge__isnull=True,
        ).order_by("closed_at", "pk")
        due.extend((case, years) for case in cases)
    return due


def _linked(case: Disagreement) -> list[tuple[str, models.QuerySet[models.Model]]]:
    """Every other kind of row pointing at the case or its record: evidence files,
    notifications, learning log entries. They go first, so nothing holds the record."""
    found = []
    for target, path in ((Event, "__disagreement"), (Disagreement, "")):
        for relation in target._meta.related_objects:
            model = relation.related_model
            if model in KEPT_LINKS or relation.many_to_many:
                continue
            rows = model._base_manager.filter(**{f"{relation.field.name}{path}": case})
            found.append((model._meta.label, rows))
    return found


# Files kept on disk by a room above this one, outside any FileField, by model label
# ("parley_web.EvidenceFile"): how to find a row's file. Registered when Django starts
# (the room's AppConfig.ready), so that this room never imports the rooms above it.
_FILES_OF: dict[str, Callable[[Any], Path]] = {}


def files_kept_by(model_label: str, path_of: Callable[[Any], Path]) -> None:
    _FILES_OF[model_label] = path_of


def _stored_files(rows: models.QuerySet[models.Model]) -> list[Path]:
    """The files on disk behind these rows: any FileField, and the stores registered with
    :func:`files_kept_by` (the evidence store)."""
    paths: list[Path] = []
    file_fields = [f for f in rows.model._meta.fields if isinstance(f, models.FileField)]
    for row in rows:
        for file_field in file_fields:
            stored = getattr(row, file_field.name)
            if stored:
                paths.append(Path(stored.path))
    path_of = _FILES_OF.get(rows.model._meta.label)
    if path_of is not None:
        paths.extend(path_of(row) for row in rows)
    return paths


def _remove_files(paths: list[Path]) -> Callable[[], None]:
    def remove() -> None:
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.exception("retention: could not remove a stored file %s", path.name)

    return remove


def _purge(case: Disagreement, years: int, now: datetime) -> PurgedCase:
    with transaction.atomic():
        case = Disagreement.objects.select_for_update().get(pk=case.pk)
        other: dict[str, int] = {}
        files: list[Path] = []
        for label, rows in _linked(case):
            files.extend(_stored_files(rows))
            deleted, _ = rows.delete()
            if deleted:
                other[label] = other.get(label, 0) + deleted
        with purge_permit(), connection.cursor() as cursor:
            # Event's own delete() refuses: the record is append-only except on this path.
            cursor.execute(
                f"DELETE FROM {Event._meta.db_table} WHERE disagreement_id = %s",
                [case.pk],
            )
            events = cursor.rowcount
        deadlines, _ = Deadline.objects.filter(disagreement=case).delete()
        blanks = dict(SUBJECT_BLANKS)
        blanks.update({name: REMOVED for name in FREE_TEXT if getattr(case, name)})
        Disagreement.objects.filter(pk=case.pk).update(**blanks)
        RetentionPurge.objects.create(
            disagreement=case,
            purged_at=timezone.now(),
            retention_years=years,
            events_deleted=events,
            deadlines_deleted=deadlines,
            other_deleted=other,
        )
        assert case.closed_at is not None  # only ended cases are due
        purged = PurgedCase(
            case.reference,
            case.procedure.procedure_id,
            case.closed_at,
            years,
            events,
            deadlines,
            other,
        )
        audit_record(
            action="retention.purge",
            disagreement=case,
            detail={
                "reference": case.reference,
                "closed_at": case.closed_at.isoformat(),
                "retention_years": years,
                "events_deleted": events,
                "deadlines_deleted": deadlines,
                "other_deleted": other,
            },
        )
        transaction.on_commit(_remove_files(files))
    return purged


def _counted(case: Disagreement, years: int) -> PurgedCase:
    other: dict[str, int] = {}
    for label, rows in _linked(case):
        if count := rows.count():
            other[label] = max(other.get(label, 0), count)  # a row may point at both
    assert case.closed_at is not None
    return PurgedCase(
        case.reference,
        case.procedure.procedure_id,
        case.closed_at,
        years,
        Event.objects.filter(disagreement=case).count(),
        Deadline.objects.filter(disagreement=case).count(),
        other,
    )


def retention_apply(*, now: datetime, dry_run: bool) -> RetentionReport:
    """Anonymise every case past its retention period at ``now``; a dry run only lists them."""
    report = RetentionReport(now=now, dry_run=dry_run)
    for case, years in due_for_purge(now=now):
        if dry_run:
            report.cases.append(_counted(case, years))
            continue
        try:
            report.cases.append(_purge(case, years, now))
        except Exception as error:  # one case that cannot be purged must not stop the rest
            logger.exception("retention: %s could not be purged", case.reference)
            report.failures.append((case.reference, str(error) or type(error).__name__))
    return report
