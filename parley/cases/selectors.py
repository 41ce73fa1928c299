"""The one door for reads: queries that pages, exports and commands share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from parley.cases.models import Deadline, Disagreement, Partnership, ProcedureVersion
from parley.cases.services import calendar_with, core_event, procedure_of
from parley.core import engine, planner


def overdue_deadlines(
    *, now: datetime, partnership: Partnership | None = None
) -> QuerySet[Deadline]:
    """Binding deadlines passed and not met, for one partnership or the whole country."""
    deadlines = Deadline.objects.filter(
        met_at__isnull=True, advisory=False, due_at__lt=now
    ).select_related("disagreement")
    if partnership is not None:
        deadlines = deadlines.filter(disagreement__partnership=partnership)
    return deadlines.order_by("due_at")


def procedure_versions_to_raise_under(*, partnership_id: int) -> QuerySet[ProcedureVersion]:
    """The versions in use that a case may be raised under: every current version but a
    regional one that a local procedure in use is laid over (the local one is what the
    partnership runs; the regional file is a layer of it)."""
    return ProcedureVersion.objects.filter(partnership_id=partnership_id, is_current=True).exclude(
        local_versions__is_current=True
    )


@dataclass(frozen=True)
class DeadlineMove:
    """One deadline still to come that a change of closure days would move."""

    disagreement: Disagreement
    label: str
    before: datetime
    after: datetime
    working_days: int  # later (positive) or earlier (negative), in the new calendar's days


def closure_change_moves(
    *,
    partnership: Partnership,
    closures: tuple[tuple[date, str], ...],
    now: datetime,
) -> list[DeadlineMove]:
    """What would move if the partnership's closure days were ``closures``: each open
    case's deadlines still to come, worked out again from its record under that calendar
    (as :func:`parley.cases.services.deadlines_recompute` does when it is confirmed),
    compared with the stored ones. Nothing is written."""
    moves: list[DeadlineMove] = []
    cases = (
        Disagreement.objects.filter(partnership=partnership, status=Disagreement.Status.OPEN)
        .filter(deadlines__due_at__gt=now)
        .distinct()
        .select_related("procedure")
        .defer("procedure__source_text")
        .prefetch_related("deadlines")
        .order_by("reference")
    )
    for case in cases:
        procedure = procedure_of(case.procedure)
        calendar = calendar_with(procedure, closures)
        record = [core_event(e) for e in case.events.order_by("sequence")]
        state = engine.replay(record, procedure)
        stored = {d.key: d for d in case.deadlines.all()}
        for planned in planner.case_deadlines(procedure, calendar, state):
            old = stored.get(planned.key)
            if old is None or old.due_at <= now or old.due_at == planned.due:
                continue
            shift = calendar.working_days_between(
                old.due_at.astimezone(planned.due.tzinfo).date(), planned.due.date()
            )
            moves.append(DeadlineMove(case, old.label, old.due_at, planned.due, shift))
    return moves
