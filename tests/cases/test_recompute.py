"""Recomputing every open case's deadlines after a calendar change, in bulk, moves exactly
what working every case out again from its record moves."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from parley.cases import selectors, services
from parley.cases.demo import demo_load
from parley.cases.models import ClosureDay, Deadline, Disagreement, Event
from parley.reports.generate import cases_generate
from tests.reports.conftest import PROCEDURES, version_of

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
# The generated cases run to 12 January 2026: the open ones have deadlines around then.
AT = datetime(2026, 1, 12, 9, tzinfo=LONDON)
DAYS = (date(2026, 1, 13), date(2026, 1, 16), date(2026, 1, 20), date(2026, 1, 27))


def _recent_cases(*procedure_ids: str, count: int):
    """The demo partnership with cases raised over the six weeks before ``AT``, so many
    are still open, their deadlines around the days added below."""
    partnership = demo_load(with_cases=False)
    for index, procedure_id in enumerate(procedure_ids):
        cases_generate(
            version=version_of(partnership, procedure_id), count=count,
            start=date(2025, 12, 1), days=42, until=AT, seed=7 + index,
        )  # fmt: skip
    return partnership


def _after_recompute(partnership, day: date, *, replay_all: bool):
    """What the deadlines and the record are after adding ``day``; then undone."""
    with transaction.atomic():
        ClosureDay.objects.create(partnership=partnership, day=day, name="Staff training")
        moved = services.deadlines_recompute(
            partnership=partnership, reason="Staff training", at=AT, replay_all=replay_all
        )
        deadlines = sorted(
            Deadline.objects.values_list("disagreement_id", "key", "due_at", "explanation")
        )
        events = sorted(
            Event.objects.filter(kind="deadlines-moved").values_list(
                "disagreement_id", "sequence", "data"
            )
        )
        due = sorted(Disagreement.objects.values_list("pk", "next_due_at"))
        transaction.set_rollback(True)
    return moved, deadlines, events, due


@pytest.mark.parametrize("day", DAYS)
def test_the_bulk_recompute_moves_what_the_record_would(day):
    partnership = _recent_cases(*PROCEDURES, count=60)
    fast = _after_recompute(partnership, day, replay_all=False)
    slow = _after_recompute(partnership, day, replay_all=True)
    assert fast == slow
    assert fast[0] > 3, "almost nothing moved: too little to be a test"


def test_bulk_fields_are_kept_for_the_generated_cases():
    partnership = _recent_cases("twsp", "wirral-children", count=60)
    rows = Deadline.objects.filter(disagreement__partnership=partnership)
    assert rows.filter(working_days__isnull=False).count() > 0.8 * rows.count()


def test_a_kept_calendar_is_read_again_when_a_closure_day_is_added_or_removed():
    partnership = demo_load(with_cases=False)
    procedure = selectors.procedure_of(version_of(partnership, "twsp"))
    day = date(2026, 6, 3)  # a Wednesday
    assert selectors.calendar_of(partnership, procedure).is_working_day(day)
    closure = ClosureDay.objects.create(partnership=partnership, day=day, name="Training")
    partnership.refresh_from_db()
    assert not selectors.calendar_of(partnership, procedure).is_working_day(day)
    closure.delete()
    partnership.refresh_from_db()
    assert selectors.calendar_of(partnership, procedure).is_working_day(day)
