"""A disagreement raised naming the other professional only in words (they are not in
Parley) should still reach the other agency: its next rung told, and able to act, in
their place. Not yet: the next rung has no sight of the case at the first stage, so the
notice would be withheld, and nobody may act for the other side there."""

from __future__ import annotations

from datetime import date

import pytest

from parley.notifications.models import Notification

from .conftest import SOCIAL_CARE, at, raise_case, run_clock


def _told(case: object) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(disagreement=case).values_list(
            "recipient__user__username", "recipient__roles__agency__name", "kind"
        )
    )


@pytest.mark.xfail(strict=True, reason="a stand-in for a party not in Parley: not built yet")
def test_the_other_agencys_next_rung_is_told_when_the_professional_is_named_only_in_words(
    partnership,
):
    when = at(2026, 12, 2, 10)
    case = raise_case(partnership, "twsp", when, other_professional=None)
    run_clock(when, date(2026, 12, 2))
    told = _told(case)
    other = [row for row in told if row[1] and row[1].startswith(SOCIAL_CARE)]
    assert other, told
    assert {kind for _, _, kind in other} == {"raised-with-you"}


def test_a_named_professional_in_parley_is_told_and_their_manager_is_not(partnership):
    when = at(2026, 12, 2, 10)
    case = raise_case(partnership, "twsp", when)
    run_clock(when, date(2026, 12, 2))
    assert [(user, kind) for user, _, kind in _told(case)] == [("sam.social", "raised-with-you")]
