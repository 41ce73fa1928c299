"""The pure notification rules (``parley.core.notify``): no Django, no database.

Which notices a change implies, for each kind of event and each procedure's named
alerts; which notice a deadline calls for at a given moment; when a reminder is due and
when a notice may be sent, across bank holidays and the clock changes.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.core import engine
from parley.core.durations import Unit
from parley.core.engine import Actor, CaseState, Event, EventKind
from parley.core.loader import load_file
from parley.core.notify import (
    RAISER,
    Audience,
    Lead,
    Notice,
    NoticeKind,
    OpenDeadline,
    Recipient,
    RoleGroup,
    WorkingHours,
    change_notices,
    collapse,
    deadline_notices,
    deliver_at,
    reminder_at,
    start_of_day,
    sweep_horizon,
)
from parley.core.planner import calendar_for
from parley.core.procedure import NotifyWhen, Procedure, Side
from tests.actors import other_party, partnership, raiser

LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
PROCEDURES = {path.stem: load_file(path) for path in sorted(LIBRARY.glob("*.yaml"))}
RAISING = raiser("1")
OTHER = other_party("2")
CHAIR = partnership("3", "channel-chair")
HOURS = WorkingHours()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


def raised(
    procedure: Procedure, when: datetime, **options: object
) -> tuple[CaseState, list[Event]]:
    events = engine.raise_case(procedure, actor=RAISING, at=when, **options)  # type: ignore[arg-type]
    return engine.replay(events, procedure), events


def step(
    procedure: Procedure,
    state: CaseState,
    kind: EventKind,
    actor: Actor,
    when: datetime,
    **fields: object,
) -> tuple[CaseState, list[Event]]:
    events = engine.take(procedure, state, kind, actor=actor, at=when, **fields)
    after = state
    for event in events:
        after = engine.apply(after, event, procedure)
    return after, events


def told(notices: list[Notice]) -> set[tuple[str, str]]:
    return {(n.kind.value, n.recipient.describe()) for n in notices}


# --- changes ----------------------------------------------------------------------------


def test_raising_tells_both_sides_of_the_first_stage_and_the_named_professional():
    twsp = PROCEDURES["twsp"]
    state, events = raised(twsp, at(2026, 12, 23, 10))
    notices = change_notices(twsp, None, state, events, case="7", first_sequence=1)
    assert told(notices) == {
        ("raised-with-you", "holder(raising:practitioner, other:practitioner)"),
        ("raised-with-you", "other-party"),
    }
    assert {n.trigger for n in notices} == {"7:e1"}
    assert not any(n.urgent for n in notices)


def test_torbay_channel_alerts_the_channel_chair_when_raised():
    # Para 5: "The Channel chair must be alerted to the dispute and support the discussion."
    channel = PROCEDURES["torbay-channel"]
    state, events = raised(channel, at(2027, 3, 22, 10))
    notices = change_notices(channel, None, state, events, case="1", first_sequence=1)
    alert = next(n for n in notices if n.kind is NoticeKind.NAMED_ALERT)
    assert alert.recipient.roles == {"channel-chair"}
    assert alert.why.startswith("The Channel chair must be alerted")
    assert alert.cite == "Para 5"
    assert ("kept-informed", "role(both:channel-chair)") in told(notices)


def test_bedfordshire_tells_the_chair_when_raised_and_the_coordinator_at_every_stage():
    bedford = PROCEDURES["bedfordshire-channel"]
    state, events = raised(bedford, at(2026, 12, 14, 10))
    first = change_notices(bedford, None, state, events, case="1", first_sequence=1)
    assert {n.recipient.describe() for n in first if n.kind is NoticeKind.NAMED_ALERT} == {
        "role(both:channel-chair)",
        "role(both:channel-coordinator)",
    }
    after, moved = step(bedford, state, EventKind.ESCALATED, CHAIR, at(2026, 12, 22, 9),
                        reason="deadline-passed", overdue=True)  # fmt: skip
    second = change_notices(bedford, state, after, moved, case="1", first_sequence=2)
    assert {n.recipient.describe() for n in second if n.kind is NoticeKind.NAMED_ALERT} == {
        "role(both:channel-coordinator)"
    }


def test_escalating_tells_the_new_stage_the_raiser_and_those_kept_informed():
    twsp = PROCEDURES["twsp"]
    state, events = raised(twsp, at(2026, 12, 1, 10))
    for when in (at(2026, 12, 2, 10), at(2026, 12, 3, 10), at(2026, 12, 4, 10)):
        state, _ = step(twsp, state, EventKind.ESCALATED, RAISING, when, reason="no-agreement")
    assert state.stage == "stage-4"
    after, moved = step(twsp, state, EventKind.ESCALATED, RAISING, at(2026, 12, 7, 10),
                        reason="no-agreement")  # fmt: skip
    notices = change_notices(twsp, state, after, moved, case="1", first_sequence=5)
    assert told(notices) == {
        # The Executive decides at stage 5 (Appendix 1): it is told the case is its own.
        (
            "escalated-to-you",
            "holder(raising:director, other:director, partnership:twsp-executive)",
        ),
        ("feedback", "raiser"),
        # Appendix 1, stage 5: the referral goes via the Partnership Manager.
        ("named-alert", "role(both:business-manager)"),
        ("kept-informed", "role(both:business-manager+twsp-executive)"),
    }
    alert = next(n for n in notices if n.kind is NoticeKind.NAMED_ALERT)
    assert alert.cite == "Appendix 1, stage 5"


def test_torbay_children_tells_the_board_manager_at_stage_three():
    torbay = PROCEDURES["torbay-children"]
    state, _ = raised(torbay, at(2026, 12, 21, 10))
    state, _ = step(torbay, state, EventKind.ESCALATED, RAISING, at(2026, 12, 22, 10),
                    reason="no-agreement")  # fmt: skip
    after, moved = step(torbay, state, EventKind.ESCALATED, RAISING, at(2026, 12, 24, 16),
                        reason="no-agreement")  # fmt: skip
    notices = change_notices(torbay, state, after, moved, case="1", first_sequence=3)
    alert = next(n for n in notices if n.kind is NoticeKind.NAMED_ALERT)
    assert alert.recipient.roles == {"business-manager"} and alert.cite == "Stage Three"


def test_immediate_risk_alerts_the_raising_agency_and_is_urgent():
    twsp = PROCEDURES["twsp"]
    state, events = raised(twsp, at(2027, 3, 30, 19, 30), immediate_risk=True)
    notices = change_notices(twsp, None, state, events, case="1", first_sequence=1)
    alert = next(n for n in notices if n.kind is NoticeKind.IMMEDIATE_RISK)
    assert alert.recipient.groups == (
        RoleGroup(Side.RAISING, ("safeguarding-lead", "family-connect")),
    )
    assert "same working day" in alert.why
    assert all(n.urgent for n in notices)


def test_declaring_immediate_risk_later_alerts_too():
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2027, 3, 23, 10))
    after, moved = step(twsp, state, EventKind.IMMEDIATE_RISK_DECLARED, RAISING,
                        at(2027, 3, 30, 19, 30), text="New injury.")  # fmt: skip
    notices = change_notices(twsp, state, after, moved, case="1", first_sequence=2)
    assert {n.kind for n in notices} >= {NoticeKind.IMMEDIATE_RISK, NoticeKind.ESCALATED_TO_YOU}
    assert all(n.urgent for n in notices)


def test_a_response_tells_the_raisers_side():
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2026, 12, 23, 10))
    after, events = step(twsp, state, EventKind.RESPONSE_RECORDED, OTHER, at(2026, 12, 24, 11),
                         text="Threshold not met.")  # fmt: skip
    notices = change_notices(twsp, state, after, events, case="1", first_sequence=2)
    assert told(notices) == {
        ("response-received", "raiser"),
        ("response-received", "holder(raising:practitioner)"),
    }


def test_resolving_gives_feedback_and_tells_whom_the_stage_names():
    torbay = PROCEDURES["torbay-children"]
    state, _ = raised(torbay, at(2026, 12, 21, 10))
    for when in (at(2026, 12, 22, 10), at(2026, 12, 23, 10), at(2026, 12, 24, 10)):
        state, _ = step(torbay, state, EventKind.ESCALATED, RAISING, when, reason="no-agreement")
    assert state.stage == "stage-4"
    after, events = step(torbay, state, EventKind.RESOLVED, OTHER, at(2026, 12, 29, 10),
                         outcome="Agreed.", outstanding="None")  # fmt: skip
    notices = change_notices(torbay, state, after, events, case="1", first_sequence=5)
    # Stage Four: "The TSCB Board Manager should be advised of any outcome."
    assert told(notices) == {
        ("feedback", "raiser"),
        ("named-alert", "role(both:business-manager)"),
        ("kept-informed", "role(both:business-manager)"),
    }
    assert next(n for n in notices if n.kind is NoticeKind.FEEDBACK).label == "resolved"


def test_closing_sends_the_partnership_manager_the_forms():
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2026, 12, 23, 10))
    state, _ = step(twsp, state, EventKind.RESOLVED, OTHER, at(2026, 12, 24, 10),
                    outcome="Agreed.", outstanding="None")  # fmt: skip
    after, events = step(twsp, state, EventKind.CLOSED, RAISING, at(2026, 12, 24, 11))
    notices = change_notices(twsp, state, after, events, case="1", first_sequence=3)
    assert told(notices) == {
        ("feedback", "raiser"),
        ("form-sent", "role(both:business-manager)"),
    }
    # Appendix 1, stage 7: a copy of the completed forms, carried with the message.
    sent = next(n for n in notices if n.kind is NoticeKind.FORM_SENT)
    assert sent.label == "outcome-confirmation" and sent.cite == "Appendix 1, stage 7"


def test_withdrawing_tells_the_stage_holders():
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2026, 12, 23, 10))
    after, events = step(twsp, state, EventKind.WITHDRAWN, RAISING, at(2026, 12, 24, 11),
                         reason="Resolved locally.")  # fmt: skip
    notices = change_notices(twsp, state, after, events, case="1", first_sequence=2)
    assert told(notices) == {("withdrawn", "holder(raising:practitioner, other:practitioner)")}


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (EventKind.NOTE_ADDED, {"text": "A note."}),
        (EventKind.EVIDENCE_ATTACHED, {"filename": "a.pdf"}),
        (EventKind.DISCUSSION_RECORDED, {"text": "We talked."}),
        (EventKind.REFERRED, {"text": "Form sent."}),
    ],
)
def test_record_keeping_alone_tells_no_one(kind, fields):
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2026, 12, 23, 10))
    after, events = step(twsp, state, kind, OTHER if kind is EventKind.REFERRED else RAISING,
                         at(2026, 12, 24, 10), **fields)  # fmt: skip
    assert change_notices(twsp, state, after, events, case="1", first_sequence=2) == []


def test_feedback_only_at_the_outcome_when_the_procedure_says_so():
    twsp = PROCEDURES["twsp"]
    quieter = dataclasses.replace(
        twsp, outcome=dataclasses.replace(twsp.outcome, feedback_to_raiser=NotifyWhen.OUTCOME)
    )
    state, _ = raised(quieter, at(2026, 12, 1, 10))
    after, moved = step(quieter, state, EventKind.ESCALATED, OTHER, at(2026, 12, 2, 10),
                        reason="no-agreement")  # fmt: skip
    notices = change_notices(quieter, state, after, moved, case="1", first_sequence=2)
    assert NoticeKind.FEEDBACK not in {n.kind for n in notices}


def test_a_change_must_match_its_events():
    twsp = PROCEDURES["twsp"]
    state, events = raised(twsp, at(2026, 12, 23, 10))
    wrong = dataclasses.replace(state, stage="stage-2")
    with pytest.raises(ValueError, match="not the state before plus its events"):
        change_notices(twsp, None, wrong, events, case="1", first_sequence=1)


def test_every_event_is_its_own_trigger():
    twsp = PROCEDURES["twsp"]
    state, _ = raised(twsp, at(2026, 12, 23, 10))
    after, events = step(twsp, state, EventKind.RESPONSE_RECORDED, OTHER, at(2026, 12, 24, 11),
                         text="x")  # fmt: skip
    assert {n.trigger for n in change_notices(twsp, state, after, events, case="9",
                                              first_sequence=4)} == {"9:e4"}  # fmt: skip


# --- one notice per person per trigger ---------------------------------------------------


def _notice(kind: NoticeKind, audience: Audience = Audience.ROLE, why: str = "") -> Notice:
    return Notice(kind, Recipient(audience), "1", "1:e1", "stage-1", at(2026, 1, 5, 10), why=why)


def test_a_person_gets_the_most_pressing_notice_with_the_procedures_reason():
    notices = [
        _notice(NoticeKind.KEPT_INFORMED),
        _notice(NoticeKind.NAMED_ALERT, why="The chair must be alerted."),
        _notice(NoticeKind.RAISED_WITH_YOU, Audience.HOLDER),
    ]
    pairs = collapse(notices, [["5"], ["5", "6"], ["5"]])
    assert [(n.kind, person) for n, person in pairs] == [
        (NoticeKind.NAMED_ALERT, "6"),
        (NoticeKind.RAISED_WITH_YOU, "5"),
    ]
    assert pairs[1][0].why == "The chair must be alerted."


def test_holders_come_before_the_next_rung_for_the_same_overdue_deadline():
    holder = _notice(NoticeKind.OVERDUE, Audience.HOLDER)
    rung = _notice(NoticeKind.OVERDUE, Audience.NEXT_RUNG)
    assert collapse([rung, holder], [["5"], ["5"]]) == [(holder, "5")]


# --- deadlines ----------------------------------------------------------------------------

TWSP = PROCEDURES["twsp"]
CALENDAR = calendar_for(TWSP)
LEAD = Lead()


ENTERED = at(2026, 12, 1, 9)


def deadline(due: datetime, *, key: str = "stage-1/resolve", stage: str = "stage-1",
             by: Side = Side.OTHER, entered: datetime = ENTERED,
             urgent: bool = False) -> OpenDeadline:  # fmt: skip
    return OpenDeadline("1", key, stage, by, due, "Resolve it", "", entered, urgent)


DUE = at(2026, 12, 30, 17)  # Wednesday 30 December 2026


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 12, 24, 9), []),  # Christmas Eve: too early
        (at(2026, 12, 28, 23, 59), []),  # the substitute bank holiday: still too early
        (at(2026, 12, 29, 0, 0), ["reminder"]),  # 1 working day before: Tuesday 29th
        (at(2026, 12, 29, 16), ["reminder"]),
        (at(2026, 12, 30, 0, 0), ["due-today"]),
        (at(2026, 12, 30, 16, 59), ["due-today"]),
        (at(2026, 12, 30, 17, 0), ["overdue", "overdue"]),  # the holder and the next rung
        (at(2027, 1, 4, 9), ["overdue", "overdue"]),
    ],
)
def test_which_notice_a_deadline_calls_for(now, expected):
    notices = deadline_notices(TWSP, deadline(DUE), now=now, calendar=CALENDAR, lead=LEAD)
    assert [n.kind.value for n in notices] == expected


def test_overdue_goes_to_the_holder_and_the_next_rung_on_the_same_side():
    notices = deadline_notices(TWSP, deadline(DUE), now=DUE, calendar=CALENDAR, lead=LEAD)
    assert [n.recipient.describe() for n in notices] == [
        "holder(other:practitioner)",
        "next-rung(other:line-manager+safeguarding-lead)",
    ]
    assert len({n.trigger for n in notices}) == 1


def test_at_the_top_of_the_ladder_those_kept_informed_are_the_next_rung():
    due = at(2027, 1, 20, 17)
    top = deadline(due, key="stage-5/decision", stage="stage-5", by=Side.PARTNERSHIP)
    notices = deadline_notices(TWSP, top, now=due, calendar=CALENDAR, lead=LEAD)
    assert [n.recipient.describe() for n in notices] == [
        "holder(both:twsp-executive)",  # the chair of its resolution
        "next-rung(both:business-manager+twsp-executive)",
    ]


def test_the_top_rung_tells_those_it_keeps_informed_or_else_only_the_holder():
    wirral = PROCEDURES["wirral-children"]
    due = at(2027, 1, 20, 17)
    top = deadline(due, key="stage-4/escalate", stage="stage-4", by=Side.BOTH)
    notices = deadline_notices(wirral, top, now=due, calendar=calendar_for(wirral), lead=LEAD)
    assert notices[-1].recipient.describe() == "next-rung(both:business-manager+board-chair)"
    track = wirral.tracks[0]
    alone = tuple(
        dataclasses.replace(s, kept_informed=()) if s.id == "stage-4" else s for s in track.stages
    )
    quiet = dataclasses.replace(wirral, tracks=(dataclasses.replace(track, stages=alone),))
    notices = deadline_notices(quiet, top, now=due, calendar=calendar_for(quiet), lead=LEAD)
    assert [n.recipient.audience for n in notices] == [Audience.HOLDER]


def test_an_unknown_stage_calls_for_nothing():
    gone = deadline(DUE, stage="stage-9")
    assert deadline_notices(TWSP, gone, now=DUE, calendar=CALENDAR, lead=LEAD) == []


def test_no_reminder_or_due_today_from_before_the_case_reached_the_stage():
    # Reached at 10am on the due day: "escalated to you" already said what is due.
    late = deadline(DUE, entered=at(2026, 12, 30, 10))
    assert (
        deadline_notices(TWSP, late, now=at(2026, 12, 30, 11), calendar=CALENDAR, lead=LEAD) == []
    )
    reached = deadline(DUE, entered=at(2026, 12, 29, 10))
    found = deadline_notices(TWSP, reached, now=at(2026, 12, 29, 11), calendar=CALENDAR, lead=LEAD)
    assert found == []
    overdue = deadline_notices(TWSP, late, now=DUE, calendar=CALENDAR, lead=LEAD)
    assert [n.kind for n in overdue] == [NoticeKind.OVERDUE, NoticeKind.OVERDUE]


def test_a_moved_deadline_is_a_new_trigger():
    before = deadline_notices(TWSP, deadline(DUE), now=DUE, calendar=CALENDAR, lead=LEAD)
    moved_due = at(2026, 12, 31, 17)
    after = deadline_notices(TWSP, deadline(moved_due), now=moved_due, calendar=CALENDAR, lead=LEAD)
    assert before[0].trigger == "1:overdue:stage-1/resolve:2026-12-30T17:00Z"
    assert after[0].trigger == "1:overdue:stage-1/resolve:2026-12-31T17:00Z"


def test_on_the_immediate_risk_route_only_overdue_ignores_working_hours():
    urgent = deadline(DUE, urgent=True)
    today = deadline_notices(TWSP, urgent, now=at(2026, 12, 30, 1), calendar=CALENDAR, lead=LEAD)
    assert not today[0].urgent
    late = deadline_notices(TWSP, urgent, now=DUE, calendar=CALENDAR, lead=LEAD)
    assert all(n.urgent for n in late)


# --- when -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "lead", "expected"),
    [
        # Christmas 2026: 25 December (Friday) and 28 December (the substitute) are off.
        (at(2026, 12, 29, 17), Lead(1), at(2026, 12, 24)),
        (at(2026, 12, 29, 17), Lead(2), at(2026, 12, 23)),
        # New Year's Day 2027 is a Friday.
        (at(2027, 1, 4, 17), Lead(1), at(2026, 12, 31)),
        # Easter 2027: Good Friday 26 March, the clocks go forward on Sunday 28th,
        # Easter Monday 29th. A Tuesday deadline is reminded on the Thursday, in GMT.
        (at(2027, 3, 30, 17), Lead(1), at(2027, 3, 25)),
        # Hours count on the wall clock, so they cross the change without a shift.
        (at(2027, 3, 29, 10), Lead(24, Unit.HOURS), at(2027, 3, 28, 10)),
        (at(2027, 3, 28, 12), Lead(12, Unit.HOURS), at(2027, 3, 28, 0)),
        # October 2027: the clocks go back on Sunday 31st.
        (at(2027, 11, 1, 17), Lead(1), at(2027, 10, 29)),
        (at(2027, 11, 1, 9), Lead(0), at(2027, 11, 1)),
    ],
)
def test_when_a_reminder_is_due(due, lead, expected):
    assert reminder_at(due, calendar=CALENDAR, lead=lead) == expected


def test_the_start_of_the_day_is_local_midnight_across_the_clock_change():
    assert start_of_day(at(2027, 3, 30, 17), CALENDAR).isoformat() == "2027-03-30T00:00:00+01:00"
    assert start_of_day(at(2027, 3, 26, 17), CALENDAR).isoformat() == "2027-03-26T00:00:00+00:00"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 12, 23, 10), at(2026, 12, 23, 10)),  # working hours: at once
        (at(2026, 12, 23, 7, 59), at(2026, 12, 23, 8)),  # before 8am: at 8am
        (at(2026, 12, 23, 18), at(2026, 12, 24, 8)),  # 6pm: the next morning
        (at(2026, 12, 24, 18, 30), at(2026, 12, 29, 8)),  # Christmas Eve evening
        (at(2026, 12, 26, 12), at(2026, 12, 29, 8)),  # Boxing Day, a Saturday
        (at(2027, 3, 27, 12), at(2027, 3, 30, 8)),  # Easter Saturday, into BST
        (at(2027, 3, 30, 0, 0), at(2027, 3, 30, 8)),
    ],
)
def test_when_a_notice_may_be_sent(moment, expected):
    assert deliver_at(moment, calendar=CALENDAR, hours=HOURS, urgent=False) == expected


def test_the_immediate_risk_route_is_sent_at_once_day_or_night():
    night = at(2026, 12, 25, 3)
    assert deliver_at(night, calendar=CALENDAR, hours=HOURS, urgent=True) == night


def test_working_hours_and_lead_times_are_checked():
    with pytest.raises(ValueError, match="start before they end"):
        WorkingHours(time(18), time(8))
    with pytest.raises(ValueError, match="working days or hours"):
        Lead(1, Unit.CALENDAR_DAYS)
    with pytest.raises(ValueError, match="negative"):
        Lead(-1)


def test_recipients_describe_themselves():
    assert RAISER.describe() == "raiser"
    assert Recipient(Audience.HOLDER, (RoleGroup(Side.RAISING, ("a", "b")),)).describe() == (
        "holder(raising:a+b)"
    )


# --- properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(LONDON)
)
leads = st.one_of(
    st.builds(Lead, st.integers(0, 10)),
    st.builds(Lead, st.integers(0, 72), st.just(Unit.HOURS)),
)


@settings(max_examples=300, deadline=None)
@given(moment=moments)
def test_a_notice_is_never_sent_early_nor_outside_working_hours(moment):
    sent = deliver_at(moment, calendar=CALENDAR, hours=HOURS, urgent=False)
    local = sent.astimezone(LONDON)
    assert sent >= moment
    assert CALENDAR.is_working_day(local.date())
    assert HOURS.start <= local.time() < HOURS.end
    assert deliver_at(sent, calendar=CALENDAR, hours=HOURS, urgent=False) == sent
    # ... and no later than the start of the next working hours.
    assert sent - moment <= timedelta(days=6)


@settings(max_examples=300, deadline=None)
@given(due=moments, now=moments, lead=leads)
def test_the_sweeps_horizon_never_hides_a_deadline_that_calls_for_a_notice(due, now, lead):
    found = deadline_notices(
        TWSP, deadline(due, entered=at(2025, 12, 1)), now=now, calendar=CALENDAR, lead=lead
    )
    if found:
        assert due <= sweep_horizon(now, calendar=CALENDAR, lead=lead)


@settings(max_examples=300, deadline=None)
@given(due=moments, lead=leads)
def test_a_reminder_comes_no_later_than_the_deadline(due, lead):
    assert reminder_at(due, calendar=CALENDAR, lead=lead) <= due


def test_the_rules_cover_every_procedure_shipped():
    # Every stage of every shipped procedure can be held, and every named role told.
    for procedure in PROCEDURES.values():
        for track in procedure.tracks:
            for stage in track.stages:
                for by in (Side.RAISING, Side.OTHER, Side.BOTH, Side.PARTNERSHIP):
                    item = OpenDeadline("1", "k", stage.id, by, DUE, "x", track.id, ENTERED)
                    calendar = calendar_for(procedure)
                    notices = deadline_notices(
                        procedure, item, now=DUE, calendar=calendar, lead=LEAD
                    )
                    assert notices and notices[0].kind is NoticeKind.OVERDUE
