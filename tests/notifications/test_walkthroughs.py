"""Walking a disagreement through each of the five procedures with a controllable clock:
exactly which notifications are sent, to whom, and when.

The clock is the worker's: at midnight, every hour from 8am to 6pm, and when something
happens (as the task enqueued on commit would), it sweeps for due deadlines and sends
what is due (``run_clock``). With the default settings a reminder goes at 8am one
working day before a deadline, "due today" at 8am on the day and "overdue" when it
passes; only the immediate-risk route is told outside 8am to 6pm on working days.

Each line is "when sent, to whom, what". Several lines for one person at one moment
travel as one email (the digest).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from parley.cases import services
from parley.cases.demo import person
from parley.core.engine import EventKind
from parley.notifications.models import Notification, SweepRun
from tests.notifications.conftest import (
    POLICE,
    SCHOOL,
    at,
    log_of,
    raise_case,
    run_clock,
    sent_log,
)

pytestmark = pytest.mark.django_db


def act(case, username: str, kind: EventKind, when: datetime, **fields):
    return when, lambda: services.disagreement_act(
        disagreement=case, person=person(username), kind=kind, at=when, **fields
    )


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def test_twsp_over_christmas_2026(partnership):
    raised = at(2026, 12, 23, 10)
    case = raise_case(partnership, "twsp", raised)
    run_clock(
        raised,
        date(2027, 1, 8),
        [
            act(
                case, "nia.nurse", EventKind.ESCALATED, at(2026, 12, 31, 10),
                reason="deadline-passed",
            ),
            act(case, "priya.lead", EventKind.ESCALATED, at(2027, 1, 6, 10), reason="no-agreement"),
            act(
                case, "dana.dsl", EventKind.RESOLVED, at(2027, 1, 7, 9, 30),
                outcome="Agreed.", outstanding="None",
            ),
            act(case, "priya.lead", EventKind.CLOSED, at(2027, 1, 7, 15)),
        ],
    )  # fmt: skip
    assert sent_log(case) == lines(
        """
        Wed 23 Dec 2026 10:00 GMT sam.social raised-with-you
        Tue 29 Dec 2026 08:00 GMT sam.social reminder
        Wed 30 Dec 2026 08:00 GMT sam.social due-today
        Wed 30 Dec 2026 17:00 GMT sam.social overdue
        Thu 31 Dec 2026 10:00 GMT dana.dsl escalated-to-you
        Thu 31 Dec 2026 10:00 GMT lee.lm escalated-to-you
        Thu 31 Dec 2026 10:00 GMT max.manager escalated-to-you
        Thu 31 Dec 2026 10:00 GMT priya.lead escalated-to-you
        Mon 04 Jan 2027 08:00 GMT dana.dsl reminder
        Mon 04 Jan 2027 08:00 GMT lee.lm reminder
        Mon 04 Jan 2027 08:00 GMT max.manager reminder
        Mon 04 Jan 2027 08:00 GMT priya.lead reminder
        Tue 05 Jan 2027 08:00 GMT dana.dsl due-today
        Tue 05 Jan 2027 08:00 GMT lee.lm due-today
        Tue 05 Jan 2027 08:00 GMT max.manager due-today
        Tue 05 Jan 2027 08:00 GMT priya.lead due-today
        Tue 05 Jan 2027 17:00 GMT dana.dsl overdue
        Tue 05 Jan 2027 17:00 GMT lee.lm overdue
        Tue 05 Jan 2027 17:00 GMT max.manager overdue
        Tue 05 Jan 2027 17:00 GMT priya.lead overdue
        Wed 06 Jan 2027 08:00 GMT dana.dsl reminder
        Wed 06 Jan 2027 08:00 GMT lee.lm reminder
        Wed 06 Jan 2027 08:00 GMT max.manager reminder
        Wed 06 Jan 2027 08:00 GMT priya.lead reminder
        Wed 06 Jan 2027 10:00 GMT dana.dsl escalated-to-you
        Wed 06 Jan 2027 10:00 GMT nia.nurse feedback
        Thu 07 Jan 2027 08:00 GMT priya.lead due-today
        Thu 07 Jan 2027 09:30 GMT nia.nurse feedback
        Thu 07 Jan 2027 15:00 GMT ben.business form-sent
        Thu 07 Jan 2027 15:00 GMT nia.nurse feedback
        """
    )
    # Stage 1's 3 working days to resolve: 24, 29 and 30 December (25 and 28 December
    # are bank holidays), so the reminder is on the 29th, not the 24th. Stage 2's two
    # working days from 31 December skip New Year's Day: due Tuesday 5 January, with
    # its reminder on Monday 4th. Stage 3's referral "within 24 hours" (Appendix 1)
    # was due at 10am on the 7th: "due today" at 8am, and no reminder, because the case
    # reached stage 3 after the reminder's moment. Closing tells the Partnership
    # Manager (Appendix 1, stage 7). The person who acted is never told of it.
    # When stage 1 ran out, the line managers (the next rung) could not yet see the
    # case, so they were not told: withheld, and counted.
    assert SweepRun.objects.filter(as_of=at(2026, 12, 30, 17)).get().withheld == 2


def test_twsp_across_the_march_2027_clock_change_with_immediate_risk(partnership):
    raised = at(2027, 3, 23, 10)
    case = raise_case(partnership, "twsp", raised)
    run_clock(
        raised,
        date(2027, 4, 2),
        [
            act(
                case, "sam.social", EventKind.RESPONSE_RECORDED, at(2027, 3, 30, 11),
                text="Threshold not met.",
            ),
            act(
                case, "nia.nurse", EventKind.IMMEDIATE_RISK_DECLARED, at(2027, 3, 30, 19, 30),
                text="A new injury.",
            ),
            act(
                case, "dana.dsl", EventKind.RESOLVED, at(2027, 4, 1, 14),
                outcome="Strategy discussion.", outstanding="None",
            ),
            act(case, "nia.nurse", EventKind.CLOSED, at(2027, 4, 1, 14, 5)),
        ],
    )  # fmt: skip
    assert sent_log(case) == lines(
        """
        Tue 23 Mar 2027 10:00 GMT sam.social raised-with-you
        Thu 25 Mar 2027 08:00 GMT sam.social reminder
        Tue 30 Mar 2027 08:00 BST sam.social due-today
        Tue 30 Mar 2027 11:00 BST nia.nurse response-received
        Tue 30 Mar 2027 19:30 BST dana.dsl escalated-to-you
        Tue 30 Mar 2027 19:30 BST priya.lead immediate-risk
        Wed 31 Mar 2027 08:00 BST priya.lead due-today
        Wed 31 Mar 2027 17:00 BST priya.lead overdue
        Thu 01 Apr 2027 08:00 BST dana.dsl reminder
        Thu 01 Apr 2027 08:00 BST dana.dsl reminder
        Thu 01 Apr 2027 08:00 BST priya.lead reminder
        Thu 01 Apr 2027 08:00 BST priya.lead reminder
        Thu 01 Apr 2027 14:00 BST nia.nurse feedback
        Thu 01 Apr 2027 14:05 BST ben.business form-sent
        """
    )
    # Due at 5pm on Tuesday 30 March (24, 25 and 30 March: Good Friday, the clock
    # change on Sunday 28th and Easter Monday between). The reminder went at 8am GMT on
    # Thursday 25th, "due today" at 8am BST on the 30th: 8am on the wall both times.
    sent = {
        row.kind: row.sent_at
        for row in Notification.objects.filter(recipient__user__username="sam.social")
    }
    assert sent["reminder"].isoformat() == "2027-03-25T08:00:00+00:00"
    assert sent["due-today"].isoformat() == "2027-03-30T07:00:00+00:00"
    # The immediate-risk route (TWSP section 3) is told at once, at 7:30pm; its
    # deadline ("the same working day", so the next day as it was after 5pm) is
    # reminded in working hours and told at once when it passes.
    urgent = Notification.objects.filter(disagreement=case, kind="immediate-risk").get()
    assert urgent.urgent and urgent.scheduled_for == at(2027, 3, 30, 19, 30)


def test_torbay_channel_alerts_the_channel_chair_and_never_the_board(partnership):
    raised = at(2027, 3, 22, 10)
    case = raise_case(partnership, "torbay-channel", raised, raiser="pat.police", raising=POLICE)
    run_clock(
        raised,
        date(2027, 4, 7),
        [
            act(
                case, "pat.police", EventKind.ESCALATED, at(2027, 4, 1, 10),
                reason="deadline-passed",
            ),
            act(
                case, "lee.lm", EventKind.RESOLVED, at(2027, 4, 6, 11),
                outcome="Plan agreed.", outstanding="None",
            ),
        ],
    )  # fmt: skip
    assert sent_log(case) == lines(
        """
        Mon 22 Mar 2027 10:00 GMT cora.channel raised-with-you
        Mon 22 Mar 2027 10:00 GMT sam.social raised-with-you
        Tue 30 Mar 2027 08:00 BST cora.channel reminder
        Tue 30 Mar 2027 08:00 BST pat.police reminder
        Tue 30 Mar 2027 08:00 BST sam.social reminder
        Wed 31 Mar 2027 08:00 BST cora.channel due-today
        Wed 31 Mar 2027 08:00 BST pat.police due-today
        Wed 31 Mar 2027 08:00 BST sam.social due-today
        Wed 31 Mar 2027 17:00 BST cora.channel overdue
        Wed 31 Mar 2027 17:00 BST pat.police overdue
        Wed 31 Mar 2027 17:00 BST sam.social overdue
        Thu 01 Apr 2027 10:00 BST cora.channel kept-informed
        Thu 01 Apr 2027 10:00 BST dana.dsl escalated-to-you
        Thu 01 Apr 2027 10:00 BST ira.inspector escalated-to-you
        Thu 01 Apr 2027 10:00 BST lee.lm escalated-to-you
        Tue 06 Apr 2027 11:00 BST cora.channel kept-informed
        Tue 06 Apr 2027 11:00 BST pat.police feedback
        """
    )
    # Para 5: "The Channel chair must be alerted to the dispute". The chair is also a
    # party at stage 1, so one notification carries both, with the document's reason.
    first = Notification.objects.get(
        disagreement=case, recipient__user__username="cora.channel", kind="raised-with-you"
    )
    assert "The Channel chair must be alerted to the dispute" in first.body
    # Prevent cases are not the board's: the business manager and chair hear nothing.
    assert not Notification.objects.filter(
        recipient__user__username__in=["ben.business", "chris.chair"]
    ).exists()


def test_torbay_children_tells_the_board_manager_at_stage_three(partnership):
    raised = at(2026, 12, 21, 10)
    case = raise_case(partnership, "torbay-children", raised)
    run_clock(
        raised,
        date(2026, 12, 30),
        [
            act(
                case, "nia.nurse", EventKind.ESCALATED, at(2026, 12, 22, 10),
                reason="no-agreement",
            ),
            # Stage Two is between the people who disagree: the worker takes it to their
            # manager (Stage Three).
            act(
                case, "nia.nurse", EventKind.ESCALATED, at(2026, 12, 24, 16),
                reason="no-agreement",
            ),
            act(
                case, "lee.lm", EventKind.RESPONSE_RECORDED, at(2026, 12, 24, 18, 30),
                text="Will review.",
            ),
            act(
                case, "lee.lm", EventKind.RESOLVED, at(2026, 12, 29, 15),
                outcome="Assessment.", outstanding="None",
            ),
        ],
    )  # fmt: skip
    # Stage One is the worker's own consultation "before approaching the other agency":
    # the other agency's worker hears of it at Stage Two.
    assert sent_log(case) == lines(
        """
        Mon 21 Dec 2026 10:00 GMT max.manager raised-with-you
        Tue 22 Dec 2026 10:00 GMT sam.social escalated-to-you
        Thu 24 Dec 2026 16:00 GMT ben.business named-alert
        Thu 24 Dec 2026 16:00 GMT lee.lm escalated-to-you
        Thu 24 Dec 2026 16:00 GMT max.manager escalated-to-you
        Tue 29 Dec 2026 08:00 GMT max.manager response-received
        Tue 29 Dec 2026 08:00 GMT nia.nurse response-received
        Tue 29 Dec 2026 15:00 GMT ben.business named-alert
        Tue 29 Dec 2026 15:00 GMT nia.nurse feedback
        """
    )
    # Stage Three: "notify the Torbay Safeguarding Children Board Manager". The
    # response recorded at 6:30pm on Christmas Eve waits for 8am on Tuesday 29th: the
    # 25th and the 28th are bank holidays. The leaflet sets no time limits, so there
    # are no reminders at all.
    assert not Notification.objects.filter(
        disagreement=case, kind__in=["reminder", "due-today", "overdue"]
    ).exists()


def test_bedfordshire_channel_over_christmas_tells_the_coordinator_at_every_stage(partnership):
    raised = at(2026, 12, 14, 10)
    case = raise_case(
        partnership, "bedfordshire-channel", raised, raiser="pat.police", raising=POLICE
    )
    run_clock(
        raised,
        date(2027, 1, 6),
        [
            act(
                case, "cora.channel", EventKind.ESCALATED, at(2026, 12, 22, 9),
                reason="deadline-passed",
            ),
            act(
                case, "drew.director", EventKind.RESPONSE_RECORDED, at(2027, 1, 4, 10),
                text="Resources found.",
            ),
            act(
                case, "cora.channel", EventKind.RESOLVED, at(2027, 1, 5, 10),
                outcome="Resourced.", outstanding="None",
            ),
        ],
    )  # fmt: skip
    assert sent_log(case) == lines(
        """
        Mon 14 Dec 2026 10:00 GMT col.coordinator named-alert
        Mon 14 Dec 2026 10:00 GMT cora.channel raised-with-you
        Mon 14 Dec 2026 10:00 GMT lee.lm raised-with-you
        Mon 14 Dec 2026 10:00 GMT sam.social raised-with-you
        Fri 18 Dec 2026 08:00 GMT cora.channel reminder
        Fri 18 Dec 2026 08:00 GMT lee.lm reminder
        Fri 18 Dec 2026 08:00 GMT lee.lm reminder
        Fri 18 Dec 2026 08:00 GMT pat.police reminder
        Mon 21 Dec 2026 08:00 GMT cora.channel due-today
        Mon 21 Dec 2026 08:00 GMT lee.lm due-today
        Mon 21 Dec 2026 08:00 GMT lee.lm due-today
        Mon 21 Dec 2026 08:00 GMT pat.police due-today
        Mon 21 Dec 2026 17:00 GMT cora.channel overdue
        Mon 21 Dec 2026 17:00 GMT lee.lm overdue
        Mon 21 Dec 2026 17:00 GMT lee.lm overdue
        Mon 21 Dec 2026 17:00 GMT pat.police overdue
        Tue 22 Dec 2026 09:00 GMT col.coordinator named-alert
        Tue 22 Dec 2026 09:00 GMT drew.director escalated-to-you
        Tue 22 Dec 2026 09:00 GMT pat.police escalated-to-you
        Wed 30 Dec 2026 08:00 GMT cora.channel reminder
        Wed 30 Dec 2026 08:00 GMT drew.director reminder
        Wed 30 Dec 2026 08:00 GMT drew.director reminder
        Wed 30 Dec 2026 08:00 GMT pat.police reminder
        Thu 31 Dec 2026 08:00 GMT cora.channel due-today
        Thu 31 Dec 2026 08:00 GMT drew.director due-today
        Thu 31 Dec 2026 08:00 GMT drew.director due-today
        Thu 31 Dec 2026 08:00 GMT pat.police due-today
        Thu 31 Dec 2026 17:00 GMT cora.channel overdue
        Thu 31 Dec 2026 17:00 GMT drew.director overdue
        Thu 31 Dec 2026 17:00 GMT drew.director overdue
        Thu 31 Dec 2026 17:00 GMT pat.police overdue
        Mon 04 Jan 2027 10:00 GMT cora.channel response-received
        Mon 04 Jan 2027 10:00 GMT pat.police response-received
        Tue 05 Jan 2027 10:00 GMT col.coordinator kept-informed
        Tue 05 Jan 2027 10:00 GMT pat.police feedback
        """
    )
    # Stage 2's 5 working days from 22 December: 23, 24, 29, 30 and 31 December. The
    # Service Director's two deadlines that day (the response and the stage) travel as
    # one email. The manager of the service (stage 1) is in no one's directory entry
    # here, so stage 1's response deadline reached no one: nothing to send, nothing sent.
    mail = Notification.objects.filter(recipient__user__username="drew.director", kind="reminder")
    assert mail.count() == 2 and len({row.delivery_key for row in mail}) == 1


def test_wirral_children_immediate_risk_is_told_at_night_and_the_chair_at_stage_four(
    partnership,
):
    raised = at(2026, 12, 23, 20)
    case = raise_case(
        partnership, "wirral-children", raised, raiser="tess.teacher", raising=SCHOOL,
        other=POLICE, other_professional="pat.police", immediate_risk=True,
    )  # fmt: skip
    run_clock(
        raised,
        date(2026, 12, 31),
        [
            # The immediate-risk route starts at stage 2, the managers' and safeguarding
            # leads' stage: the school's safeguarding lead takes it up; at stage 3 the
            # police's senior manager (the school has none) takes it to the Chair.
            act(
                case, "dev.dsl", EventKind.ESCALATED, at(2026, 12, 24, 17, 30),
                reason="no-agreement",
            ),
            act(
                case, "cas.chief", EventKind.ESCALATED, at(2026, 12, 29, 10),
                reason="no-agreement",
            ),
            act(
                case, "chris.chair", EventKind.RESOLVED, at(2026, 12, 30, 12),
                outcome="Determined.", outstanding="None",
            ),
        ],
    )  # fmt: skip
    assert sent_log(case) == lines(
        """
        Wed 23 Dec 2026 20:00 GMT dev.dsl immediate-risk
        Wed 23 Dec 2026 20:00 GMT ira.inspector raised-with-you
        Wed 23 Dec 2026 20:00 GMT pat.police raised-with-you
        Thu 24 Dec 2026 17:30 GMT cas.chief escalated-to-you
        Thu 24 Dec 2026 17:30 GMT tess.teacher feedback
        Tue 29 Dec 2026 10:00 GMT ben.business named-alert
        Tue 29 Dec 2026 10:00 GMT chris.chair escalated-to-you
        Tue 29 Dec 2026 10:00 GMT tess.teacher feedback
        Wed 30 Dec 2026 12:00 GMT ben.business kept-informed
        Wed 30 Dec 2026 12:00 GMT tess.teacher feedback
        """
    )
    # Section 2: "escalated on the same working day": the school's safeguarding lead
    # is told at 8pm, not the next morning. Section 6: Board members go to the Chair
    # "through the WSCB Business Manager", who is told when the case reaches stage 4.
    assert log_of("cancelled") == []
