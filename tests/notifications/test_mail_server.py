"""Sending through a real SMTP server (aiosmtpd on loopback), read back as a mail program
reads it: urgent notices under a server that refuses then accepts, links built when the
message is sent, long subjects, the headers that stop automatic replies, and subjects
that do not give a Channel case away."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from parley.cases import services
from parley.cases.demo import person
from parley.notifications import services as notifications
from parley.notifications.models import Notification
from tests.notifications.conftest import POLICE, at, raise_case

pytestmark = pytest.mark.django_db
Status = Notification.Status


def run_sender(server, start: datetime, until: datetime) -> None:
    """What the worker does, at every moment something is due to be tried, from ``start``
    until nothing is pending or ``until``: the server's clock follows."""
    moment = start
    while moment <= until:
        server.clock = moment
        notifications.notifications_send_due(now=moment)
        pending = Notification.objects.filter(status__in=Notification.PENDING)
        upcoming = pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True)
        following = upcoming.first()
        if following is None:
            return
        moment = max(following, moment + timedelta(seconds=1))


def test_an_urgent_notice_is_not_held_by_a_non_urgent_one_under_a_failing_server(
    partnership, mail_server
):
    # Friday 18 December 2026, two minutes before working hours end: Sam is told of an
    # ordinary disagreement, then of one on the immediate-risk route. The mail server
    # refuses everything until 18:01, then accepts.
    ordinary = raise_case(partnership, "twsp", at(2026, 12, 18, 17, 58))
    urgent = raise_case(partnership, "twsp", at(2026, 12, 18, 17, 59), immediate_risk=True)
    mail_server.refusing = lambda: mail_server.clock < at(2026, 12, 18, 18, 1)

    run_sender(mail_server, at(2026, 12, 18, 17, 59, 30), until=at(2026, 12, 22, 12))

    sam = person("sam.social")
    to_sam = [m for m in mail_server.received if m.recipients == [sam.email]]
    urgent_rows = set(
        Notification.objects.filter(recipient=sam, disagreement=urgent).values_list("pk", flat=True)
    )
    ordinary_rows = set(
        Notification.objects.filter(recipient=sam, disagreement=ordinary).values_list(
            "pk", flat=True
        )
    )
    assert urgent_rows and ordinary_rows and mail_server.refused >= 1
    (first_urgent,) = [m for m in to_sam if urgent_rows & set(m.notification_ids)]
    delay = first_urgent.at - at(2026, 12, 18, 17, 59)
    print(f"urgent notice delay under a failing mail server: {delay}")
    # Retried on its own schedule (a minute, then two), not held for Monday's 8am.
    assert delay <= timedelta(minutes=5), delay
    # It travels alone (nothing non-urgent rides with it) and says it is urgent.
    assert set(first_urgent.notification_ids) <= urgent_rows
    assert first_urgent.subject.startswith("Parley: Urgent: "), first_urgent.subject
    # The ordinary one keeps to working hours: Monday 21 December at 8am.
    (first_ordinary,) = [m for m in to_sam if ordinary_rows & set(m.notification_ids)]
    assert first_ordinary.at == at(2026, 12, 21, 8)
    assert "Urgent" not in first_ordinary.subject
    assert not Notification.objects.exclude(status=Status.SENT).exists()


def test_urgent_notices_due_together_go_in_one_message_that_says_it_is_urgent(
    partnership, mail_server
):
    raise_case(partnership, "twsp", at(2026, 12, 19, 3), immediate_risk=True)
    raise_case(partnership, "wirral-children", at(2026, 12, 19, 3, 5), immediate_risk=True)
    raise_case(partnership, "twsp", at(2026, 12, 19, 3, 6))  # ordinary: waits for Monday
    run_sender(mail_server, at(2026, 12, 19, 3, 10), until=at(2026, 12, 19, 4))
    sam = person("sam.social")
    (digest,) = [m for m in mail_server.received if m.recipients == [sam.email]]
    assert digest.subject == "Parley: Urgent: 2 things need your attention today"
    assert Notification.objects.filter(recipient=sam, status=Status.QUEUED).count() == 1


def test_links_are_built_when_the_email_is_sent_not_when_it_was_queued(
    partnership, mail_server, settings
):
    settings.PARLEY_BASE_URL = "http://127.0.0.1:8000"
    case = raise_case(partnership, "twsp", at(2026, 12, 21, 10))
    settings.PARLEY_BASE_URL = "https://parley.demoshire.example"
    notifications.notifications_send_due(now=at(2026, 12, 21, 10, 1))
    (sent,) = mail_server.received
    assert f"See it in Parley: https://parley.demoshire.example/cases/{case.reference}/" in (
        sent.body
    )
    assert "127.0.0.1:8000" not in sent.body


def test_a_long_subject_reads_back_whole_without_a_leading_space(partnership, mail_server):
    case = raise_case(partnership, "wirral-children", at(2026, 12, 21, 10))
    services.disagreement_escalate(disagreement=case, person=person("nia.nurse"),
                                   reason="no-agreement", at=at(2026, 12, 21, 11))  # fmt: skip
    notifications.notifications_send_due(now=at(2026, 12, 21, 11, 1))
    row = Notification.objects.filter(disagreement=case, kind="escalated-to-you").first()
    (sent,) = [m for m in mail_server.received if m.notification_ids == [row.pk]]
    assert len(f"Subject: {row.subject}") > 78  # long enough to be folded
    assert sent.subject == row.subject
    assert "\n" not in sent.subject


def test_automatic_replies_are_asked_not_to_answer(partnership, mail_server):
    raise_case(partnership, "twsp", at(2026, 12, 21, 10))
    notifications.notifications_send_due(now=at(2026, 12, 21, 10, 1))
    (sent,) = mail_server.received
    assert sent.message["Auto-Submitted"] == "auto-generated"
    assert sent.message["X-Auto-Response-Suppress"] == "All"


def test_an_email_subject_does_not_give_a_channel_case_away(partnership, mail_server):
    channel = raise_case(partnership, "torbay-channel", at(2026, 12, 21, 10),
                         raiser="pat.police", raising=POLICE)  # fmt: skip
    notifications.notifications_send_due(now=at(2026, 12, 21, 10, 1))
    twsp = raise_case(partnership, "twsp", at(2026, 12, 21, 11))
    notifications.notifications_send_due(now=at(2026, 12, 21, 11, 1))
    channel_rows = set(
        Notification.objects.filter(disagreement=channel).values_list("pk", flat=True)
    )
    about_channel = [m for m in mail_server.received if channel_rows & set(m.notification_ids)]
    subjects = {m.subject for m in mail_server.received}
    assert about_channel
    for row in Notification.objects.filter(disagreement=channel):
        assert channel.reference not in row.subject and "CHANNEL" not in row.subject.upper()
    for message in mail_server.received:
        assert channel.reference not in message.subject
        assert "CHANNEL" not in message.subject.upper()
    assert any(twsp.reference in subject for subject in subjects)
