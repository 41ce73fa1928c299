"""Shared set-up for the reports tests: the demo partnership with a generated year of cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from parley.cases.demo import DEMO_SLUG, demo_load
from parley.cases.models import Partnership, ProcedureVersion
from parley.reports.generate import cases_generate

LONDON = ZoneInfo("Europe/London")
# The generated year runs through 2025 and the cases are played up to this moment, so the
# last of them are still open and the 2025-26 financial year is not over.
YEAR_START = date(2025, 1, 1)
TODAY = date(2026, 1, 12)
UNTIL = datetime.combine(TODAY, time(), LONDON)
PROCEDURES = (
    "twsp",
    "wirral-children",
    "bedfordshire-channel",
    "torbay-channel",
    "torbay-children",
)
YEAR_COUNT = 150


def version_of(partnership: Partnership, procedure_id: str) -> ProcedureVersion:
    return ProcedureVersion.objects.get(
        partnership=partnership, procedure_id=procedure_id, is_current=True
    )


def generate_year(partnership: Partnership, *procedure_ids: str, count: int, seed: int) -> None:
    for index, procedure_id in enumerate(procedure_ids):
        cases_generate(
            version=version_of(partnership, procedure_id),
            count=count,
            start=YEAR_START,
            days=365,
            until=UNTIL,
            seed=seed + index,
        )


@pytest.fixture(scope="module")
def _year_for_the_module(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """The demo partnership with a generated year of every procedure, made once per module
    inside a transaction rolled back after it (each test gets its own savepoint)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        atomic = transaction.atomic()
        atomic.__enter__()
        partnership = demo_load(with_cases=False)
        generate_year(partnership, *PROCEDURES, count=YEAR_COUNT, seed=1)
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def year(_year_for_the_module: None, db: None) -> Partnership:
    """The demo partnership and its generated year (read it; changes are rolled back)."""
    return Partnership.objects.get(slug=DEMO_SLUG)


@pytest.fixture
def generated(db: None) -> Callable[..., Partnership]:
    """``generated("twsp", count=200)``: the demo partnership with a year of those cases."""

    def make(*procedure_ids: str, count: int = 150, seed: int = 1) -> Partnership:
        partnership = demo_load(with_cases=False)
        generate_year(partnership, *procedure_ids, count=count, seed=seed)
        return partnership

    return make
