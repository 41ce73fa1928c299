"""A disagreement raised naming the other professional only in words (they are not in
Parley) still reaches the other agency: its next rung is told, sees the case and acts in their
place (parley.core.roles.stand_in_roles)."""

from __future__ import annotations

from datetime import date

from parley.cases import access, services
from parley.cases.models import Disagreement
from parley.core.engine import EventKind
from parley.notifications.models import Notification
from tests.ladder import act_as_holder, who_acts

from .conftest import SOCIAL_CARE, at, raise_case, run_clock


def _told(case: object) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(disagreement=case).values_list(
            "recipient__user__username", "recipient__roles__agency__name", "kind"
        )
    )


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


def test_who_stands_in_sees_the_case_and_records_the_other_agencys_response(partnership):
    when = at(2026, 12, 2, 10)
    case = raise_case(partnership, "twsp", when, other_professional=None)
    stand_in = who_acts(case, EventKind.RESPONSE_RECORDED)
    assert stand_in.roles.filter(agency=case.other_agency).exists()
    assert access.can_view(stand_in, case)
    seen = access.disagreement_list_visible_to(person=stand_in)
    assert seen.filter(pk=case.pk).exists()
    act_as_holder(case, EventKind.RESPONSE_RECORDED, text="Seen and answered.")
    assert Disagreement.objects.get(pk=case.pk).events.filter(kind="response-recorded").exists()
    # With the professional named in Parley, their manager neither sees nor acts at stage 1.
    named = raise_case(partnership, "twsp", when)
    assert not access.can_view(stand_in, named)
    assert not services.actor_for(person=stand_in, disagreement=named).stands_in
