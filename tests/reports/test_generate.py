"""The generated year looks like real case work and is what the services would have stored."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from parley.cases import selectors
from parley.cases.models import Deadline, Disagreement, Event
from parley.core import report as core
from parley.reports.generate import generated_check
from parley.reports.models import LearningItem
from tests.reports.conftest import PROCEDURES, UNTIL, YEAR_COUNT


def test_generated_cases_replay_to_the_state_stored_for_them(year):
    cases = list(
        Disagreement.objects.filter(partnership=year)
        .select_related("procedure", "partnership")
        .order_by("pk")
    )
    assert len(cases) == YEAR_COUNT * len(PROCEDURES)
    assert {c.procedure.procedure_id for c in cases} == set(PROCEDURES)
    assert generated_check(cases=cases[::4]) == []


def test_most_generated_cases_end_low_on_the_ladder_and_few_reach_the_top(year):
    ended = Disagreement.objects.filter(partnership=year, resolved_at__isnull=False)
    highest = Counter(ended.values_list("highest_stage_number", flat=True))
    total = sum(highest.values())
    assert highest[0] + highest[1] + highest[2] > 0.7 * total
    assert 0 < highest[4] + highest[5] < 0.15 * total


def test_the_generated_year_has_immediate_risk_withdrawn_open_and_late_cases(year):
    cases = Disagreement.objects.filter(partnership=year)
    statuses = Counter(cases.values_list("status", flat=True))
    assert all(statuses[s] for s in ("open", "withdrawn", "closed", "resolved"))
    assert cases.filter(route="immediate-risk").count() > 10
    assert Deadline.objects.filter(disagreement__in=cases, due_at__lt=UNTIL, met_at=None).exists()
    assert Event.objects.filter(disagreement__in=cases, kind="bypassed").exists()
    assert LearningItem.objects.filter(partnership=year).exists()


def test_some_generated_stages_run_across_a_bank_holiday(year):
    case = Disagreement.objects.filter(partnership=year).select_related("procedure").first()
    calendar = selectors.calendar_of(year, selectors.procedure_of(case.procedure))
    crossing = 0
    for case in Disagreement.objects.filter(partnership=year, procedure__procedure_id="twsp"):
        record = [selectors.core_event(e) for e in case.events.order_by("sequence")]
        for span in core.stage_spans(record):
            if span.left_at is None:
                continue
            day, last = span.entered_at.date(), span.left_at.date()
            while day < last:
                day += timedelta(days=1)
                if "bank holiday" in (calendar.why_not_working(day) or ""):
                    crossing += 1
                    break
    assert crossing > 0
