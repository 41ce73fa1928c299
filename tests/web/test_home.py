"""Home: "Your actions"."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from parley.cases.models import Disagreement
from parley.core.engine import EventKind
from tests.web.conftest import POLICE, SCHOOL, act, main_html, raise_case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_the_other_agency_sees_what_is_waiting_on_them_with_how_it_was_worked_out(
    as_person: Callable[[str], Client],
) -> None:
    # Tuesday 22 December 2026: Christmas Day and the Boxing Day holiday fall inside.
    case = raise_case(at=datetime(2026, 12, 22, 10, 0, tzinfo=LONDON))
    page = main_html(as_person("sam.social").get("/"))
    assert "Waiting on you" in page
    assert case.reference in page
    assert "Read the case file, speak to the disputing practitioner" in page
    assert (
        "3 working days from Tuesday 22 December 2026: 25 and 28 December are bank holidays."
        in page
    )
    assert "How this date was worked out" in page
    assert "Appendix 1, stage 1" in page  # where the rule comes from
    assert "Disagreements raised with you" in page


def test_overdue_steps_are_marked_and_come_first(as_person: Callable[[str], Client]) -> None:
    later = raise_case(at=timezone.now() - timedelta(days=1))
    overdue = raise_case(at=timezone.now() - timedelta(days=30))
    page = main_html(as_person("sam.social").get("/"))
    waiting = page[page.index("Waiting on you") : page.index("Disagreements")]
    assert waiting.index(overdue.reference) < waiting.index(later.reference)
    assert 'govuk-tag--red">Overdue' in waiting


def test_the_raiser_sees_where_their_disagreements_stand(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    act(case, "nia.nurse", EventKind.ESCALATED, reason="no-agreement")
    page = main_html(as_person("nia.nurse").get("/"))
    raised = page[page.index("Disagreements you raised") :]
    assert case.reference in raised and "Stage 2: Line or team managers" in raised
    # Stage 2 is for managers: it is not waiting on the practitioner who raised it.
    assert "Nothing with a deadline is waiting on you" in page


def test_a_manager_sees_their_agency_s_open_disagreements_once_they_reach_them(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    assert case.reference not in main_html(as_person("max.manager").get("/"))
    act(case, "nia.nurse", EventKind.ESCALATED, reason="no-agreement")
    page = main_html(as_person("max.manager").get("/"))
    assert "Your agency's open disagreements" in page
    assert case.reference in page
    waiting = page[page.index("Waiting on you") : page.index("Your agency")]
    assert "Managers or named safeguarding leads try to resolve the differences" in waiting


def test_a_business_manager_sees_the_partnership_and_a_link_to_the_register(
    as_person: Callable[[str], Client],
) -> None:
    raise_case()
    raise_case(raiser="tess.teacher", raising=SCHOOL, other=POLICE, professional=None)
    page = main_html(as_person("ben.business").get("/"))
    assert "2 ongoing disagreements" in page
    assert 'href="/register/"' in page


def _cases(count: int) -> None:
    """Cases of every age, half of them escalated so that managers see them too."""
    for index in range(count):
        case = raise_case(at=timezone.now() - timedelta(days=index % 20, hours=index))
        if index % 2:
            act(case, "nia.nurse", EventKind.ESCALATED, reason="no-agreement")


def test_the_number_of_queries_stays_flat_as_cases_grow(
    as_person: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    people = ["sam.social", "nia.nurse", "dana.dsl", "ben.business"]
    clients = {username: as_person(username) for username in people}
    for client in clients.values():
        client.get("/")  # sessions and the like, once
    _cases(10)
    counts = {}
    for username, client in clients.items():
        with django_assert_max_num_queries(25) as few:
            assert client.get("/").status_code == 200
        counts[username] = len(few.captured_queries)
    _cases(90)
    for username, client in clients.items():
        with django_assert_max_num_queries(counts[username]):
            assert client.get("/").status_code == 200


def test_disagreements_that_ended_long_ago_are_listed_only_on_asking(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    Disagreement.objects.filter(pk=case.pk).update(
        status=Disagreement.Status.CLOSED,
        resolved_at=timezone.now() - timedelta(days=60),
        closed_at=timezone.now() - timedelta(days=59),
    )
    client = as_person("nia.nurse")
    page = main_html(client.get("/"))
    assert case.reference not in page
    assert "1 disagreement of yours that ended more than 30 days ago is not listed" in page
    assert case.reference in main_html(client.get("/?all=yes"))


def test_a_deadline_whose_limit_is_parleys_choice_says_so_on_the_home_page(
    as_person: Callable[[str], Client],
) -> None:
    # The Torbay leaflet states no time for immediate harm: the same working day is chosen.
    raise_case(
        "torbay-children", category="levels-of-need", immediate_risk=True, start_stage="stage-2"
    )
    page = html.unescape(main_html(as_person("sam.social").get("/")))

    assert "How this date was worked out" in page
    assert "Parley's choice: the document does not say. The leaflet states no time." in page
    assert "Source: Introduction" not in page
