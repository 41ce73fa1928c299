"""The demo's past disagreements: so that a newcomer's first report has figures in it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parley.cases.demo import demo_load
from parley.cases.models import Disagreement

pytestmark = pytest.mark.django_db


def test_the_demo_gets_two_years_of_past_cases_once() -> None:
    partnership = demo_load(with_cases=False)
    call_command("demo_history", verbosity=0)
    generated = Disagreement.objects.filter(partnership=partnership).count()
    assert generated == 5 * 60
    procedures = set(
        Disagreement.objects.values_list("procedure__procedure_id", flat=True).distinct()
    )
    assert len(procedures) == 5
    # Played up to today: most have ended, a few are still open.
    ended = Disagreement.objects.exclude(status=Disagreement.Status.OPEN).count()
    assert ended > generated * 0.8
    call_command("demo_history", verbosity=0)
    assert Disagreement.objects.count() == generated


def test_without_the_demo_it_says_what_to_do_first() -> None:
    with pytest.raises(CommandError, match="Load the demo partnership first"):
        call_command("demo_history", verbosity=0)
