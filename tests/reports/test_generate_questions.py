"""The sample cases a generated year plays answer a procedure's required questions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from parley.core.engine import Actor, EventKind
from parley.core.loader import load_file
from parley.core.planner import calendar_for
from parley.core.procedure import Side
from parley.reports.generate import play_case

FIXTURE = Path(__file__).parents[1] / "core" / "fixtures" / "procedures" / "brookvale-dissent.yaml"


def test_a_case_is_played_under_a_procedure_with_a_required_question() -> None:
    procedure = load_file(FIXTURE)
    raised_at = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    roles = {"practitioner", "senior-manager"}
    people = (
        Actor("r", frozenset((Side.RAISING, role) for role in roles), frozenset({Side.RAISING})),
        Actor("o", frozenset((Side.OTHER, role) for role in roles), frozenset({Side.OTHER})),
    )

    events = play_case(
        procedure,
        calendar_for(procedure),
        random.Random(1),
        raised_at=raised_at,
        until=raised_at + timedelta(days=60),
        people=people,
    )

    assert events[0].kind is EventKind.RAISED
    assert events[0].data["answers"] == {"child-subject-of-plan": "yes"}
