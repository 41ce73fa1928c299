"""A case of the Alerts Protocol (``iro-alerts.yaml``, a single-agency procedure) taken
end to end through the service layer with real people in a real database: a reviewing
officer raises it inside their own children's services, the service's managers answer at
each stage, the alert goes up to the strategic director and is resolved there. Nobody
outside the agency sees it or is told about it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parley.cases import services
from parley.cases.access import can_view, disagreement_list_visible_to
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Partnership, Person, RoleAssignment
from parley.core.engine import EventKind, Refused
from parley.notifications.models import Notification

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
FILE = Path(__file__).resolve().parent / "iro-alerts.yaml"
COUNCIL = "Demoshire Council Children's Services"
HEALTH = "Demoshire NHS Foundation Trust"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def someone(partnership: Partnership, name: str, agency: Agency, *roles: str) -> Person:
    found = Person.objects.create(partnership=partnership, name=name, email=f"{name}@example.org")
    for role in roles:
        RoleAssignment.objects.create(person=found, agency=agency, role=role)
    return found


@pytest.fixture
def world() -> dict[str, object]:
    partnership = demo_load(with_cases=False)
    council = partnership.agencies.get(name=COUNCIL)
    health = partnership.agencies.get(name=HEALTH)
    version, _ = services.procedure_publish(
        partnership=partnership, text=FILE.read_text(encoding="utf-8"),
        source_name=FILE.name, by=None, via="command",
    )  # fmt: skip
    return {
        "partnership": partnership,
        "version": version,
        "council": council,
        "health": health,
        "iro": someone(partnership, "ira", council, "reviewing-officer"),
        "social": someone(partnership, "sol", council, "practitioner"),
        "tm": someone(partnership, "tam", council, "team-manager"),
        "qa": someone(partnership, "quinn", council, "qa-service-manager"),
        "hos": someone(partnership, "hal", council, "head-of-service"),
        "hqa": someone(partnership, "hana", council, "head-of-qa"),
        "exec": someone(partnership, "eve", council, "executive-head"),
        "director": someone(partnership, "dora", council, "strategic-director"),
        "tm-elsewhere": someone(partnership, "tom", health, "team-manager"),
        "business": person("ben.business"),
    }


def test_an_alert_goes_up_the_agency_and_is_resolved_with_nobody_outside_told(world):
    w = world
    case = services.disagreement_raise(
        procedure=w["version"], raised_by=w["iro"], raising_agency=w["council"],
        other_agency=None, other_professional=w["social"],
        summary="Permanence plan drifting: no family finding after two reviews.",
        at=at(2027, 3, 23, 10),
    )  # fmt: skip
    # The other side is the reviewing officer's own agency.
    assert case.other_agency_id == case.raising_agency_id == w["council"].pk
    assert case.stage == "stage-1"
    due = {d.key: d.due_at.astimezone(LONDON) for d in case.deadlines.all()}
    # Day 0 Tue 23 March; Good Friday and Easter Monday off: Thu 1 April.
    assert due["stage-1/respond"] == at(2027, 4, 1, 17)

    # The reviewing officer does not answer their own alert; the team manager does.
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=w["iro"], kind=EventKind.RESPONSE_RECORDED,
            text="x", at=at(2027, 3, 24, 10),
        )  # fmt: skip
    ladder = [
        ("tm", "iro", "stage-2", at(2027, 3, 24)),
        ("hos", "qa", "stage-3", at(2027, 4, 2)),
        ("exec", "hqa", "stage-4", at(2027, 4, 9)),
    ]
    for answers, presses, then, day in ladder:
        services.disagreement_act(
            disagreement=case, person=w[answers], kind=EventKind.RESPONSE_RECORDED,
            text="We will review the plan at the next supervision.", at=day.replace(hour=10),
        )  # fmt: skip
        services.disagreement_act(
            disagreement=case, person=w[presses], kind=EventKind.RESPONSE_JUDGED_UNSATISFACTORY,
            text="No date for family finding.", at=day.replace(hour=11),
        )  # fmt: skip
        services.disagreement_escalate(
            disagreement=case, person=w[presses], reason="response-unsatisfactory",
            at=day.replace(hour=12),
        )  # fmt: skip
        case.refresh_from_db()
        assert case.stage == then
    services.disagreement_resolve(
        disagreement=case, person=w["hqa"],
        outcome="The strategic director has agreed family finding starts this month.",
        outstanding="None", at=at(2027, 4, 12, 10),
    )  # fmt: skip
    services.disagreement_close(disagreement=case, person=w["iro"], at=at(2027, 4, 12, 11))
    case.refresh_from_db()
    assert case.status == "closed"

    # Sight: the agency's people see it; the partnership's business manager and the
    # other agency's team manager do not.
    agency = ("iro", "social", "tm", "qa", "hos", "hqa", "exec", "director")
    for name in agency:
        assert can_view(w[name], case), name
        assert case in disagreement_list_visible_to(person=w[name]), name
    for name in ("business", "tm-elsewhere"):
        assert not can_view(w[name], case), name
        assert case not in disagreement_list_visible_to(person=w[name]), name
    # Notifications went to the agency's people only.
    told = set(Notification.objects.filter(disagreement=case).values_list("recipient", flat=True))
    assert told
    assert told <= {
        w[n].pk for n in ("iro", "social", "tm", "qa", "hos", "hqa", "exec", "director")
    }


def test_the_raiser_who_also_manages_the_team_is_not_told_it_was_raised_with_them(world):
    w = world
    RoleAssignment.objects.create(person=w["iro"], agency=w["council"], role="team-manager")
    case = services.disagreement_raise(
        procedure=w["version"], raised_by=w["iro"], raising_agency=w["council"],
        other_agency=w["health"], summary="Plan not updated after review.",
        at=at(2026, 12, 23, 10),
    )  # fmt: skip

    assert case.other_agency_id == w["council"].pk
    raised_with = Notification.objects.filter(
        disagreement=case, kind=Notification.Kind.RAISED_WITH_YOU
    ).values_list("recipient", flat=True)
    assert w["tm"].pk in set(raised_with)
    assert w["iro"].pk not in set(raised_with)
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=w["iro"], kind=EventKind.RESPONSE_RECORDED,
            text="Answering myself.", at=at(2026, 12, 24, 10),
        )  # fmt: skip
