"""Raising a disagreement through the question pages, as a person would with the test client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from parley.cases import demo
from parley.cases.models import Agency, Disagreement, Event, RoleAssignment
from tests.web.conftest import HEALTH, POLICE, SOCIAL_CARE, agency, main_html

pytestmark = pytest.mark.django_db


def twsp_answers() -> dict[str, dict[str, str]]:
    return {
        "immediate-risk": {"at_risk": "no"},
        "about": {"about": "another-agency"},
        "procedure": {"procedure": "twsp"},
        "your-team": {"raising_team": "0-19 Health Visiting Team"},
        "person": {
            "subject_name": "Child A",
            "subject_client_reference": "CS-1",
            "subject_date_of_birth_day": "3",
            "subject_date_of_birth_month": "4",
            "subject_date_of_birth_year": "2020",
            "subject_nhs_number": "943 476 5919",
            "subject_gp": "Dr Patel, Hill Surgery",
        },
        "other-agency": {"agency": str(agency(SOCIAL_CARE).pk)},
        "other-professional": {"professional": str(demo.person("sam.social").pk)},
        "category": {"category": "thresholds"},
        "summary": {"summary": "Closed after one visit despite repeated bruising."},
        "evidence": {"evidence": "Health visiting records."},
        "outcome": {"outcome_sought": "A strategy discussion."},
    }


def walk(client: Client, answers: dict[str, dict[str, str]]) -> Any:
    """Start the journey and answer each page it asks, until it stops asking."""
    response = client.post("/raise/")
    for _ in range(20):
        location = response["Location"]
        if not location.startswith("/raise/") or location.startswith(
            ("/raise/check-your-answers/", "/raise/where-to-go-instead/")
        ):
            return response
        slug = location.split("/")[2]
        response = client.post(location, answers[slug])
        assert response.status_code == 302, main_html(response)
    raise AssertionError("the journey did not end")


def raise_through_pages(client: Client, answers: dict[str, dict[str, str]]) -> Disagreement:
    response = walk(client, answers)
    assert response["Location"] == "/raise/check-your-answers/"
    response = client.post("/raise/check-your-answers/")
    assert response["Location"] == "/raise/confirmation/"
    return Disagreement.objects.latest("pk")


def test_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/raise/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_raising_creates_one_disagreement_with_every_answer(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    client = as_person("nia.nurse")
    case = raise_through_pages(client, twsp_answers())
    assert case.raised_by == demo.person("nia.nurse")
    assert case.raising_agency.name == HEALTH
    assert case.other_agency.name == SOCIAL_CARE
    assert case.other_professional == demo.person("sam.social")
    assert case.subject_name == "Child A"
    assert str(case.subject_date_of_birth) == "2020-04-03"
    assert case.subject_nhs_number == "943 476 5919"
    assert case.subject_gp == "Dr Patel, Hill Surgery"
    assert case.raising_team == "0-19 Health Visiting Team"
    assert case.category == "thresholds"
    assert case.outcome_sought == "A strategy discussion."
    assert case.stage == "stage-1" and case.route == "standard"
    assert [c["action"] for c in audited] == ["case.raise"]
    confirmation = main_html(client.get("/raise/confirmation/"))
    assert "govuk-panel--confirmation" in confirmation
    assert case.reference in confirmation


def test_check_your_answers_lists_the_answers_with_change_links(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    page = main_html(client.get("/raise/check-your-answers/"))
    assert "Closed after one visit despite repeated bruising." in page
    assert "3 April 2020" in page
    assert 'href="/raise/summary/?change=1"' in page
    # Changing an answer comes back to the check page.
    response = client.post("/raise/summary/?change=1", {"summary": "Changed."})
    assert response["Location"] == "/raise/check-your-answers/"
    assert "Changed." in main_html(client.get("/raise/check-your-answers/"))


def test_submitting_twice_raises_one_disagreement(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    session = client.session.get("parley.raise")
    first = client.post("/raise/check-your-answers/")
    # A second submission of the same journey, as a double click sends it before the
    # first has answered: the same session data, the same request key.
    stale = client.session
    stale["parley.raise"] = session
    stale.save()
    second = client.post("/raise/check-your-answers/")
    assert first["Location"] == second["Location"] == "/raise/confirmation/"
    assert Disagreement.objects.count() == 1


def test_back_button_after_raising_does_not_raise_again(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    raise_through_pages(client, twsp_answers())
    assert client.get("/raise/check-your-answers/")["Location"] == "/raise/confirmation/"
    assert client.post("/raise/check-your-answers/")["Location"] == "/raise/confirmation/"
    assert client.get("/raise/outcome/")["Location"] == "/raise/confirmation/"
    assert Disagreement.objects.count() == 1
    # Starting again is a new journey, which raises a second disagreement.
    raise_through_pages(client, twsp_answers())
    assert Disagreement.objects.count() == 2


def test_going_back_mid_journey_shows_what_was_typed(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    page = main_html(client.get("/raise/person/"))
    assert 'value="Child A"' in page
    assert 'value="2020"' in page
    assert 'value="943 476 5919"' in page
    assert "govuk-error-summary" not in page


def test_pages_cannot_be_skipped(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    client.post("/raise/")
    assert client.get("/raise/summary/")["Location"] == "/raise/immediate-risk/"
    assert client.get("/raise/check-your-answers/")["Location"] == "/raise/immediate-risk/"


SIGNPOSTED = [
    "conduct-complaint",
    "allegation-against-staff",
    "whistleblowing",
    "single-agency",
    "system-issue",
]


def test_each_signposted_answer_shows_where_to_go_and_creates_nothing(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    for kind in SIGNPOSTED:
        client.post("/raise/", {"again": "yes"})
        client.post("/raise/immediate-risk/", {"at_risk": "no"})
        response = client.post("/raise/about/", {"about": kind})
        assert response["Location"] == f"/raise/where-to-go-instead/{kind}/"
        page = main_html(client.get(response["Location"]))
        assert "nothing has been saved" in page
        # Later pages and the check page send the person back to the advice.
        assert client.get("/raise/procedure/")["Location"] == response["Location"]
        assert client.post("/raise/check-your-answers/")["Location"] == response["Location"]
    assert Disagreement.objects.count() == 0


def test_signposting_quotes_each_procedure_that_speaks_to_it(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    page = main_html(client.get("/raise/where-to-go-instead/system-issue/"))
    assert "TWSP Partnership Manager" in page  # TWSP section 3.1.10
    assert "Channel chair" in page  # Torbay Channel
    page = main_html(client.get("/raise/where-to-go-instead/allegation-against-staff/"))
    assert "LADO" in page


def test_immediate_risk_shows_guidance_and_starts_on_the_same_day_route(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    answers = twsp_answers()
    answers["immediate-risk"] = {"at_risk": "yes"}
    answers["immediate-risk-route"] = {"seen": "yes"}
    walk(client, answers)
    page = main_html(client.get("/raise/immediate-risk-route/"))
    assert "Family Connect" in page and "01952 385385" in page
    assert "same working day" in page
    case = raise_through_pages(client, answers)
    assert case.route == "immediate-risk"
    assert case.stage == "stage-3"  # TWSP: senior managers and designated leads


def test_immediate_risk_where_the_procedure_leaves_the_stage_to_the_raiser(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    client.post("/raise/")
    client.post("/raise/immediate-risk/", {"at_risk": "yes"})
    client.post("/raise/about/", {"about": "another-agency"})
    client.post("/raise/procedure/", {"procedure": "torbay-children"})
    page = main_html(client.post("/raise/immediate-risk-route/", {"seen": "yes"}))
    assert "Select the stage to start at" in page
    assert "Which stage should it start at?" in page
    answers = twsp_answers()
    answers["immediate-risk"] = {"at_risk": "yes"}
    answers["procedure"] = {"procedure": "torbay-children"}
    answers["category"] = {"category": "need-for-action"}
    answers["immediate-risk-route"] = {"seen": "yes", "start_stage": "stage-4"}
    case = raise_through_pages(client, answers)
    assert case.route == "immediate-risk" and case.stage == "stage-4"


def test_a_procedure_with_an_informal_stage_asks_where_to_start(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("cora.channel")
    answers = twsp_answers()
    answers["procedure"] = {"procedure": "bedfordshire-channel"}
    answers["category"] = {"category": "something-else"}
    answers["start"] = {"start": "informal"}
    answers["your-agency"] = {"agency": str(agency("Demoshire Partnership Business Unit").pk)}
    answers["other-professional"] = {"professional": "not-known"}
    case = raise_through_pages(client, answers)
    assert case.stage == "informal"
    assert case.category == ""
    assert case.raising_agency.name == "Demoshire Partnership Business Unit"


def test_someone_in_several_agencies_is_asked_which(as_person: Callable[[str], Client]) -> None:
    RoleAssignment.objects.create(
        person=demo.person("dev.dsl"), agency=agency(POLICE), role="safeguarding-lead"
    )
    client = as_person("dev.dsl")
    answers = twsp_answers()
    answers["your-agency"] = {"agency": str(agency(POLICE).pk)}
    case = raise_through_pages(client, answers)
    assert case.raising_agency.name == POLICE


def test_your_own_agency_is_not_offered_as_the_other_agency(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    own = Agency.objects.get(name=HEALTH)
    page = main_html(client.get("/raise/other-agency/"))
    assert f'value="{own.pk}"' not in page
    response = client.post("/raise/other-agency/", {"agency": str(own.pk)})
    assert "Select the agency you disagree with" in main_html(response)


def test_changing_the_procedure_asks_again_for_an_answer_it_made_wrong(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    client.post("/raise/procedure/?change=1", {"procedure": "wirral-children"})
    # "thresholds" is a TWSP category, not a Wirral one.
    assert client.get("/raise/check-your-answers/")["Location"] == "/raise/category/"


def test_only_the_person_details_the_procedure_forms_need_are_asked(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    answers = twsp_answers()
    answers["procedure"] = {"procedure": "torbay-channel"}
    answers["category"] = {"category": "other"}
    walk(client, answers)
    page = main_html(client.get("/raise/person/"))
    assert "NHS number" not in page and "Date of birth" not in page
    assert "Full name" in page


def test_a_person_without_a_place_in_a_partnership_is_told_so(
    partnership: Any, signed_in: Callable[[str], Client]
) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("stray", password="x")
    client = signed_in("stray")
    for url in ("/", "/raise/", "/raise/immediate-risk/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "not set up for case work" in main_html(response)
    assert not Event.objects.exists()


def test_the_team_is_asked_only_where_the_procedures_form_prints_it(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    twsp = walk(client, twsp_answers())
    assert twsp["Location"] == "/raise/check-your-answers/"
    assert "0-19 Health Visiting Team" in main_html(client.get("/raise/check-your-answers/"))

    wirral = twsp_answers()
    wirral["procedure"] = {"procedure": "wirral-children"}
    del wirral["your-team"]
    wirral["category"] = {"category": "assessment"}
    assert walk(client, wirral)["Location"] == "/raise/check-your-answers/"


def test_a_team_left_blank_gets_the_error_summary(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    answers = twsp_answers()
    answers["your-team"] = {"raising_team": ""}
    client.post("/raise/")
    for slug in ("immediate-risk", "about", "procedure"):
        client.post(f"/raise/{slug}/", answers[slug])
    page = main_html(client.post("/raise/your-team/", answers["your-team"]))

    assert "There is a problem" in page and "Enter your team" in page
