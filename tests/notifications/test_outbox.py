"""The outbox against a real database: written with the change, idempotent sweeps, the
access rule, what an email may contain, working hours and the digest, failures and
retries, claims that cannot overlap, the task and the commands."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from parley.cases import services
from parley.cases.access import can_view
from parley.cases.demo import person
from parley.cases.models import Person, RoleAssignment
from parley.core.engine import EventKind
from parley.notifications import services as notifications
from parley.notifications.management.commands.notifications_worker import enqueue_tick
from parley.notifications.models import Notification, NotificationSettings
from parley.notifications.services import _claim
from parley.notifications.tasks import notifications_tick, send_due_notifications
from tests.notifications.conftest import (
    SECRETS,
    at,
    raise_case,
    run_clock,
)

pytestmark = pytest.mark.django_db
Status = Notification.Status
FAILING = "tests.notifications.backends.FailingBackend"


def kinds(**filters) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(**filters).select_related("recipient__user")
    return sorted((row.recipient.user.username, row.kind) for row in rows)


# --- written with the change ----------------------------------------------------------


def test_the_outbox_row_commits_with_the_change_or_not_at_all(partnership):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        raise_case(partnership, "twsp", at(2026, 12, 23, 10))
        assert Notification.objects.count() == 1  # in the change's own transaction
        raise Abandoned
    assert Notification.objects.count() == 0
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    assert kinds() == [("sam.social", "raised-with-you")]


def test_the_person_who_acted_is_not_told_of_it(partnership):
    case = raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="Threshold not met.", at=at(2026, 12, 24, 10),
    )  # fmt: skip
    assert kinds() == [("nia.nurse", "response-received"), ("sam.social", "raised-with-you")]


def test_a_committed_change_enqueues_the_sender(partnership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    assert len(callbacks) == 1
    assert DBTaskResult.objects.filter(task_path=send_due_notifications.module_path).count() == 1


def test_raising_with_notifications_costs_a_bounded_number_of_queries(
    partnership, django_assert_max_num_queries
):
    raise_case(partnership, "twsp", at(2026, 12, 22, 10))  # warm the procedure caches
    with django_assert_max_num_queries(40):
        raise_case(partnership, "bedfordshire-channel", at(2026, 12, 23, 10))


# --- who is told ------------------------------------------------------------------------


def test_everyone_told_may_see_the_case_and_those_who_may_not_are_withheld(partnership):
    cases = [
        raise_case(partnership, procedure_id, at(2026, 12, 14, 10))
        for procedure_id in ("twsp", "torbay-channel", "torbay-children", "wirral-children")
    ]
    cases.append(raise_case(partnership, "bedfordshire-channel", at(2026, 12, 14, 10),
                            immediate_risk=True))  # fmt: skip
    run_clock(at(2026, 12, 14, 10), at(2026, 12, 31).date())
    rows = Notification.objects.select_related("recipient", "disagreement__procedure")
    assert rows.count() > 20
    for row in rows:
        assert can_view(row.recipient, row.disagreement), row
    # The next rung cannot see a case before it reaches them, so it is not told.
    assert sum(run.withheld for run in notifications.SweepRun.objects.all()) > 0


def test_someone_who_can_no_longer_see_the_case_is_not_sent_it(partnership):
    case = raise_case(partnership, "twsp", at(2026, 12, 23, 10), other_professional=None)
    services.disagreement_act(
        disagreement=case, person=person("nia.nurse"), kind=EventKind.ESCALATED,
        reason="no-agreement", at=at(2026, 12, 23, 11),
    )  # fmt: skip
    assert ("lee.lm", "escalated-to-you") in kinds()
    RoleAssignment.objects.filter(person=person("lee.lm")).delete()
    notifications.notifications_send_due(now=at(2026, 12, 23, 12))
    # Lee was told twice: standing in for the professional not in Parley when it was
    # raised, and as the line manager when it was escalated.
    lees = Notification.objects.filter(recipient=person("lee.lm"))
    assert sorted(lee.kind for lee in lees) == ["escalated-to-you", "raised-with-you"]
    for lee in lees:
        assert lee.status == Status.CANCELLED
        assert lee.last_error == "The recipient can no longer see this case."


# --- what an email may say --------------------------------------------------------------


def test_notifications_carry_no_personal_or_case_details(partnership):
    case = raise_case(partnership, "twsp", at(2026, 12, 14, 10))
    run_clock(
        at(2026, 12, 14, 10),
        at(2026, 12, 31).date(),
        [
            (at(2026, 12, 17, 10), lambda: services.disagreement_escalate(
                disagreement=case, person=person("nia.nurse"), reason="no-agreement",
                text="Secret reasons about Jordan.", at=at(2026, 12, 17, 10))),
        ],
    )  # fmt: skip
    assert len(mail.outbox) > 5
    forbidden = [*SECRETS.values(), "Jordan", "Secret"]
    forbidden += [a.name for a in partnership.agencies.all()]
    forbidden += [p.name for p in Person.objects.all()]
    texts = [(m.subject, m.body, str(m.extra_headers)) for m in mail.outbox]
    texts += [(row.subject, row.body, "") for row in Notification.objects.all()]
    for subject, body, headers in texts:
        for secret in forbidden:
            assert secret not in subject and secret not in body and secret not in headers
        assert case.reference in subject + body
    for message in mail.outbox:
        assert f"http://127.0.0.1:8000/cases/{case.reference}/" in message.body


# --- the sweep ----------------------------------------------------------------------------


def test_a_sweep_run_twice_writes_nothing_twice(partnership):
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    first = notifications.notifications_sweep(now=at(2026, 12, 30, 17, 30))
    again = notifications.notifications_sweep(now=at(2026, 12, 30, 17, 45))
    assert first.notifications_written == 1 and again.notifications_written == 0
    # Once "overdue" is written a deadline is not looked at again, and the stage's own
    # deadline (6 January) is beyond the sweep's horizon.
    assert (first.deadlines_examined, again.deadlines_examined) == (1, 0)


def test_reminders_follow_a_deadline_moved_by_a_new_closure_day(partnership):
    # Stage 1's 3 working days from Monday 7 June 2027: due Thursday 10 June.
    case = raise_case(partnership, "twsp", at(2027, 6, 7, 10))
    notifications.notifications_sweep(now=at(2027, 6, 10, 0, 5))
    assert kinds(kind="due-today") == [("sam.social", "due-today")]  # held until 8am
    with time_machine.travel(at(2027, 6, 10, 7), tick=False):
        # Declared the night before, as the 2023 coronation holiday was, months ahead.
        moved = services.closure_day_add(partnership=partnership, day=at(2027, 6, 10).date(),
                                         name="Royal occasion")  # fmt: skip
    assert moved >= 1
    assert case.events.filter(kind="deadlines-moved").exists()  # the record says so
    report = notifications.notifications_send_due(now=at(2027, 6, 10, 8))
    old = Notification.objects.get(kind="due-today")
    assert old.status == Status.CANCELLED and "moved" in old.last_error
    assert report.cancelled == 1 and report.sent == 1  # raised-with-you, held from Monday
    run_clock(at(2027, 6, 10, 8), at(2027, 6, 11).date())
    due = {
        row.kind: row.due_at.astimezone(at(2027, 1, 1).tzinfo).strftime("%a %d %H:%M")
        for row in Notification.objects.filter(status=Status.SENT, recipient=person("sam.social"))
        if row.due_at
    }
    assert due == {
        "reminder": "Fri 11 17:00",
        "due-today": "Fri 11 17:00",
        "overdue": "Fri 11 17:00",
    }


def test_a_partnership_chooses_how_far_ahead_it_is_reminded(partnership):
    NotificationSettings.objects.create(partnership=partnership, reminder_lead=2)
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))  # stage 1: due 30 December
    notifications.notifications_sweep(now=at(2026, 12, 23, 23))
    assert kinds(kind="reminder") == []
    notifications.notifications_sweep(now=at(2026, 12, 24, 1))  # 2 working days before
    assert kinds(kind="reminder") == [("sam.social", "reminder")]
    reminder = Notification.objects.get(kind="reminder")
    assert reminder.scheduled_for == at(2026, 12, 24, 8)


# --- working hours and the digest -----------------------------------------------------------


def test_what_falls_due_overnight_goes_in_one_morning_email_per_person(partnership):
    first = raise_case(partnership, "twsp", at(2026, 12, 23, 19))
    second = raise_case(partnership, "wirral-children", at(2026, 12, 23, 21))
    assert notifications.notifications_send_due(now=at(2026, 12, 23, 22)).sent == 0
    report = notifications.notifications_send_due(now=at(2026, 12, 24, 8))
    assert report.sent == 2 and report.deliveries == 1
    (email,) = mail.outbox
    assert email.to == ["sam.social@demoshire.example"]
    assert email.subject == "Parley: 2 things need your attention"
    assert first.reference in email.body and second.reference in email.body
    assert "http://127.0.0.1:8000/notifications/mine/" in email.body
    keys = set(Notification.objects.values_list("delivery_key", flat=True))
    assert len(keys) == 1 and email.extra_headers["X-Parley-Delivery"] == str(keys.pop())


def test_the_immediate_risk_route_is_sent_at_night(partnership):
    raise_case(partnership, "twsp", at(2026, 12, 25, 3), immediate_risk=True)
    report = notifications.notifications_send_due(now=at(2026, 12, 25, 3, 1))
    assert report.sent == len(mail.outbox) > 0


# --- failures and retries ---------------------------------------------------------------


def test_a_failed_send_backs_off_then_fails_visibly_and_is_sent_again_by_hand(
    partnership, settings
):
    settings.EMAIL_BACKEND = FAILING
    raise_case(partnership, "twsp", at(2026, 12, 23, 9))
    now = at(2026, 12, 23, 9)
    waits = []
    for _ in range(6):
        notifications.notifications_send_due(now=now)
        row = Notification.objects.get()
        if row.status == Status.FAILED:
            break
        assert row.status == Status.RETRYING
        waits.append(int((row.next_attempt_at - now).total_seconds()))
        now = row.next_attempt_at
    assert waits == [60, 120, 240, 480, 960]  # doubling from a minute
    assert row.status == Status.FAILED and row.attempts == 6
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert notifications.notifications_send_due(now=now + timedelta(days=1)).deliveries == 0
    out = io.StringIO()
    call_command("notifications_status", stdout=out)
    assert "Failed:           1" in out.getvalue()
    assert "Connection refused" in out.getvalue()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("notifications_retry", "--all", stdout=io.StringIO())
    assert notifications.notifications_send_due(now=at(2026, 12, 24, 10)).sent == 1


def test_a_retry_that_would_fall_at_night_waits_for_the_morning(partnership, settings):
    settings.EMAIL_BACKEND = FAILING
    raise_case(partnership, "twsp", at(2026, 12, 23, 17, 59, 30))
    notifications.notifications_send_due(now=at(2026, 12, 23, 17, 59, 30))
    assert Notification.objects.get().next_attempt_at == at(2026, 12, 24, 8)


def test_someone_with_no_email_address_is_a_visible_failure_at_once(partnership):
    Person.objects.filter(pk=person("sam.social").pk).update(email="")
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    notifications.notifications_send_due(now=at(2026, 12, 23, 10))
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 1, "no email address")


# --- claims -------------------------------------------------------------------------------


def test_two_senders_never_claim_the_same_notification(partnership):
    for day in (21, 22, 23):
        raise_case(partnership, "twsp", at(2026, 12, day, 10))
    now = at(2026, 12, 23, 11)
    first = _claim(now=now, batch=20)
    assert first and _claim(now=now, batch=20) == []
    assert sum(len(d.ids) for d in first) == Notification.objects.count() == 3


def test_a_sender_that_stopped_mid_send_is_taken_over_under_the_same_key(partnership, settings):
    settings.PARLEY_NOTIFY_CLAIM_SECONDS = 300
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    (claimed,) = _claim(now=at(2026, 12, 23, 10), batch=20)  # ...and then the process died
    assert notifications.notifications_send_due(now=at(2026, 12, 23, 10, 4)).deliveries == 0
    report = notifications.notifications_send_due(now=at(2026, 12, 23, 10, 6))
    assert report.sent == 1
    (email,) = mail.outbox
    assert email.extra_headers["X-Parley-Delivery"] == str(claimed.key)
    assert email.extra_headers["Message-ID"] == f"<{claimed.key}@127.0.0.1>"
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.delivery_key) == (Status.SENT, 2, claimed.key)


# --- the task, the worker's clock and the commands -----------------------------------------


def test_the_tasks_sweep_and_send(partnership):
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    with time_machine.travel(at(2026, 12, 30, 17, 30), tick=False):
        result = notifications_tick.call()
        assert result["notifications_written"] == 1 and result["sent"] == 2
        assert send_due_notifications.call()["deliveries"] == 0


def test_the_worker_clock_enqueues_one_sweep_at_a_time(db):
    assert enqueue_tick() is True
    assert enqueue_tick() is False
    assert DBTaskResult.objects.filter(task_path=notifications_tick.module_path).count() == 1


def test_the_commands_sweep_and_report(partnership):
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    out = io.StringIO()
    with time_machine.travel(at(2026, 12, 30, 17, 30), tick=False):
        call_command("notifications_sweep", "--send", stdout=out)
        call_command("notifications_status", stdout=out)
    text = out.getvalue()
    assert "wrote 1 notifications" in text and "Sent 2" in text
    assert "Sent:             2" in text and "Last sweep:" in text
