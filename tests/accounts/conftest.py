"""Sign-in tests: the demo partnership and a clock the tests can move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parley.cases import demo as demo_module

LONDON = ZoneInfo("Europe/London")
# A Tuesday morning.
START = datetime(2026, 3, 10, 10, 30, 0, tzinfo=LONDON)


@pytest.fixture
def demo(db: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo partnership's agencies and people, without procedures or cases.

    Signing in needs no procedure, and reading the five procedure files is most of the
    time ``demo_load`` takes.
    """
    monkeypatch.setattr(demo_module, "library_files", list)
    return demo_module.demo_load(with_cases=False)


@pytest.fixture
def clock() -> Iterator[Any]:
    """The clock, frozen at START; ``clock.shift(timedelta(...))`` moves it on."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
