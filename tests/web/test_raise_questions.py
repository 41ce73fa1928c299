"""A procedure's own questions in the raising journey: each on a page of its own, a date as
day, month and year, yes-no and choices as radios, errors in the GOV.UK error summary; the
answers kept with the case and shown on its page; the API takes them too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from parley.cases import demo, services
from parley.cases.models import Disagreement, Partnership
from parley.core.engine import Refused
from tests.web.conftest import HEALTH, SOCIAL_CARE, agency, main_html, raise_case
from tests.web.test_raise import raise_through_pages, twsp_answers

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parents[1] / "core" / "fixtures" / "procedures" / "brookvale-dissent.yaml"


@pytest.fixture
def brookvale(partnership: Partnership) -> Partnership:
    services.procedure_publish(
        partnership=partnership,
        text=FIXTURE.read_text(encoding="utf-8"),
        source_name="brookvale-dissent.yaml",
        by=None,
        via="command",
    )
    return partnership


def answers() -> dict[str, dict[str, str]]:
    given = twsp_answers()
    given["procedure"] = {"procedure": "brookvale-dissent"}
    del given["category"]
    del given["your-team"]
    given["person"] = {"subject_name": "Child A", "subject_client_reference": "CS-1"}
    given["question-conference-ended"] = {
        "answer_day": "1",
        "answer_month": "12",
        "answer_year": "2026",
    }
    given["question-child-subject-of-plan"] = {"answer": "yes"}
    given["question-concern"] = {"answer": "category"}
    return given


def walk_to(client: Client, slug: str) -> None:
    """Answer each page until the journey asks ``slug``."""
    response = client.post("/raise/")
    for _ in range(20):
        location = response["Location"]
        if location == f"/raise/{slug}/":
            return
        response = client.post(location, answers()[location.split("/")[2]])
        assert response.status_code == 302, main_html(response)
    raise AssertionError(f"the journey did not ask {slug}")


def test_each_question_is_asked_on_its_own_page_and_kept_with_the_case(
    brookvale: Partnership, as_person: Callable[[str], Client]
) -> None:
    client = as_person("nia.nurse")

    case = raise_through_pages(client, answers())

    raised = case.events.order_by("pk").first()
    assert raised is not None
    assert raised.data["answers"] == {
        "conference-ended": "2026-12-01",
        "child-subject-of-plan": "yes",
        "concern": "category",
    }
    page = main_html(client.get(f"/cases/{case.reference}/"))
    assert "When did the child protection conference end?" in page
    assert "1 December 2026" in page
    assert "The category of abuse" in page


def test_the_date_page_uses_the_date_input_and_the_error_summary(
    brookvale: Partnership, as_person: Callable[[str], Client]
) -> None:
    client = as_person("nia.nurse")
    walk_to(client, "question-conference-ended")
    page = main_html(client.get("/raise/question-conference-ended/"))
    assert 'name="answer_day"' in page and "For example, 27 3 2026" in page
    assert "<h1" in page and "When did the child protection conference end?" in page

    response = client.post(
        "/raise/question-conference-ended/",
        {"answer_day": "31", "answer_month": "2", "answer_year": "2026"},
    )

    page = main_html(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "The date must be a real date" in page


def test_a_required_yes_no_left_blank_gets_the_error_summary(
    brookvale: Partnership, as_person: Callable[[str], Client]
) -> None:
    client = as_person("nia.nurse")
    walk_to(client, "question-child-subject-of-plan")

    response = client.post("/raise/question-child-subject-of-plan/", {})

    page = main_html(response)
    assert "govuk-error-summary" in page
    assert "Select an answer to “Is the child the subject of a child protection plan?”" in page


def test_a_procedure_without_questions_asks_none(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")

    case = raise_through_pages(client, twsp_answers())

    raised = case.events.order_by("pk").first()
    assert raised is not None and "answers" not in raised.data


def test_the_service_refuses_answers_the_core_refuses(brookvale: Partnership) -> None:
    with pytest.raises(Refused) as refused:
        raise_case("brookvale-dissent", professional=None, answers={"colour": "red"})

    assert '"colour" is not a question' in refused.value.reason


def test_the_api_raises_with_answers(brookvale: Partnership, client: Client) -> None:
    from parley.api.tokens import api_token_create

    token = api_token_create(
        person=demo.person("nia.nurse"), name="test", scopes=["read", "write"], days=30
    )
    secret = token.secret
    body = {
        "procedure": "brookvale-dissent",
        "raising_agency": agency(HEALTH).pk,
        "other_agency": agency(SOCIAL_CARE).pk,
        "summary": "Dissent from the conference's decision.",
        "answers": {"conference-ended": "2026-12-01", "child-subject-of-plan": "no"},
    }

    response = client.post(
        "/api/v1/disagreements",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 201, response.content
    case = Disagreement.objects.get(reference=response.json()["reference"])
    raised = case.events.order_by("pk").first()
    assert raised is not None
    assert raised.data["answers"] == {
        "conference-ended": "2026-12-01",
        "child-subject-of-plan": "no",
    }


def test_the_if_raised_dates_page_keeps_to_the_cap(
    brookvale: Partnership, as_person: Callable[[str], Client]
) -> None:
    from tests.web.test_procedures_pages import text_of

    client = as_person("nia.nurse")
    response = client.get(
        "/procedures/brookvale-dissent/dates/",
        {"raised_day": "2", "raised_month": "12", "raised_year": "2026"},
    )

    words = text_of(response.content.decode())
    # Raised at 9am on Wednesday 2 December; the cap over stages 1 and 2 is 5 working days,
    # Wednesday 9 December: the review's own 5 working days would run to 15 December.
    assert "the time limit for stages 1 and 2 (5 working days) ends sooner" in words
    assert "15 December" not in words
    # Stage 3 runs 10 working days from the cap's end: Wednesday 23 December.
    assert "Stage 3: Partnership review" in words
    assert "Stage ends by Wednesday 23 December 2026" in words
