"""The one door for reads: queries that pages, exports and commands share."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from parley.cases.models import Deadline, Partnership, ProcedureVersion


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
