"""On PostgreSQL the report's queries run side by side on their own connections: the
figures are the same as when they run one after another on one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import override_settings

from parley.cases.demo import demo_load
from parley.core.report import parse_period
from parley.reports import figures
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from tests.reports.conftest import TODAY, generate_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_side_by_side_gives_the_same_figures(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("side by side only on PostgreSQL")
    partnership = demo_load(with_cases=False)
    generate_year(partnership, "twsp", count=60, seed=11)
    scope = report_scope(partnership=None, procedure_id="twsp")  # national: side by side
    period = parse_period("2025")
    threads = []
    real = figures._with_memory

    def counted(query, using, workers=None, sequential=False):
        threads.append(workers)
        return real(query, using, workers=workers, sequential=sequential)

    monkeypatch.setattr(figures, "_with_memory", counted)
    with override_settings(PARLEY_REPORT_THREADS=1):
        one = report_build(scope=scope, period=period, threshold=5, today=TODAY).figures()
    with override_settings(PARLEY_REPORT_THREADS=3):
        side = report_build(scope=scope, period=period, threshold=5, today=TODAY).figures()
    queries = len(figures.report_queries(scope, period, "default"))
    assert threads.count(0) == queries, "the second report did not run its queries side by side"
    assert side == one
    assert sum(v for v in one.values() if isinstance(v, int)) > 50
