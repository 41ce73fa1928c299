"""A priority given at a stage sets its time limit (``priorities``): the page that sets
it, through the one door, and the deadline that follows, on a partnership's own version
of TWSP whose stage 2 has an urgent and a routine priority."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from parley.cases import selectors, services
from parley.cases.demo import person
from parley.cases.models import Disagreement, Partnership
from tests import ladder
from tests.web.conftest import main_html, raise_case, submit

pytestmark = pytest.mark.django_db
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
PRIORITIES = """\
    priorities:
      - {id: urgent, label: Urgent, within: 1 working day, source: Local variant}
      - {id: routine, label: Routine, within: 4 working days, default: true, source: Appendix 1}
"""


def with_priorities(partnership: Partnership) -> None:
    text = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2024-3"', 'version: "2027-1"', 1)
    stage_two = text.index("  - id: stage-2")
    limit = text.index("    within: 4 working days\n", stage_two)
    text = text[:limit] + PRIORITIES + text[limit + len("    within: 4 working days\n") :]
    services.procedure_publish(
        partnership=partnership, text=text, source_name="twsp.yaml",
        by=person("ben.business"), via="command",
    )  # fmt: skip


def stage_due(case: Disagreement) -> str:
    case.refresh_from_db()
    state = selectors.disagreement_state(case)
    (due,) = [d for d in selectors.disagreement_deadlines(case, state) if d.key == state.stage]
    return due.explanation.sentence()


def test_the_line_manager_sets_the_priority_and_the_stage_limit_follows_it(
    partnership: Partnership, as_person: Callable[[str], Client]
) -> None:
    with_priorities(partnership)
    case = raise_case()
    ladder.climb(case, "stage-2", at=timezone.now())
    assert "the priority is Routine" in stage_due(case)
    lee = as_person("lee.lm")
    page = f"/cases/{case.reference}/set-priority/"

    form = main_html(lee.get(page))
    assert "What priority does this disagreement have?" in form
    assert "Urgent: within 1 working day" in form
    assert "Routine" not in form  # the priority it has already is not offered
    empty = main_html(submit(lee, page, {}))
    assert "govuk-error-summary" in empty and "Select the priority" in empty

    assert submit(lee, page, {"priority": "urgent"}).status_code == 302
    assert case.events.get(kind="priority-set").data["priority"] == "urgent"
    assert "1 working day from" in stage_due(case)
    assert "the priority is Urgent" in stage_due(case)
    shown = main_html(lee.get(f"/cases/{case.reference}/"))
    assert "Priority set for this stage" in shown and "Urgent" in shown


def test_no_priority_is_offered_where_the_stage_gives_none(
    partnership: Partnership, as_person: Callable[[str], Client]
) -> None:
    case = raise_case()
    answer = as_person("sam.social").get(f"/cases/{case.reference}/set-priority/")
    assert answer.status_code == 403
    assert "gives it no priorities" in answer.content.decode()
