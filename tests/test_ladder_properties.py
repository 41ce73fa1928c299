"""Random sequences of actions by random people, through the one door, never break the
ladder: an escalation moves a case one rung, nobody acts outside the stages the
procedure gives their role, and the stored state is always the record replayed, with an
audit entry for every entry of the record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.audit.models import AuditEntry
from parley.cases import selectors, services
from parley.cases.demo import DEMO_SLUG, demo_load, person
from parley.cases.models import Agency, Partnership, Person
from parley.core.engine import EVENTS, EventKind, Refused
from tests.core.test_action_matrix import expected
from tests.test_action_matrix import fields_for, holdings

LONDON = ZoneInfo("Europe/London")
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
KINDS = [k for k in EventKind if not EVENTS[k].system]
START = datetime(2026, 11, 2, 10, tzinfo=LONDON)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_load(with_cases=False)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    procedure_id=st.sampled_from(SHIPPED),
    steps=st.lists(
        st.tuples(st.integers(0, 19), st.sampled_from(KINDS), st.integers(0, 48)),
        min_size=1,
        max_size=14,
    ),
)
def test_random_actions_never_break_the_ladder(
    demo: None, procedure_id: str, steps: list[tuple[int, EventKind, int]]
) -> None:
    with transaction.atomic():
        _play(procedure_id, steps)
        transaction.set_rollback(True)


def _play(procedure_id: str, steps: list[tuple[int, EventKind, int]]) -> None:
    partnership = Partnership.objects.get(slug=DEMO_SLUG)
    version = partnership.procedures.get(procedure_id=procedure_id, is_current=True)
    procedure = selectors.procedure_of(version)
    track = procedure.track()
    ladder = [stage.id for stage in track.stages]
    people = list(Person.objects.filter(partnership=partnership).order_by("name"))
    case = services.disagreement_raise(
        procedure=version, raised_by=person("nia.nurse"),
        raising_agency=Agency.objects.get(name="Demoshire NHS Foundation Trust"),
        other_agency=Agency.objects.get(name="Demoshire Council Children's Services"),
        other_professional=person("sam.social"), summary="A random case.", at=START,
    )  # fmt: skip
    at = START
    for who, kind, hours in steps:
        someone = people[who % len(people)]
        at = at + timedelta(hours=hours)
        before = selectors.disagreement_state(case)
        try:
            services.disagreement_act(
                disagreement=case, person=someone, kind=kind, at=at, **fields_for(kind, case)
            )
        except Refused:
            continue
        after = selectors.disagreement_state(case)
        # Whoever acted acts at that stage, as the procedure file says.
        assert any(expected(procedure, before, h, kind) for h in holdings(someone, case)), (
            someone.name, kind, before.stage,
        )  # fmt: skip
        if kind is EventKind.ESCALATED:
            assert ladder.index(after.stage) == ladder.index(before.stage) + 1
        elif after.stage != before.stage:
            assert kind in (EventKind.BYPASSED, EventKind.IMMEDIATE_RISK_DECLARED)
            assert ladder.index(after.stage) > ladder.index(before.stage)
    case.refresh_from_db()
    state = selectors.disagreement_state(case)
    fields, deadlines = services.stored_fields(
        procedure, selectors.calendar_of(partnership, procedure), state
    )
    assert {name: getattr(case, name) for name in fields} == fields
    assert {d.key: d.due_at for d in case.deadlines.all()} == {d.key: d.due for d in deadlines}
    sequences = list(case.events.values_list("sequence", flat=True))
    assert case.version == len(sequences) == sequences[-1]
    covered: set[int] = set()
    for detail in AuditEntry.objects.filter(disagreement=case).values_list("detail", flat=True):
        if "record" in detail:
            first, last = detail["record"]
            covered |= set(range(first, last + 1))
    assert covered == set(sequences)
