"""No input produces a server error, loses what was typed, or creates a duplicate case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from parley.cases.models import Disagreement, Event
from parley.web.forms import clean_typed, nhs_number_is_valid
from tests.web.conftest import drawn, main_html, raise_case, submit
from tests.web.test_raise import raise_through_pages, twsp_answers, walk

pytestmark = pytest.mark.django_db

ENORMOUS = "x" * 100_000
SCRIPT = '<script>alert("owned")</script>'
UNICODE = "Zoë \u200f\u202eشسي\u202c 👩🏽‍⚕️ 子供"


@pytest.fixture
def nia(as_person: Callable[[str], Client]) -> Client:
    client = as_person("nia.nurse")
    client.post("/raise/")
    return client


def test_an_empty_answer_says_what_to_do(nia: Client) -> None:
    response = nia.post("/raise/immediate-risk/", {})
    assert response.status_code == 200
    page = main_html(response)
    assert "There is a problem" in page
    assert "Select yes if anyone is at immediate risk of significant harm" in page
    assert "<title>Error: " in response.content.decode()


def test_every_page_of_the_journey_refuses_an_empty_answer_without_an_error(nia: Client) -> None:
    answers = twsp_answers()
    for slug in answers:
        response = nia.post(f"/raise/{slug}/", {})
        assert response.status_code in (200, 302)
        if response.status_code == 200 and slug not in ("evidence",):
            assert "There is a problem" in main_html(response), slug
        nia.post(f"/raise/{slug}/", answers[slug])


def test_enormous_text_is_refused_and_kept(nia: Client) -> None:
    walk(nia, twsp_answers())
    response = nia.post("/raise/summary/", {"summary": ENORMOUS})
    page = main_html(response)
    assert "must be 5,000 characters or fewer" in page
    assert ENORMOUS in page  # nothing typed is lost


MALFORMED_DATES = [
    ("31", "2", "2026", "Date of birth must be a real date"),
    ("aa", "bb", "cccc", "Date of birth must be a real date, in numbers"),
    ("12", "", "2019", "Date of birth must include a month"),
    ("1", "1", "19", "Year must include 4 numbers"),
    ("1", "1", "2999", "Date of birth must be today or in the past"),
    # More than 120 years back (parley.core.engine.OLDEST_AGE_YEARS), counted from this year.
    ("1", "1", "1850", f"Date of birth must be in {date.today().year - 120} or later"),
    ("１", "１", "２０２０", "Date of birth must be a real date, in numbers"),
]


def test_a_malformed_date_says_what_is_wrong_and_keeps_what_was_typed(nia: Client) -> None:
    walk(nia, twsp_answers())
    for day, month, year, message in MALFORMED_DATES:
        response = nia.post(
            "/raise/person/",
            {
                "subject_name": "Child A",
                "subject_date_of_birth_day": day,
                "subject_date_of_birth_month": month,
                "subject_date_of_birth_year": year,
            },
        )
        page = main_html(response)
        assert response.status_code == 200
        assert message in page, (day, month, year)
        assert f'value="{year}"' in page
        assert 'href="#id_subject_date_of_birth"' in page


def test_a_name_or_reference_is_needed(nia: Client) -> None:
    walk(nia, twsp_answers())
    page = main_html(nia.post("/raise/person/", {"subject_name": "  "}))
    assert "Enter the person&#39;s name or a client reference" in page


def test_an_invalid_nhs_number_is_refused(nia: Client) -> None:
    walk(nia, twsp_answers())
    for number in ["943 476 5910", "12345", "abcdefghij", "９４３４７６５９１９"]:
        page = main_html(
            nia.post("/raise/person/", {"subject_name": "Child A", "subject_nhs_number": number})
        )
        assert "NHS number" in page and "govuk-error-summary" in page, number


def test_nhs_number_modulus_11() -> None:
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765910")
    # A check digit of 10 is never valid.
    assert not nhs_number_is_valid("0000000060") or nhs_number_is_valid("0000000060") is False


def test_script_tags_are_shown_as_text_and_never_run(
    nia: Client, as_person: Callable[[str], Client]
) -> None:
    answers = twsp_answers()
    answers["summary"] = {"summary": SCRIPT}
    answers["person"] = {"subject_name": SCRIPT}
    walk(nia, answers)
    check = nia.get("/raise/check-your-answers/").content.decode()
    assert SCRIPT not in check and "&lt;script&gt;" in check
    case = raise_through_pages(nia, answers)
    assert case.summary == SCRIPT
    page = as_person("sam.social").get(f"/cases/{case.reference}/").content.decode()
    assert SCRIPT not in page and "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page


def test_a_nul_byte_is_refused_at_the_edge_and_other_unicode_kept(
    nia: Client, as_person: Callable[[str], Client]
) -> None:
    """A NUL is never typed by a person: it is refused before any page reads it (400, the
    house page; docs/security.md). Other control characters are removed as typed."""
    refused = nia.post("/raise/summary/", {"summary": f"Before\x00after. {UNICODE}"})
    assert refused.status_code == 400
    assert "Sorry, Parley could not read that request" in refused.content.decode()
    answers = twsp_answers()
    answers["summary"] = {"summary": f"Before\x07after. {UNICODE}"}
    answers["person"] = {"subject_name": f"Child\x1b A {UNICODE}"[:200]}
    case = raise_through_pages(nia, answers)
    assert case.summary == f"Beforeafter. {UNICODE}"
    assert "\x1b" not in case.subject_name and "👩🏽‍⚕️" in case.subject_name
    sam = as_person("sam.social")
    path = f"/cases/{case.reference}/respond/"
    assert sam.post(path, {**drawn(sam, path), "text": "Reply\x00"}).status_code == 400
    submit(sam, path, {"text": f"Reply\x08 {UNICODE}"})
    event = Event.objects.filter(disagreement=case, kind="response-recorded").get()
    assert event.data["text"] == f"Reply {UNICODE}"
    assert UNICODE in sam.get(f"/cases/{case.reference}/").content.decode()


def test_clean_typed_keeps_line_breaks_and_tabs() -> None:
    assert clean_typed("a\r\nb\tc\x00\x07d\x1b") == "a\nb\tcd"


def test_a_choice_that_was_never_offered_is_refused_not_an_error(nia: Client) -> None:
    for slug, data in [
        ("immediate-risk", {"at_risk": "maybe"}),
        ("about", {"about": "../../etc/passwd"}),
    ]:
        response = nia.post(f"/raise/{slug}/", data)
        assert response.status_code == 200
        assert "There is a problem" in main_html(response)
        nia.post(f"/raise/{slug}/", twsp_answers()[slug])
    walk(nia, twsp_answers())
    for data in ({"agency": "999999"}, {"agency": "not-a-number"}, {"agency": "1 OR 1=1"}):
        response = nia.post("/raise/other-agency/", data)
        assert "Select the agency you disagree with" in main_html(response)


def test_an_action_page_refuses_enormous_text_and_keeps_it(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    response = submit(
        as_person("sam.social"), f"/cases/{case.reference}/respond/", {"text": ENORMOUS}
    )
    page = main_html(response)
    assert "must be 5,000 characters or fewer" in page and ENORMOUS in page
    assert Event.objects.filter(disagreement=case).count() == 1


def test_a_double_submitted_action_is_refused_the_second_time_where_it_cannot_repeat(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    sam = as_person("sam.social")
    data = {"outcome": "Agreed.", "outstanding": "None"}
    assert submit(sam, f"/cases/{case.reference}/resolve/", data).status_code == 302
    again = submit(sam, f"/cases/{case.reference}/resolve/", data)
    assert again.status_code == 403  # resolving twice is not possible: said plainly
    assert Event.objects.filter(disagreement=case, kind="resolved").count() == 1


def test_odd_references_are_page_not_found(as_person: Callable[[str], Client]) -> None:
    raise_case()
    client = as_person("nia.nurse")
    for reference in ["..%2F..%2Fetc", "%F0%9F%92%A9", "x" * 300, "TWSP-1'--"]:
        assert client.get(f"/cases/{reference}/").status_code == 404, reference
    # A NUL is refused at the edge, before any page looks for a case.
    assert client.get("/cases/TWSP-000001%00/").status_code == 400


def test_the_journey_survives_a_session_with_junk_in_it(
    as_person: Callable[[str], Client],
) -> None:
    client = as_person("nia.nurse")
    session = client.session
    session["parley.raise"] = {"key": "k", "answers": {"procedure": {"procedure": 7}}, "x": [1]}
    session.save()
    assert client.get("/raise/procedure/").status_code in (200, 302)
    session["parley.raise"] = "not a dict"
    session.save()
    assert client.get("/raise/immediate-risk/").status_code == 200
    assert not Disagreement.objects.exists()
