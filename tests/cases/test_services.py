"""The service layer against a real database: raising, acting, the record, deadlines."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from parley.cases import selectors, services
from parley.cases.demo import demo_load, person
from parley.cases.models import AppendOnlyError, Deadline, Disagreement, Event, ProcedureVersion
from parley.core.engine import EventKind, Refused
from parley.core.loader import ProcedureError

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def partnership():
    return demo_load(with_cases=False)


@pytest.fixture
def twsp(partnership) -> ProcedureVersion:
    return partnership.procedures.get(procedure_id="twsp", is_current=True)


def agency(partnership, name_start: str):
    return partnership.agencies.get(name__startswith=name_start)


def raise_twsp(partnership, twsp, when: datetime, **extra) -> Disagreement:
    return services.disagreement_raise(
        procedure=twsp,
        raised_by=person("nia.nurse"),
        raising_agency=agency(partnership, "Demoshire NHS"),
        other_agency=agency(partnership, "Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary="Case closed after one visit despite unexplained bruising.",
        at=when,
        **extra,
    )


def test_raising_records_the_raised_event_and_deadlines(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 23, 10))
    # Numbered by the partnership's own count, whatever the database's row number.
    partnership.refresh_from_db()
    assert case.reference == f"TWSP-{partnership.last_case_number:06d}"
    assert [e.kind for e in case.events.all()] == ["raised"]
    keys = {d.key: d.due_at.astimezone(LONDON) for d in case.deadlines.all()}
    # Raising in Parley is raising in writing: the 2-day raise step is met at once, so the
    # 3 working days to resolve run from Wednesday 23 December: 24, (25-28), 29, 30.
    assert keys["stage-1/resolve"] == at(2026, 12, 30, 17)
    # 7 working days: 24, 29, 30, 31 December, (1-3 January), 4, 5, 6 January.
    assert keys["stage-1"] == at(2027, 1, 6, 17)
    assert case.next_due_at.astimezone(LONDON) == at(2026, 12, 30, 17)


def test_state_replayed_from_the_record_matches_the_stored_state(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="Threshold not met.", at=at(2026, 12, 22, 11),
    )  # fmt: skip
    services.disagreement_act(
        disagreement=case, person=person("nia.nurse"),
        kind=EventKind.RESPONSE_JUDGED_UNSATISFACTORY, text="Bruising not considered.",
        at=at(2026, 12, 22, 12),
    )  # fmt: skip
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="response-unsatisfactory",
        at=at(2026, 12, 22, 13),
    )  # fmt: skip
    case.refresh_from_db()
    state = selectors.disagreement_state(case)
    assert (case.stage, case.status, case.route) == (state.stage, state.status, state.route)
    assert case.stage == "stage-2"
    assert case.highest_stage_number == 2
    assert case.stage_entered_at == state.stage_entered_at


def test_every_demo_case_replays_to_its_stored_state(partnership):
    demo_load(with_cases=True)
    for case in Disagreement.objects.all():
        state = selectors.disagreement_state(case)
        assert (case.stage, case.status) == (state.stage, state.status.value)


def test_cannot_close_without_written_outcome(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    with pytest.raises(Refused, match="must be resolved first"):
        services.disagreement_close(disagreement=case, person=person("nia.nurse"))
    with pytest.raises(Refused, match="written outcome"):
        services.disagreement_resolve(
            disagreement=case, person=person("nia.nurse"), outcome=" ", outstanding="None"
        )
    services.disagreement_resolve(
        disagreement=case, person=person("nia.nurse"),
        outcome="Strategy discussion held; assessment to start.", outstanding="None",
        at=at(2026, 12, 23, 10),
    )  # fmt: skip
    services.disagreement_close(
        disagreement=case, person=person("nia.nurse"), at=at(2026, 12, 23, 11)
    )
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.outcome.startswith("Strategy discussion")
    assert not case.deadlines.exists()


def test_refused_action_writes_nothing(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    with pytest.raises(Refused):
        services.disagreement_escalate(
            disagreement=case, person=person("nia.nurse"), reason="deadline-passed",
            at=at(2026, 12, 22, 10),
        )  # fmt: skip
    assert case.events.count() == 1


def test_someone_unconnected_cannot_act(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    with pytest.raises(Refused, match="not yours"):
        services.disagreement_act(
            disagreement=case, person=person("pat.police"), kind=EventKind.RESPONSE_RECORDED,
            text="I am not involved.",
        )  # fmt: skip


def test_escalation_after_the_deadline_passed(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="deadline-passed",
        at=at(2026, 12, 30, 9),
    )  # fmt: skip
    case.refresh_from_db()
    assert case.stage == "stage-2"
    due = {d.key: d.due_at.astimezone(LONDON) for d in case.deadlines.all()}
    # Entered Wednesday 30 December: 2 working days → 31 December, (1 January), 4 January.
    assert due["stage-2/resolve"] == at(2027, 1, 4, 17)


def test_the_record_cannot_be_changed_or_deleted_through_django(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    event = case.events.get()
    event.kind = "closed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(kind="closed")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE cases_event SET kind = 'closed'", "DELETE FROM cases_event"],
)
def test_the_database_itself_refuses_to_change_the_record(partnership, twsp, statement):
    raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Event.objects.filter(kind="raised").count() == 1


def test_a_repeated_submission_does_not_create_a_second_case(partnership, twsp):
    first = raise_twsp(partnership, twsp, at(2026, 12, 21, 10), request_key="form-123")
    second = raise_twsp(partnership, twsp, at(2026, 12, 21, 10), request_key="form-123")
    assert first.pk == second.pk
    assert Disagreement.objects.count() == 1


def test_a_case_keeps_the_procedure_version_it_started_under(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    text = twsp.source_text.replace('version: "2024-3"', 'version: "2025-1"').replace(
        "within: 3 working days\n        source: Appendix 1, stage 1",
        "within: 3 working days\n        source: changed",
    )
    newer = services.procedure_load(partnership=partnership, text=text, source_name="twsp.yaml")
    assert newer.is_current and newer.version == "2025-1"
    twsp.refresh_from_db()
    assert not twsp.is_current
    case.refresh_from_db()
    assert case.procedure_id == twsp.pk


def test_a_changed_file_under_the_same_version_is_refused(partnership, twsp):
    changed = twsp.source_text.replace("Practitioners", "Practitioners (changed)", 1)
    with pytest.raises(ProcedureError, match="new version"):
        services.procedure_load(partnership=partnership, text=changed, source_name="twsp.yaml")


def test_a_broken_procedure_is_refused_with_its_problems(partnership):
    with pytest.raises(ProcedureError) as refused:
        services.procedure_load(
            partnership=partnership, text="parley: 1\nid: x\n", source_name="x.yaml"
        )
    assert "x.yaml" in str(refused.value)


def test_a_closure_day_added_later_moves_open_deadlines_and_the_record_says_so(partnership, twsp):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    moved = services.closure_day_add(
        partnership=partnership, day=date(2026, 12, 22), name="Office closure"
    )
    assert moved == 1
    due = {d.key: d.due_at.astimezone(LONDON) for d in case.deadlines.all()}
    # Was Thursday 24 December; with 22 December closed: 23, 24, (25-28), 29.
    assert due["stage-1/resolve"] == at(2026, 12, 29, 17)
    moved_event = case.events.get(kind="deadlines-moved")
    assert "Office closure" in moved_event.data["reason"]
    assert "stage-1/resolve" in moved_event.data["moved"]


def test_overdue_deadlines_are_found_with_a_flat_number_of_queries(
    partnership, twsp, django_assert_max_num_queries
):
    for day in (1, 2, 3):
        raise_twsp(partnership, twsp, at(2026, 12, day, 10))
    with django_assert_max_num_queries(1):
        overdue = list(
            selectors.overdue_deadlines(partnership=partnership, now=at(2026, 12, 7, 18))
        )
    assert {d.disagreement.reference for d in overdue} >= {
        c.reference for c in Disagreement.objects.filter(raised_at__day__lte=2)
    }
    assert all(d.due_at < at(2026, 12, 7, 18) for d in overdue)
    assert Deadline.objects.filter(met_at__isnull=True).count() >= len(overdue)
