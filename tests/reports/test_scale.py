"""The report's queries stay the same in number however many cases there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.cases.models import Partnership
from parley.core.report import parse_period
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from tests.reports.conftest import TODAY, generate_year


def _queries(partnership: Partnership, procedure_id: str) -> int:
    scope = report_scope(partnership=partnership, procedure_id=procedure_id)
    with CaptureQueriesContext(connection) as captured:
        report_build(scope=scope, period=parse_period("2025-H2"), threshold=5, today=TODAY)
    return len(captured)


@pytest.mark.parametrize("procedure_id", ["twsp", "bedfordshire-channel"])
def test_a_reports_query_count_is_flat_as_cases_grow(generated, procedure_id):
    partnership = generated(procedure_id, count=20, seed=3)
    small = _queries(partnership, procedure_id)
    generate_year(partnership, procedure_id, count=200, seed=4)
    large = _queries(partnership, procedure_id)
    assert small == large
    # Seven aggregate queries and the agencies' names; on PostgreSQL, a savepoint and the
    # setting of the queries' working memory around them.
    assert large <= 11, large


def test_the_report_pages_query_count_is_flat_as_cases_grow(generated, signed_in):
    partnership = generated("twsp", count=20, seed=5)
    client = signed_in("ben.business")
    client.get("/reports/twsp/?period=2025-H2")  # warm the caches of procedures and roles

    def page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/reports/twsp/?period=2025-H2").status_code == 200
        return len(captured)

    small = page()
    generate_year(partnership, "twsp", count=200, seed=6)
    assert page() == small
