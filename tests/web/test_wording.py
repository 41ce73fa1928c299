"""The words people read, each as a newcomer trying the service found it wanting."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from parley.cases import demo, services
from parley.cases.models import Agency, Disagreement
from parley.core.calendar import WorkingCalendar
from parley.core.engine import EventKind, Refused
from tests.web.conftest import HEALTH, SOCIAL_CARE, act, agency, raise_case
from tests.web.conftest import main_html as main_markup
from tests.web.test_raise import raise_through_pages, twsp_answers, walk

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def main_html(response: object) -> str:
    """The page's <main> as a reader sees its characters (apostrophes unescaped)."""
    return html.unescape(main_markup(response))


def test_a_step_named_with_a_capitalised_title_keeps_its_capitals_in_a_sentence(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    answers = twsp_answers()
    answers["immediate-risk"] = {"at_risk": "yes"}
    answers["immediate-risk-route"] = {"seen": "yes"}
    raise_through_pages(client, answers)
    page = main_html(client.get("/raise/confirmation/"))
    assert "twsp resolution" not in page
    assert "refer in writing on the TWSP Resolution and Escalation Form" in page


def test_same_working_day_from_a_sunday_says_why_the_deadline_is_monday() -> None:
    calendar = WorkingCalendar()
    sunday = datetime(2026, 12, 6, 10, 9, tzinfo=LONDON)
    explanation = calendar.explain_same_working_day(sunday)
    assert explanation.result.date() == date(2026, 12, 7)
    sentence = explanation.sentence()
    assert "Sunday" in sentence
    assert "not a working day" in sentence
    assert "Monday" in sentence


def test_a_stage_deadline_is_named_as_the_end_of_a_stage(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case("torbay-channel")
    page = main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/"))
    assert "End of Discussion" not in page
    assert "Stage 1 ends: Discussion between the people who disagree" in page


def test_a_refused_action_on_a_resolved_case_says_so_in_plain_words(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    act(case, "nia.nurse", EventKind.RESOLVED, outcome="Agreed.", outstanding="None.")
    page = main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/escalate/"))
    assert "Escalated is not possible" not in page
    assert "The disagreement is resolved" in page


def test_an_empty_response_is_asked_for_in_the_words_of_its_question(
    as_person: Callable[[str], Client],
) -> None:
    from tests.web.conftest import submit

    case = raise_case()
    page = main_html(submit(as_person("sam.social"), f"/cases/{case.reference}/respond/"))
    assert "What is your agency's response?" in page
    assert "Enter what happened" not in page
    assert "Enter your agency's response" in page


def _other_professional_page(client: Client) -> str:
    answers = twsp_answers()
    walk(client, answers)
    return main_html(client.get("/raise/other-professional/"))


def test_who_made_the_decision_is_asked_once_as_the_pages_heading(
    as_person: Callable[[str], Client],
) -> None:
    page = _other_professional_page(as_person("nia.nurse"))
    question = f"Who in {SOCIAL_CARE} made the decision?"
    assert page.count(question) == 1
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert heading is not None and question in heading.group(1)


def test_the_name_asked_for_someone_else_is_not_called_optional(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    page = _other_professional_page(client)
    assert "(optional)" not in page
    response = client.post("/raise/other-professional/", {"professional": "someone-else"})
    assert "Enter their name and role" in main_html(response)


def test_a_date_of_birth_in_1900_is_refused(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    person = dict(twsp_answers()["person"])
    person.update(
        subject_date_of_birth_day="1",
        subject_date_of_birth_month="1",
        subject_date_of_birth_year="1900",
    )
    response = client.post("/raise/person/", person)
    assert response.status_code == 200
    assert "Date of birth must be" in main_html(response)


def test_the_partnership_business_unit_is_not_an_agency_to_disagree_with(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    walk(client, twsp_answers())
    unit = Agency.objects.get(kind=Agency.Kind.PARTNERSHIP)
    assert unit.name not in main_html(client.get("/raise/other-agency/"))
    with pytest.raises(Refused):
        services.disagreement_raise(
            procedure=unit.partnership.procedures.get(procedure_id="twsp", is_current=True),
            raised_by=demo.person("nia.nurse"),
            raising_agency=agency(HEALTH),
            other_agency=unit,
            summary="About the business unit.",
            at=timezone.now(),
        )


@pytest.mark.parametrize("procedure_id", ["twsp", "wirral-children", "torbay-channel"])
def test_no_two_elements_of_a_procedure_page_share_an_id(
    as_person: Callable[[str], Client], procedure_id: str
) -> None:
    page = as_person("nia.nurse").get(f"/procedures/{procedure_id}/").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []


def test_past_disagreements_are_numbered_in_the_order_they_were_raised(partnership) -> None:
    from parley.reports.generate import cases_generate

    version = partnership.procedures.get(procedure_id="twsp", is_current=True)
    cases_generate(
        version=version,
        count=12,
        start=date(2025, 1, 6),
        days=200,
        until=datetime(2026, 1, 1, tzinfo=LONDON),
        seed=3,
    )
    found = list(Disagreement.objects.filter(procedure=version).order_by("raised_at", "pk"))
    numbers = [int(case.reference.rsplit("-", 1)[1]) for case in found]
    assert numbers == sorted(numbers)
    assert all(re.fullmatch(r"TWSP-\d{6}", case.reference) for case in found)
