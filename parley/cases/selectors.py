"""The one door for reads: queries that pages, exports and commands share."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from parley.cases.models import Deadline, Partnership


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
