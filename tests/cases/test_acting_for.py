"""A GP practice has no escalation officer of its own: the ICB's named GP safeguarding
lead acts for it (``RoleAssignment.acts_for``). On a case the practice raised, the lead
holds the practice's rungs: sees the case once it reaches them, is told of it, moves it
on, and the record says they did so "acting for" the practice. A colleague in the ICB
without ``acts_for`` has no part in it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from parley.cases import access, services
from parley.cases.demo import SOCIAL_CARE, demo_load, person
from parley.cases.models import Agency, Disagreement, Partnership, Person, RoleAssignment
from parley.core import engine
from parley.core.engine import EventKind
from parley.notifications.models import Notification
from parley.web.documents.facts import case_facts

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


def someone(partnership: Partnership, username: str, name: str) -> Person:
    user = get_user_model().objects.create_user(username, password="x")
    return Person.objects.create(
        user=user, partnership=partnership, name=name, email=f"{username}@icb.example"
    )


@pytest.fixture
def practice_case() -> Disagreement:
    """A practice nurse at Riverside Surgery raises a TWSP case against the council's
    children's services; it reaches stage 2 (line managers and safeguarding leads)."""
    partnership = demo_load(with_cases=False)
    practice = Agency.objects.create(
        partnership=partnership, name="Riverside Surgery", kind=Agency.Kind.OTHER
    )
    icb = Agency.objects.create(
        partnership=partnership, name="Demoshire ICB", kind=Agency.Kind.INTEGRATED_CARE_BOARD
    )
    nurse = someone(partnership, "pam.practice", "Pam Practice")
    RoleAssignment.objects.create(person=nurse, agency=practice, role="practitioner")
    lead = someone(partnership, "gil.gplead", "Gil Lead")
    RoleAssignment.objects.create(
        person=lead, agency=icb, role="safeguarding-lead", acts_for=practice
    )
    colleague = someone(partnership, "ivy.icb", "Ivy Board")
    RoleAssignment.objects.create(person=colleague, agency=icb, role="safeguarding-lead")
    council = partnership.agencies.get(name=SOCIAL_CARE)
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    case = services.disagreement_raise(
        procedure=twsp,
        raised_by=nurse,
        raising_agency=practice,
        other_agency=council,
        other_professional=person("sam.social"),
        summary="Referral not accepted.",
        subject_name="Child P",
        at=at(2026, 12, 1, 10),
    )
    services.disagreement_escalate(
        disagreement=case, person=nurse, reason="no-agreement", at=at(2026, 12, 2, 10)
    )
    case.refresh_from_db()
    return case


def test_the_lead_acting_for_the_practice_sees_its_case_and_an_icb_colleague_does_not(
    practice_case: Disagreement,
) -> None:
    lead, colleague = person("gil.gplead"), person("ivy.icb")

    assert access.can_view(lead, practice_case)
    assert not access.can_view(colleague, practice_case)
    listed = set(access.disagreement_list_visible_to(person=lead))
    assert practice_case in listed
    assert practice_case not in set(access.disagreement_list_visible_to(person=colleague))


def test_the_lead_is_told_when_the_case_reaches_the_practices_managers(
    practice_case: Disagreement,
) -> None:
    told = set(
        Notification.objects.filter(disagreement=practice_case).values_list(
            "recipient__user__username", flat=True
        )
    )

    assert "gil.gplead" in told
    assert "ivy.icb" not in told


def test_the_lead_escalates_at_the_managers_stage_and_the_record_says_acting_for(
    practice_case: Disagreement, signed_in
) -> None:
    [event] = services.disagreement_escalate(
        disagreement=practice_case,
        person=person("gil.gplead"),
        reason="no-agreement",
        at=at(2026, 12, 3, 10),
    )

    assert event.data["acting_for"] == [str(practice_case.raising_agency_id)]
    page = signed_in("gil.gplead").get(f"/cases/{practice_case.reference}/")
    assert "Gil Lead, acting for Riverside Surgery" in page.content.decode()
    with pytest.raises(services.Refused):
        services.disagreement_escalate(
            disagreement=practice_case,
            person=person("ivy.icb"),
            reason="no-agreement",
            at=at(2026, 12, 4, 10),
        )


def test_the_cases_record_in_its_documents_says_acting_for_too(
    practice_case: Disagreement,
) -> None:
    services.disagreement_escalate(
        disagreement=practice_case,
        person=person("gil.gplead"),
        reason="no-agreement",
        at=at(2026, 12, 3, 10),
    )
    facts = case_facts(disagreement=practice_case, now=at(2026, 12, 4, 10))

    assert "Gil Lead, acting for Riverside Surgery" in [entry.who for entry in facts.entries]
    assert "Pam Practice" in [entry.who for entry in facts.entries]


def test_history_brought_in_through_the_import_lets_the_lead_act_for_the_practice(
    practice_case: Disagreement,
) -> None:
    version = practice_case.procedure
    nurse, lead = person("pam.practice"), person("gil.gplead")
    record = [
        engine.Event(
            EventKind(e.kind), e.at, str(e.actor_id) if e.actor_id else "", e.stage, e.data
        )
        for e in practice_case.events.order_by("sequence")
    ]
    moved = engine.Event(
        EventKind.ESCALATED,
        at(2026, 12, 3, 10),
        str(lead.pk),
        "stage-2",
        {"to_stage": "stage-3", "reason": "no-agreement"},
    )
    copy = Disagreement(
        raised_by=nurse,
        raising_agency=practice_case.raising_agency,
        other_agency=practice_case.other_agency,
        other_professional=practice_case.other_professional,
        summary="Imported.",
    )

    (made,) = services.disagreements_import(
        version=version, played=[services.Played(copy, [*record, moved])]
    )
    assert made.stage == "stage-3"
