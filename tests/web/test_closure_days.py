"""Closure days on pages: the business manager adds and removes them, sees which open
cases' deadlines move and by how much before confirming, and the move goes through the
one door in the background, with a record on each moved case."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django_tasks_db.models import DBTaskResult

from parley.cases.models import ClosureDay, Disagreement
from tests.web.conftest import main_html, raise_case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)  # a Monday


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def text(response: object) -> str:
    return html.unescape(main_html(response))


def run_background_tasks() -> int:
    ran = 0
    for result in DBTaskResult.objects.ready():
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()
        ran += 1
    return ran


def due(case: Disagreement, key: str) -> datetime:
    return case.deadlines.get(key=key).due_at.astimezone(LONDON)


def test_only_the_roles_table_settings_column_opens_the_closure_days(
    as_person: Callable[[str], Client],
) -> None:
    assert as_person("ben.business").get("/closure-days/").status_code == 200
    for username in ("nia.nurse", "ari.admin", "chris.chair"):
        assert as_person(username).get("/closure-days/").status_code == 404


def test_adding_a_closure_day_shows_what_moves_then_moves_it_in_the_background(
    as_person: Callable[[str], Client], django_capture_on_commit_callbacks: Any
) -> None:
    case = raise_case(at=NOW)
    before = due(case, "stage-1/resolve")
    assert before == datetime(2026, 12, 24, 17, tzinfo=LONDON)
    client = as_person("ben.business")
    response = client.post(
        "/closure-days/add/",
        {"day_day": "22", "day_month": "12", "day_year": "2026", "name": "Office closure"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "Check what moves" in page
    assert case.reference in page
    assert "5pm on Thursday 24 December 2026" in page
    assert "5pm on Tuesday 29 December 2026" in page
    assert "1 working day later" in page
    # Nothing has changed yet.
    assert not ClosureDay.objects.exists()
    assert due(case, "stage-1/resolve") == before

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/closure-days/confirm/",
            {"change": "add", "day": "2026-12-22", "name": "Office closure"},
        )
    assert response.status_code == 302
    assert ClosureDay.objects.get().name == "Office closure"
    assert run_background_tasks() == 1
    assert due(case, "stage-1/resolve") == datetime(2026, 12, 29, 17, tzinfo=LONDON)
    moved = case.events.get(kind="deadlines-moved")
    assert "Office closure" in moved.data["reason"]
    listing = text(client.get("/closure-days/"))
    assert "Tuesday 22 December 2026" in listing and "Office closure" in listing


def test_removing_a_closure_day_moves_deadlines_back(
    as_person: Callable[[str], Client], django_capture_on_commit_callbacks: Any
) -> None:
    from parley.cases import services

    case = raise_case(at=NOW)
    services.closure_day_add(partnership=case.partnership, day=date(2026, 12, 22), name="Closed")
    assert due(case, "stage-1/resolve") == datetime(2026, 12, 29, 17, tzinfo=LONDON)
    client = as_person("ben.business")
    page = text(client.get("/closure-days/2026-12-22/remove/"))
    assert case.reference in page and "1 working day earlier" in page
    assert ClosureDay.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/closure-days/confirm/", {"change": "remove", "day": "2026-12-22", "name": ""}
        )
    assert response.status_code == 302
    assert not ClosureDay.objects.exists()
    run_background_tasks()
    assert due(case, "stage-1/resolve") == datetime(2026, 12, 24, 17, tzinfo=LONDON)
    assert case.events.filter(kind="deadlines-moved").count() == 2


def test_a_closure_day_needs_a_real_date_and_a_name(as_person: Callable[[str], Client]) -> None:
    response = as_person("ben.business").post(
        "/closure-days/add/", {"day_day": "31", "day_month": "2", "day_year": "2027", "name": ""}
    )
    page = text(response)
    assert "There is a problem" in page
    assert "must be a real date" in page
    assert "Enter a name for the closure" in page
