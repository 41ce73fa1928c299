"""On PostgreSQL the million-case benchmark writes its rows with COPY: the same rows."""

from __future__ import annotations

import pytest

from parley.cases.models import Disagreement
from parley.reports.generate import cases_generate, generated_check
from parley.reports.models import LearningItem
from tests.reports.conftest import UNTIL, YEAR_START, version_of


@pytest.mark.postgres_only
def test_generating_with_copy_writes_the_same_kind_of_rows_as_bulk_create(generated):
    partnership = generated()
    cases_generate(
        version=version_of(partnership, "twsp"), count=300, start=YEAR_START, until=UNTIL,
        seed=9, copy=True,
    )  # fmt: skip
    cases = list(
        Disagreement.objects.filter(partnership=partnership).select_related(
            "procedure", "partnership"
        )
    )
    assert len(cases) == 300
    assert generated_check(cases=cases) == []
    assert LearningItem.objects.filter(partnership=partnership).exists()
