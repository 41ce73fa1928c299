"""A shorter time limit for one case ("whichever is shortest", TWSP section 2.4 and
Appendix 1): its page, the case page and record, the audit trail and the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases import demo, selectors
from parley.cases.models import Disagreement
from parley.core import planner
from parley.core.words import long_date
from tests.web.conftest import main_html, raise_case, submit

pytestmark = pytest.mark.django_db
WHY = "The child goes home from hospital on Friday."


def stage_ends(case: Disagreement) -> date:
    case.refresh_from_db()
    state = selectors.disagreement_state(case)
    ends = planner.stage_ends(selectors.disagreement_deadlines(case, state), state.stage)
    assert ends is not None
    return ends


def typed(day: date) -> dict[str, str]:
    return {"due_day": str(day.day), "due_month": str(day.month), "due_year": str(day.year)}


def test_the_other_practitioner_sets_a_shorter_limit_and_the_case_page_says_why(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    ends = stage_ends(case)
    sam = as_person("sam.social")
    page = f"/cases/{case.reference}/shorten-limit/"

    form = main_html(sam.get(page))
    assert "Set a shorter time limit for this stage" in form
    assert f"The time limit for this stage ends on {long_date(ends, weekday=True)}" in form

    empty = main_html(submit(sam, page, {}))
    assert "govuk-error-summary" in empty
    assert "Enter the new last day of the stage" in empty
    assert "Enter why the time limit must be shorter" in empty

    longer = main_html(submit(sam, page, {**typed(ends), "reason": WHY}))
    assert "govuk-error-summary" in longer
    assert "a time limit can be made shorter, never longer" in longer
    assert not case.events.filter(kind="limit-shortened").exists()

    new_day = timezone.localdate() + timedelta(days=1)
    assert submit(sam, page, {**typed(new_day), "reason": WHY}).status_code == 302
    recorded = case.events.get(kind="limit-shortened")
    assert recorded.data["due"] == new_day.isoformat() and recorded.data["reason"] == WHY
    assert stage_ends(case) == new_day

    shown = main_html(sam.get(f"/cases/{case.reference}/"))
    words = f"Shortened to {long_date(new_day, weekday=True)} because {WHY[:-1]}"
    assert "Time limit for this stage" in shown and words in shown
    assert "Time limit shortened for this stage" in shown  # the record
    assert "New last day of the stage" in shown
    entry = AuditEntry.objects.filter(action="case.change").latest("sequence")
    assert entry.disagreement_id == case.pk
    assert entry.detail["action"] == "limit-shortened"


def test_someone_not_holding_the_stage_is_told_who_may(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    page = as_person("ben.business").get(f"/cases/{case.reference}/shorten-limit/")
    assert page.status_code in (403, 404)
    if page.status_code == 403:
        assert "It is not yours to do at this stage" in page.content.decode()


def test_the_api_takes_a_shorter_limit_through_the_same_door(
    as_person: Callable[[str], Client], client: Client
) -> None:
    case = raise_case()
    ends = stage_ends(case)
    token = api_token_create(
        person=demo.person("nia.nurse"), name="t", scopes=["read", "write"], days=1
    ).secret
    url = f"/api/v1/disagreements/{case.reference}/actions"
    headers: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}

    def send(body: dict[str, Any]) -> Any:
        case.refresh_from_db()
        body = {"kind": "limit-shortened", "version": case.version, **body}
        return client.post(url, body, content_type="application/json", **headers)

    longer = send({"due": (ends + timedelta(days=1)).isoformat(), "reason": WHY})
    assert longer.status_code == 422
    assert "never longer" in longer.json()["error"]["message"]
    new_day = timezone.localdate() + timedelta(days=1)
    done = send({"due": new_day.isoformat(), "reason": WHY})
    assert done.status_code == 201, done.json()
    assert stage_ends(case) == new_day
