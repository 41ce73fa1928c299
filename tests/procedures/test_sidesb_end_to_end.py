"""A Pan-Sussex case end to end through the one door, on a real database: the child's
views recorded when raised and at the outcome, the designated doctor asked and advising
(seeing that case and no other), and a school added as an agency involved that sees the
case and is told once it reaches the meeting of every agency involved."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from parley.cases import services
from parley.cases.access import can_view, disagreement_list_visible_to
from parley.cases.demo import demo_load, person
from parley.cases.models import Disagreement, Person, RoleAssignment
from parley.cases.selectors import disagreement_state, procedure_of
from parley.core.engine import EventKind, Refused, views_due
from parley.notifications.models import Notification

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SUSSEX = Path(__file__).resolve().parent / "pan-sussex-children.yaml"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def doctor(partnership) -> Person:
    user = get_user_model().objects.create(username="dee.doctor", email="dee@example.org")
    found = Person.objects.create(
        user=user, partnership=partnership, name="Dee Doctor", email=user.email
    )
    RoleAssignment.objects.create(person=found, agency=None, role="designated-doctor")
    return found


def visible(who: Person, case: Disagreement) -> bool:
    """Sight as the case page asks it, and as every list's query has it: they agree."""
    listed = disagreement_list_visible_to(person=who).filter(pk=case.pk).exists()
    assert listed == can_view(who, case)
    return listed


def test_a_case_with_the_child_an_adviser_and_a_network_meeting() -> None:
    partnership = demo_load(with_cases=False)
    version = services.procedure_load(
        partnership=partnership, text=SUSSEX.read_text(), source_name=SUSSEX.name
    )
    health = partnership.agencies.get(name__startswith="Demoshire NHS")
    school = partnership.agencies.get(name="Demoshire Academy")
    council = partnership.agencies.get(name__startswith="Demoshire Council Children")

    def raise_one(when: datetime) -> Disagreement:
        return services.disagreement_raise(
            procedure=version,
            raised_by=person("nia.nurse"),
            raising_agency=health,
            other_agency=council,
            other_professional=person("sam.social"),
            summary="Bruising not followed up.",
            subject_name="Child C",
            at=when,
        )

    case = raise_one(at(2027, 3, 1, 10))
    other_case = raise_one(at(2027, 3, 1, 11))
    dee, dev = doctor(partnership), person("dev.dsl")

    def act(who: str | Person, kind: EventKind, when: datetime, **fields: str) -> None:
        acting = person(who) if isinstance(who, str) else who
        services.disagreement_act(disagreement=case, person=acting, kind=kind, at=when, **fields)

    def due() -> str:
        return views_due(procedure_of(case.procedure), disagreement_state(case))

    # The child: told when it is raised, their views recorded.
    assert due().endswith("tell them of the disagreement and record their views")
    act(
        "nia.nurse",
        EventKind.VIEWS_RECORDED,
        at(2027, 3, 1, 12),
        text="Says home is fine; wants to stay at school",
        by="the child",
    )
    assert due() == ""

    # The adviser: sees nothing until asked, then this case alone, and advises.
    assert not visible(dee, case)
    with pytest.raises(Refused):
        act(dee, EventKind.ADVICE_RECORDED, at(2027, 3, 1, 13), text="Unasked")
    act(
        "nia.nurse",
        EventKind.ADVICE_REQUESTED,
        at(2027, 3, 1, 13),
        adviser="designated-doctor",
        text="Is the bruising consistent with the account?",
    )
    assert visible(dee, case) and not visible(dee, other_case)
    assert Notification.objects.filter(recipient=dee, disagreement=case).exists()
    act(dee, EventKind.ADVICE_RECORDED, at(2027, 3, 1, 15), text="Not consistent: refer")
    with pytest.raises(Refused):
        act(dee, EventKind.DISCUSSION_RECORDED, at(2027, 3, 1, 16), text="Not the doctor's")

    # The agencies involved: added by the holders; not one of the two sides.
    with pytest.raises(Refused, match="one of the two sides"):
        act("nia.nurse", EventKind.AGENCY_INVOLVED, at(2027, 3, 1, 16), agency=str(health.pk))
    act("nia.nurse", EventKind.AGENCY_INVOLVED, at(2027, 3, 1, 16), agency=str(school.pk))
    assert not visible(dev, case)

    # Up the ladder to the meeting of every agency involved.
    climbers = [("nia.nurse", 2), ("max.manager", 3), ("priya.lead", 4)]
    for day, (who, _) in enumerate(climbers, start=2):
        act(who, EventKind.DISCUSSION_RECORDED, at(2027, 3, day, 10), text="No agreement")
        act(who, EventKind.ESCALATED, at(2027, 3, day, 11), reason="no-agreement")
    case.refresh_from_db()
    assert case.stage == "stage-4"
    assert visible(dev, case) and not visible(dev, other_case)
    assert Notification.objects.filter(recipient=dev, disagreement=case).exists()

    # The meeting's outcome recorded; the child told of it and their views recorded.
    act(
        "priya.lead",
        EventKind.MEETING_HELD,
        at(2027, 3, 8, 10),
        text="All agencies met: child protection medical arranged",
    )
    act(
        "priya.lead",
        EventKind.RESOLVED,
        at(2027, 3, 8, 11),
        outcome="Medical arranged; school to monitor",
        outstanding="None",
    )
    assert due().endswith("tell them of the outcome and record their views")
    act("priya.lead", EventKind.VIEWS_RECORDED, at(2027, 3, 8, 12), text="Relieved")
    state = disagreement_state(case)
    assert (len(state.views_recorded_at), state.advice_count) == (2, 1)
    assert state.agencies_involved == (str(school.pk),)
