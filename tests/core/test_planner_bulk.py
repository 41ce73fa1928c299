"""A deadline's bulk-arithmetic fields move it exactly as the planner would, whatever the
calendar does: the basis of recomputing every open case's deadlines at once."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from parley.core.calendar import WorkingCalendar
from parley.core.loader import load_file
from parley.core.planner import calendar_for, stage_plan

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
FILES = sorted(LIBRARY.glob("*.yaml"))
# Torbay's children's procedure sets no timescale in days (its header says why).
NO_WORKING_DAYS = {"torbay-children"}


def _with_closures(calendar: WorkingCalendar, rng: random.Random) -> WorkingCalendar:
    days = {date(2026, 1, 1) + timedelta(days=rng.randint(0, 800)): "" for _ in range(40)}
    return WorkingCalendar(
        region=calendar.region, closures=days, end_of_day=calendar.end_of_day,
        timezone=calendar.timezone,
    )  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_bulk_fields_give_the_planners_due_day_under_another_calendar(path):
    procedure = load_file(path)
    before = calendar_for(procedure)
    rng = random.Random(path.stem)
    checked = unknown = 0
    for _ in range(150):
        after = _with_closures(before, rng)
        track = rng.choice(procedure.tracks)
        stage = rng.choice(track.stages)
        entered = datetime(2026, 1, 1, 0, 0, tzinfo=LONDON) + timedelta(
            days=rng.randint(0, 700), minutes=rng.choice((0, 1, 9 * 60, 17 * 60 + 30))
        )
        # Some steps already done, at some moment after the stage began.
        completed = {
            s.id: entered + timedelta(hours=rng.randint(1, 200))
            for s in stage.steps
            if rng.random() < 0.3
        }
        immediate = rng.random() < 0.2
        for agreed in (True, False):
            plans = [
                {d.key: d for d in stage_plan(procedure, cal, stage, entered,
                                              completed=completed, agreed=agreed,
                                              immediate=immediate)}
                for cal in (before, after)
            ]  # fmt: skip
            for key, old in plans[0].items():
                if old.working_days is None:
                    unknown += 1
                    continue
                assert old.start_on is not None
                new = plans[1][key]
                bulk = after.add_working_days_bulk(
                    np.array([old.start_on], dtype="datetime64[D]"), [old.working_days]
                )[0]
                assert after.end_of_working_day(bulk.item()) == new.due, (key, old, new)
                assert (new.start_on, new.working_days) == (old.start_on, old.working_days)
                checked += 1
    assert checked > 100 or path.stem in NO_WORKING_DAYS, "too few deadlines to be a test"
