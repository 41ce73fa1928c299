"""Every figure of the report agrees with a count done another way (tests/reports/reference.py)."""

from __future__ import annotations

import pytest

from parley.cases.models import Disagreement
from parley.core.report import latest_complete, parse_period
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from tests.reports.conftest import PROCEDURES, TODAY
from tests.reports.reference import meaningful, slow_figures


@pytest.mark.parametrize("procedure_id", PROCEDURES)
def test_every_figure_matches_a_slow_count_case_by_case(year, procedure_id):
    scope = report_scope(partnership=year, procedure_id=procedure_id)
    cases = list(
        Disagreement.objects.filter(procedure__in=scope.versions).select_related("procedure")
    )
    cadence = scope.current.reporting[0].cadence
    periods = (latest_complete(cadence, TODAY), parse_period("2025"), parse_period("FY2025-26"))
    for period in periods:
        report = report_build(scope=scope, period=period, threshold=5, today=TODAY)
        expected = slow_figures(cases=cases, period=period, today=TODAY, calendar=scope.calendar)
        assert len(meaningful(expected)) > 50, "too little data to be a test"
        assert meaningful(report.figures()) == meaningful(expected), period.code


def test_a_period_with_no_cases_has_every_count_zero(year):
    scope = report_scope(partnership=year, procedure_id="twsp")
    report = report_build(scope=scope, period=parse_period("2021"), threshold=5, today=TODAY)
    assert len(report.counts) > 20, "a report with no counts at all is not a test"
    assert not any(report.counts.values())
