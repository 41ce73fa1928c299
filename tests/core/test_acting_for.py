"""A role held in one agency acting for another with no escalation officer of its own: the
ICB's named GP safeguarding lead acting for a GP practice. The role counts in the practice,
not in the ICB, and what the lead does for the practice's side says "acting for" it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from parley.core.engine import EventKind, acting_for, raise_case, take
from parley.core.procedure import Side
from parley.core.roles import Actor, actor_of, sees, sight_rules
from tests.core.test_action_matrix import at_stage, shipped

AT = datetime(2026, 12, 8, 10, tzinfo=ZoneInfo("Europe/London"))
COUNCIL, PRACTICE, ICB = "council", "gp-practice", "icb"


def actor(
    person: str,
    held: tuple[tuple[str, str | None], ...] = (),
    proxies: tuple[tuple[str, str], ...] = (),
    raised_by: str = "raiser",
) -> Actor:
    """Someone on a case raised by the council about the GP practice."""
    return actor_of(
        person_id=person,
        assignments=held,
        raising_agency=COUNCIL,
        other_agency=PRACTICE,
        raised_by=raised_by,
        other_professional="gp",
        proxies=proxies,
    )


def test_a_role_acting_for_an_agency_counts_in_it_and_not_in_its_own() -> None:
    lead = actor("lead", proxies=(("safeguarding-lead", PRACTICE),))

    assert lead.holds_on(Side.OTHER) == {"safeguarding-lead"}
    assert lead.proxy == {(Side.OTHER, PRACTICE)}
    # Held in the ICB acting for the practice: it counts for nothing on a case of the ICB's.
    icb_case = actor_of(
        person_id="lead",
        assignments=(),
        raising_agency=COUNCIL,
        other_agency=ICB,
        raised_by="raiser",
        proxies=(("safeguarding-lead", PRACTICE),),
    )
    assert icb_case.holds == frozenset() and icb_case.proxy == frozenset()


def test_someone_in_their_own_agency_does_not_act_for_it_by_proxy() -> None:
    both = (("safeguarding-lead", PRACTICE),)
    own = actor("lead", held=both, proxies=both)

    assert own.proxy == frozenset()


def test_the_proxy_escalates_at_a_managers_stage_and_the_record_says_acting_for() -> None:
    twsp = shipped("twsp")
    track = twsp.tracks[0]
    state = at_stage(twsp, track, track.stage("stage-2"))
    lead = actor("lead", proxies=(("safeguarding-lead", PRACTICE),))
    icb_colleague = actor("colleague", held=(("safeguarding-lead", ICB),))

    assert acting_for(twsp, state, EventKind.NOTE_ADDED, lead) == {Side.OTHER}
    assert sees(twsp, lead, highest_stage_number=2, rules=sight_rules(twsp))
    assert not sees(twsp, icb_colleague, highest_stage_number=5, rules=sight_rules(twsp))
    [event] = take(
        twsp, state, EventKind.ESCALATED, actor=lead, at=AT, overdue=True, reason="deadline-passed"
    )
    assert event.data["acting_for"] == [PRACTICE]
    assert event.data["sides"] == ["other"]


def test_a_proxy_raising_for_the_agency_it_acts_for_is_recorded_acting_for_it() -> None:
    twsp = shipped("twsp")
    lead = actor_of(
        person_id="lead",
        assignments=(),
        raising_agency=PRACTICE,
        other_agency=COUNCIL,
        raised_by="lead",
        proxies=(("safeguarding-lead", PRACTICE),),
    )
    [raised] = raise_case(twsp, actor=lead, at=AT)

    assert raised.data["acting_for"] == [PRACTICE]
    own = actor("raiser", held=(("practitioner", COUNCIL),))
    assert "acting_for" not in raise_case(twsp, actor=own, at=AT)[0].data
