"""The learning log: issues referred from cases, what became of them, and overdue follow-ups."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.test import RequestFactory

from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Disagreement, Event
from parley.core.engine import EventKind
from parley.core.report import parse_period
from parley.reports.figures import report_build
from parley.reports.models import LearningItem
from parley.reports.scope import report_scope
from parley.reports.services import ReportError, learning_item_record

LONDON = ZoneInfo("Europe/London")


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def partnership(db):
    return demo_load(with_cases=False)


def _case(partnership, procedure_id="twsp", raiser="nia.nurse") -> Disagreement:
    version = partnership.procedures.get(procedure_id=procedure_id, is_current=True)
    agencies = {a.name.split()[1]: a for a in Agency.objects.filter(partnership=partnership)}
    return services.disagreement_raise(
        procedure=version,
        raised_by=person(raiser),
        raising_agency=agencies["NHS"],
        other_agency=agencies["Council"],
        summary="The case was closed after one visit.",
        at=datetime(2026, 3, 2, 10, tzinfo=LONDON),
    )


def _refer(case: Disagreement, text="Thresholds guidance is unclear for health visitors.") -> Event:
    """What the case page's "Refer a policy or learning issue" action does."""
    rows = services.disagreement_act(
        disagreement=case,
        person=person("nia.nurse"),  # a party refers it; the business manager only looks
        kind=EventKind.LEARNING_REFERRED,
        text=text,
        at=datetime(2026, 3, 4, 11, tzinfo=LONDON),
    )
    learning_item_record(event=rows[0], person=person("ben.business"))
    return rows[0]


def test_an_issue_referred_from_a_case_goes_into_the_learning_log(partnership):
    case = _case(partnership)
    event = _refer(case)
    item = LearningItem.objects.get(event=event)
    assert item.issue == "Thresholds guidance is unclear for health visitors."
    assert item.procedure_id == "twsp"
    assert item.referred_to.startswith("TWSP Partnership Manager")  # the procedure's learning_to
    # 20 working days after Wed 4 March 2026: Thu 5 March is the first, Wed 1 April the 20th.
    assert item.follow_up_due == date(2026, 4, 1)


def test_recording_the_same_referral_twice_keeps_one_item(partnership):
    event = _refer(_case(partnership))
    again = learning_item_record(event=event)
    assert LearningItem.objects.filter(event=event).count() == 1
    assert again.event_id == event.pk


def test_only_a_referred_issue_is_logged(partnership):
    case = _case(partnership)
    raised = case.events.get(sequence=1)
    with pytest.raises(ReportError):
        learning_item_record(event=raised)


def test_the_business_manager_records_what_was_decided_and_when_it_was_done(partnership, signed_in):
    item = LearningItem.objects.get(event=_refer(_case(partnership)))
    response = signed_in("ben.business").post(
        f"/reports/learning/{item.pk}/",
        {
            "topic": "training",
            "summary": "Health visitors were unsure of the thresholds.",
            "referred_to": "Training subgroup",
            "decision": "Thresholds briefing added to the training programme.",
            "done_on_day": "20", "done_on_month": "4", "done_on_year": "2026",
            "follow_up_due_day": "", "follow_up_due_month": "", "follow_up_due_year": "",
        },
    )  # fmt: skip
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.topic, item.referred_to, item.done_on) == (
        "training",
        "Training subgroup",
        date(2026, 4, 20),
    )


def test_a_done_date_without_a_decision_is_refused_plainly(partnership, signed_in):
    item = LearningItem.objects.get(event=_refer(_case(partnership)))
    response = signed_in("ben.business").post(
        f"/reports/learning/{item.pk}/",
        {"topic": "policy", "done_on_day": "20", "done_on_month": "4", "done_on_year": "2026"},
    )
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and "Enter what was decided" in text


def test_overdue_follow_ups_are_listed_and_shown_on_the_home_page_panel(partnership, signed_in):
    _refer(_case(partnership))  # follow-up due 1 April 2026, long past
    response = signed_in("ben.business").get("/reports/learning/")
    assert response.status_code == 200
    overdue = _text(response).split("Overdue follow-ups")[1].split("Waiting for a decision")[0]
    assert "Thresholds guidance is unclear" in overdue
    panel = engines["jinja2"].from_string('{% include "parley/reports/_learning_overdue.html" %}')
    request = RequestFactory().get("/")
    request.user = person("ben.business").user
    assert "1 learning follow-up is overdue" in panel.render({"request": request})
    request.user = person("sam.social").user
    assert "overdue" not in panel.render({"request": request})


def test_channel_learning_is_seen_only_by_channel_roles(partnership, signed_in):
    case = _case(partnership, "bedfordshire-channel", raiser="cora.channel")
    rows = services.disagreement_act(
        disagreement=case, person=person("cora.channel"), kind=EventKind.LEARNING_REFERRED,
        text="Panel attendance by health is patchy.",
    )  # fmt: skip
    item = learning_item_record(event=rows[0])
    assert signed_in("ben.business").get(f"/reports/learning/{item.pk}/").status_code == 404
    assert signed_in("col.coordinator").get(f"/reports/learning/{item.pk}/").status_code == 200


def test_an_issue_not_yet_in_the_log_can_be_added_from_the_log_page(partnership, signed_in):
    case = _case(partnership)
    rows = services.disagreement_act(
        disagreement=case, person=person("nia.nurse"), kind=EventKind.LEARNING_REFERRED,
        text="Forgotten issue.",
    )  # fmt: skip
    client = signed_in("ben.business")
    assert "Forgotten issue." in _text(client.get("/reports/learning/"))
    response = client.post(f"/reports/learning/add/{rows[0].pk}/")
    assert response.status_code == 302
    assert LearningItem.objects.filter(event=rows[0]).exists()
    assert client.post(f"/reports/learning/add/{rows[0].pk}/").status_code == 404


def test_the_report_includes_the_learning_of_its_period(partnership):
    item = LearningItem.objects.get(event=_refer(_case(partnership)))
    scope = report_scope(partnership=partnership, procedure_id="twsp")
    today = date(2026, 6, 1)
    first = report_build(scope=scope, period=parse_period("2026-Q1"), threshold=5, today=today)
    assert [row.item_id for row in first.learning] == [item.pk]
    assert first.counts[("learning", "2026-Q1")] == 1
    assert not first.learning[0].overdue  # due 1 April: not yet, when the quarter ended
    second = report_build(scope=scope, period=parse_period("2026-Q2"), threshold=5, today=today)
    assert [row.item_id for row in second.learning] == [item.pk]  # still waiting
    assert second.learning[0].overdue


def test_people_who_do_not_report_have_no_learning_log(partnership, signed_in):
    assert signed_in("sam.social").get("/reports/learning/").status_code == 404
