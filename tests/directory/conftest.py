"""Shared set-up for the directory's tests: the demo partnership and a TWSP case."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from parley.cases import services
from parley.cases.demo import DEMO_SLUG, demo_load, person
from parley.cases.models import Disagreement, Partnership, ProcedureVersion

LONDON = ZoneInfo("Europe/London")
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@functools.lru_cache(maxsize=64)
def _check_text_once(text: str, name: str):
    return _check_text(text, name)


_check_text = services.check_text


@pytest.fixture(scope="module")
def _demo_for_the_module(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """The demo partnership, loaded once a module inside a transaction undone at its end.

    Each test still runs in its own savepoint, so what one test writes the next never sees;
    loading the demo afresh for every test would take most of the run.
    """
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        # demo_load() reads the five procedure files every time; the result is the same.
        patch.setattr(services, "check_text", _check_text_once, raising=False)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_load(with_cases=False)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def partnership(_demo_for_the_module: None, db: None) -> Partnership:
    return Partnership.objects.get(slug=DEMO_SLUG)


@pytest.fixture
def twsp(partnership: Partnership) -> ProcedureVersion:
    return partnership.procedures.get(procedure_id="twsp", is_current=True)


def raise_twsp(
    partnership: Partnership, twsp: ProcedureVersion, when: datetime, **extra
) -> Disagreement:
    return services.disagreement_raise(
        procedure=twsp,
        raised_by=person("nia.nurse"),
        raising_agency=partnership.agencies.get(name__startswith="Demoshire NHS"),
        other_agency=partnership.agencies.get(name__startswith="Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary="Case closed after one visit despite unexplained bruising.",
        at=when,
        **extra,
    )
