"""Many rows at once: COPY on PostgreSQL, bulk_create elsewhere; conflicts left out when
asked, as bulk_create(ignore_conflicts=True) does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from parley.cases.demo import demo_load
from parley.cases.models import Deadline, Disagreement
from parley.dbbulk import FEW, rows_insert

pytestmark = pytest.mark.django_db
DUE = datetime(2027, 1, 4, 17, tzinfo=UTC)


def deadlines(case: Disagreement, keys: range) -> list[Deadline]:
    return [
        Deadline(disagreement=case, key=f"bulk-{n}", kind="step", stage="stage-1",
                 label="A step", side="both", due_at=DUE, rule="3 working days",
                 explanation="3 working days from the start.", working_days=n % 7)
        for n in keys
    ]  # fmt: skip


def test_many_rows_go_in_and_conflicts_are_left_out_when_asked():
    demo_load(with_cases=True)
    case = Disagreement.objects.order_by("pk").first()
    before = Deadline.objects.count()
    rows_insert(Deadline, deadlines(case, range(FEW + 100)))
    assert Deadline.objects.count() == before + FEW + 100
    stored = Deadline.objects.get(disagreement=case, key="bulk-10")
    assert (stored.due_at, stored.working_days, stored.label) == (DUE, 3, "A step")
    # Half already there: only the new half goes in.
    rows_insert(Deadline, deadlines(case, range(FEW, 2 * FEW + 100)), ignore_conflicts=True)
    assert Deadline.objects.count() == before + 2 * FEW + 100
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(Deadline, deadlines(case, range(0, FEW + 1)))


@pytest.mark.parametrize("count", [3, FEW + 10])
def test_rows_given_as_mappings_take_the_defaults_of_the_fields_they_leave_out(count):
    from django.utils import timezone

    from parley.notifications.models import Notification

    demo_load(with_cases=True)
    case = Disagreement.objects.order_by("pk").first()
    started = timezone.now()
    rows_insert(
        Notification,
        [
            {
                "partnership_id": case.partnership_id,
                "recipient_id": case.raised_by_id,
                "disagreement_id": case.pk,
                "kind": "reminder",
                "subject": "Due soon",
                "body": "A step is due.",
                "dedupe_key": f"mapping-{n}",
                "scheduled_for": DUE,
            }
            for n in range(count)
        ],  # fmt: skip
    )
    stored = Notification.objects.filter(dedupe_key__startswith="mapping-")
    assert stored.count() == count
    one = stored.get(dedupe_key="mapping-1")
    assert (one.status, one.channel, one.attempts, one.urgent) == ("queued", "email", 0, False)
    assert one.created_at >= started and one.scheduled_for == DUE
