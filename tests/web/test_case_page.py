"""The case page and its action pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.cases.models import Disagreement, Event
from parley.core.engine import EventKind, Refused
from tests.web.conftest import POLICE, SCHOOL, act, main_html, raise_case, submit

pytestmark = pytest.mark.django_db


def events(case: Disagreement) -> list[str]:
    return list(Event.objects.filter(disagreement=case).values_list("kind", flat=True))


def test_the_case_page_shows_summary_holders_deadlines_and_record(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    case = raise_case(subject_name="Child A", category="thresholds", outcome_sought="A plan.")
    act(case, "sam.social", EventKind.RESPONSE_RECORDED, text="We reviewed the file.")
    audited.clear()  # what raising and answering it recorded
    page = main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/"))
    assert "TWSP Resolution and Escalation Process (version 2024-3)" in page
    assert "Stage 1: Practitioners" in page
    assert "Child A" in page and "Threshold for action" in page and "A plan." in page
    assert "How this date was worked out" in page
    assert "If it is escalated" in page and "Line manager or supervisor" in page
    # The people the directory names for each rung, beside the roles: at stage 2 the
    # line managers of Health (Max) and of children's social care (Lee).
    assert "Max Lindqvist" in page and "Lee Harper" in page
    assert "moj-timeline" in page
    assert "Response recorded" in page and "by Sam Okafor" in page
    assert "We reviewed the file." in page
    assert audited == [
        {"action": "case.view", "request": audited[0]["request"], "disagreement": case}
    ]


def test_a_case_this_person_cannot_see_is_page_not_found_like_one_that_does_not_exist(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    case = raise_case()
    audited.clear()  # what raising it recorded
    client = as_person("tess.teacher")
    hidden = client.get(f"/cases/{case.reference}/")
    missing = client.get("/cases/TWSP-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert "Page not found" in hidden.content.decode()
    assert hidden.content == missing.content
    assert client.get(f"/cases/{case.reference}/respond/").status_code == 404
    assert audited == []


def test_only_the_actions_this_person_may_take_now_are_offered(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    raiser = main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/"))
    other = main_html(as_person("sam.social").get(f"/cases/{case.reference}/"))
    assert "/respond/" not in raiser and "/respond/" in other
    assert "/withdraw/" in raiser and "/withdraw/" not in other
    assert "/judge-unsatisfactory/" not in raiser  # no response to judge yet
    assert "/close/" not in raiser  # not resolved
    # No referral step at TWSP stage 1, so no referral is offered there.
    assert "/refer/" not in raiser


def test_an_action_not_open_now_explains_why(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    response = as_person("nia.nurse").get(f"/cases/{case.reference}/close/")
    assert response.status_code == 403
    assert "must be resolved first" in main_html(response)


def test_responding_records_it_and_returns_to_the_case(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    case = raise_case()
    client = as_person("sam.social")
    response = submit(client, f"/cases/{case.reference}/respond/", {"text": "We will assess."})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/"
    assert events(case) == ["raised", "response-recorded"]
    # Raising it; opening the page; the change, from the one door, with where it came from.
    assert [c["action"] for c in audited] == ["case.raise", "case.view", "case.change"]
    change = audited[-1]
    assert change["request"] is not None and change["request"].method == "POST"
    assert change["detail"]["via"] == "web" and change["person"].user.username == "sam.social"
    page = main_html(client.get(response["Location"]))
    assert "Response saved" in page and "We will assess." in page


def test_an_empty_form_says_what_to_enter_and_keeps_the_other_answers(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    response = submit(
        as_person("nia.nurse"),
        f"/cases/{case.reference}/resolve/",
        {"outcome": "We agreed an assessment.", "outstanding": ""},
    )
    page = main_html(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter how any outstanding issues will be pursued" in page
    assert 'href="#id_outstanding"' in page
    assert "We agreed an assessment." in page
    assert events(case) == ["raised"]


def test_a_refusal_from_the_procedure_is_shown_in_the_error_summary_with_the_text_kept(
    as_person: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = raise_case()

    def refuse(**kwargs: Any) -> None:
        raise Refused("Someone escalated it while you were typing")

    monkeypatch.setattr("parley.web.views_cases.services.disagreement_act", refuse)
    response = submit(
        as_person("sam.social"), f"/cases/{case.reference}/respond/", {"text": "My careful reply."}
    )
    page = main_html(response)
    assert "Someone escalated it while you were typing" in page
    assert "My careful reply." in page


def test_escalating_offers_only_the_reasons_the_procedure_allows_now(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    page = main_html(client.get(f"/cases/{case.reference}/escalate/"))
    # Which stage it is at, and where it moves from, in words.
    assert f"{case.reference}: Stage 1: Practitioners" in page
    assert "It will move from stage 1: Practitioners to the next stage" in page
    assert 'value="no-agreement"' in page
    assert 'value="response-unsatisfactory"' not in page  # nothing judged unsatisfactory
    assert 'value="deadline-passed"' not in page  # nothing overdue yet
    response = submit(client, f"/cases/{case.reference}/escalate/", {"reason": "no-agreement"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "stage-2"


def test_escalating_for_a_missed_deadline_once_it_has_passed(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case(at=timezone.now() - timedelta(days=30))
    client = as_person("nia.nurse")
    page = main_html(client.get(f"/cases/{case.reference}/"))
    assert "govuk-tag--red" in page
    response = submit(client, f"/cases/{case.reference}/escalate/", {"reason": "deadline-passed"})
    assert response.status_code == 302


def test_bypassing_offers_the_stages_the_procedure_allows_and_needs_a_reason(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case(raiser="priya.lead", professional="dana.dsl")
    client = as_person("priya.lead")
    # TWSP allows only the exceptional referral from stage 3 to the Executive (stage 5).
    assert "/bypass/" not in main_html(client.get(f"/cases/{case.reference}/"))
    act(case, "priya.lead", EventKind.IMMEDIATE_RISK_DECLARED, text="Same day.")
    page = main_html(client.get(f"/cases/{case.reference}/bypass/"))
    assert 'value="stage-5"' in page and 'value="stage-4"' not in page
    response = submit(client, f"/cases/{case.reference}/bypass/", {"to_stage": "stage-5"})
    assert "Enter the reason for bypassing a stage" in main_html(response)
    response = submit(
        client,
        f"/cases/{case.reference}/bypass/",
        {"to_stage": "stage-5", "reason": "Exceptional: unresolved at senior level."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "stage-5"


def test_resolving_needs_both_the_outcome_and_how_outstanding_issues_are_pursued(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    client = as_person("sam.social")
    response = submit(client, f"/cases/{case.reference}/resolve/", {})
    page = main_html(response)
    assert "Enter the written outcome agreed between the parties" in page
    assert "Enter how any outstanding issues will be pursued" in page
    submit(
        client,
        f"/cases/{case.reference}/resolve/",
        {"outcome": "Assessment to start Monday.", "outstanding": "None"},
    )
    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.outcome == "Assessment to start Monday."
    # The raiser can then close it; the other side cannot.
    assert "/close/" not in main_html(client.get(f"/cases/{case.reference}/"))
    raiser = as_person("nia.nurse")
    assert submit(raiser, f"/cases/{case.reference}/close/", {}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_a_note_for_one_side_is_shown_only_to_that_side(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    nia = as_person("nia.nurse")
    page = main_html(nia.get(f"/cases/{case.reference}/note/"))
    assert "Only people in Demoshire NHS Foundation Trust" in page
    submit(
        nia,
        f"/cases/{case.reference}/note/",
        {"text": "Private: our manager thinks we should escalate.", "visibility": "raising"},
    )
    submit(nia, f"/cases/{case.reference}/note/", {"text": "Shared note.", "visibility": "all"})
    assert "our manager thinks" in main_html(nia.get(f"/cases/{case.reference}/"))
    other = main_html(as_person("sam.social").get(f"/cases/{case.reference}/"))
    assert "our manager thinks" not in other
    assert "Shared note." in other
    chair = main_html(as_person("chris.chair").get(f"/cases/{case.reference}/"))
    assert "our manager thinks" not in chair


def test_a_note_cannot_be_made_private_to_a_side_the_person_is_not_on(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    response = submit(
        as_person("sam.social"),
        f"/cases/{case.reference}/note/",
        {"text": "Sneaky", "visibility": "raising"},
    )
    assert "Select who can read this note" in main_html(response)


def test_feedback_debrief_and_learning_are_recorded(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    sam = as_person("sam.social")
    submit(sam, f"/cases/{case.reference}/feedback/", {"text": "We have reopened the case."})
    submit(
        sam, f"/cases/{case.reference}/resolve/", {"outcome": "Reopened.", "outstanding": "None"}
    )
    submit(sam, f"/cases/{case.reference}/debrief/", {"text": "Talked it through."})
    submit(sam, f"/cases/{case.reference}/refer-learning/", {"text": "Threshold guidance unclear."})
    assert events(case) == [
        "raised",
        "feedback-given",
        "resolved",
        "debrief-recorded",
        "learning-referred",
    ]


def test_withdrawing_needs_a_reason(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    assert "Enter why you are withdrawing it" in main_html(
        submit(client, f"/cases/{case.reference}/withdraw/", {})
    )
    submit(client, f"/cases/{case.reference}/withdraw/", {"reason": "Resolved informally."})
    case.refresh_from_db()
    assert case.status == "withdrawn"


def test_an_unknown_action_is_page_not_found(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    assert as_person("nia.nurse").get(f"/cases/{case.reference}/delete/").status_code == 404


def test_immediate_risk_on_an_open_case_goes_to_the_procedure_stage_the_same_day(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case(raiser="tess.teacher", raising=SCHOOL, other=POLICE, professional=None)
    client = as_person("tess.teacher")
    page = main_html(client.get(f"/cases/{case.reference}/immediate-risk/"))
    assert "Family Connect" in page
    submit(
        client, f"/cases/{case.reference}/immediate-risk/", {"text": "Disclosure at school today."}
    )
    case.refresh_from_db()
    assert case.route == "immediate-risk" and case.stage == "stage-3"


def test_the_case_page_costs_the_same_queries_however_many_cases_there_are(
    as_person: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    """The target: the same number of queries per page at 10,000 and at 1,000,000
    disagreements. Here: before and after ninety more, each escalated, for the raiser, the
    other side and the business manager, who sees every case of the partnership."""
    case = raise_case()
    act(case, "sam.social", EventKind.RESPONSE_RECORDED, text="We reviewed the file.")
    people = ["nia.nurse", "sam.social", "ben.business"]
    clients = {username: as_person(username) for username in people}
    url = f"/cases/{case.reference}/"
    for client in clients.values():
        client.get(url)  # sessions and the like, once
    counts = {}
    for username, client in clients.items():
        with django_assert_max_num_queries(20) as few:
            assert client.get(url).status_code == 200
        counts[username] = len(few.captured_queries)
    for index in range(90):
        other = raise_case(at=timezone.now() - timedelta(days=index % 20, hours=index))
        act(other, "nia.nurse", EventKind.ESCALATED, reason="no-agreement")
    for username, client in clients.items():
        with django_assert_max_num_queries(counts[username]):
            assert client.get(url).status_code == 200


def test_the_case_page_reads_the_agencies_involved_from_the_record_it_already_has(
    as_person: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    """Who someone is on the case (the agencies involved in a meeting among it) comes from
    the state the page works out from the record it read, not from a second read of the
    record (it cost about a quarter of the page's CPU time)."""
    case = raise_case()
    client = as_person("nia.nurse")
    url = f"/cases/{case.reference}/"
    client.get(url)
    with django_assert_max_num_queries(20) as seen:
        assert client.get(url).status_code == 200
    record_reads = [q["sql"] for q in seen.captured_queries if "cases_event" in q["sql"]]
    assert len(record_reads) == 1, record_reads
