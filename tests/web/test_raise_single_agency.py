"""The raise journey under a single-agency procedure (a reviewing officer challenging their
own agency's managers): "a disagreement inside your own agency" leads to that procedure
instead of away, and no other agency is asked for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parley.cases import demo, services
from parley.cases.models import Partnership, Person, RoleAssignment
from tests.web.conftest import SOCIAL_CARE, agency, main_html
from tests.web.test_raise import raise_through_pages, walk

pytestmark = pytest.mark.django_db
FILE = Path(__file__).resolve().parents[1] / "procedures" / "iro-alerts.yaml"


@pytest.fixture
def officer(partnership: Partnership) -> str:
    services.procedure_publish(
        partnership=partnership, text=FILE.read_text(encoding="utf-8"),
        source_name=FILE.name, by=None, via="command",
    )  # fmt: skip
    user = get_user_model().objects.create_user("ira.iro", "ira@example.org", "x")
    person = Person.objects.create(
        user=user, partnership=partnership, name="Ira Reviewer", email="ira@example.org"
    )
    RoleAssignment.objects.create(
        person=person, agency=agency(SOCIAL_CARE), role="reviewing-officer"
    )
    return "ira.iro"


def answers() -> dict[str, dict[str, str]]:
    return {
        "immediate-risk": {"at_risk": "no"},
        "about": {"about": "single-agency"},
        "person": {"subject_name": "Child B", "subject_client_reference": "CS-2"},
        "other-professional": {"professional": str(demo.person("sam.social").pk)},
        "summary": {"summary": "No family finding after two reviews."},
        "evidence": {"evidence": "Review minutes."},
        "outcome": {"outcome_sought": "Family finding to start."},
    }


def test_a_challenge_inside_the_agency_is_raised_without_asking_for_another_agency(
    officer: str, as_person: Callable[[str], Client]
) -> None:
    client = as_person(officer)
    asked = []
    response = client.post("/raise/")
    while (
        response["Location"].startswith("/raise/")
        and "check-your-answers" not in response["Location"]
    ):
        slug = response["Location"].split("/")[2]
        asked.append(slug)
        response = client.post(response["Location"], answers()[slug])
        assert response.status_code == 302
    assert "other-agency" not in asked
    assert "procedure" not in asked  # the partnership's one single-agency procedure

    case = raise_through_pages(as_person(officer), answers())
    assert case.procedure.procedure_id == "iro-alerts"
    assert case.raising_agency == case.other_agency == agency(SOCIAL_CARE)
    assert case.other_professional == demo.person("sam.social")
    page = main_html(as_person(officer).get(f"/cases/{case.reference}/"))
    assert "None: a challenge inside Demoshire Council Children" in page
    listed = main_html(as_person(officer).get("/"))
    assert "inside the agency" in listed


def test_others_are_still_sent_to_their_agencys_own_procedure(
    officer: str, as_person: Callable[[str], Client]
) -> None:
    response = walk(as_person("nia.nurse"), {**answers(), "about": {"about": "single-agency"}})
    assert response["Location"] == "/raise/where-to-go-instead/single-agency/"
