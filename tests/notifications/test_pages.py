"""The notification pages: administrators see the outbox; everyone sees their own."""

from __future__ import annotations

import re

import pytest

from parley.cases.demo import person
from parley.cases.models import Disagreement, RoleAssignment
from parley.notifications import services as notifications
from parley.notifications.models import Notification
from tests.notifications.conftest import POLICE, at, raise_case

pytestmark = pytest.mark.django_db
Status = Notification.Status
FAILING = "tests.notifications.backends.FailingBackend"


@pytest.fixture
def outbox(partnership, settings):
    """A sent notification, a failed one and one for a Prevent (Channel) case."""
    twsp = raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    notifications.notifications_send_due(now=at(2026, 12, 23, 10))
    settings.EMAIL_BACKEND = FAILING
    Notification.objects.filter(disagreement=twsp).update(attempts=0)
    raise_case(partnership, "twsp", at(2026, 12, 23, 11), raiser="sam.social",
               raising="Demoshire Council Children", other="Demoshire NHS",
               other_professional="nia.nurse")  # fmt: skip
    settings.PARLEY_NOTIFY_MAX_ATTEMPTS = 1
    notifications.notifications_send_due(now=at(2026, 12, 23, 11))
    channel = raise_case(partnership, "torbay-channel", at(2026, 12, 23, 12),
                         raiser="pat.police", raising=POLICE)  # fmt: skip
    return {"twsp": twsp, "channel": channel}


def test_administrators_see_every_notification_with_why_it_failed(signed_in, outbox):
    response = signed_in("ari.admin").get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Notifications</h1>' in html
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in html
    assert 'Send again<span class="govuk-visually-hidden"> to Nia Evans</span>' in html
    assert "Sam Okafor" in html


def test_the_outbox_does_not_show_administrators_cases_they_cannot_see(signed_in, outbox):
    html = signed_in("ari.admin").get("/notifications/").content.decode()
    assert outbox["channel"].reference not in html
    assert "Not shown: a case you cannot see" in html


def channel_rows(outbox):
    return Notification.objects.filter(disagreement=outbox["channel"])


def test_administrators_see_nothing_of_a_channel_case_they_may_not_see(signed_in, outbox):
    """Not its recipients, kinds, times or reference, and it is not counted (Prevent
    cases are for the Channel panel alone: Torbay Channel procedure)."""
    hidden = channel_rows(outbox)
    assert hidden.count() >= 2  # the chair's alert, the coordinator's, the other party's
    client = signed_in("ari.admin")
    html = client.get("/notifications/").content.decode()
    names = {row.recipient.name for row in hidden} - {
        row.recipient.name for row in Notification.objects.exclude(disagreement=outbox["channel"])
    }
    assert names and not any(name in html for name in names)
    assert "Alert named by the procedure" not in html.split("<table", 1)[-1]
    visible = Notification.objects.exclude(disagreement=outbox["channel"])
    assert html.count('<tr class="govuk-table__row">') == visible.count() + 1  # and the head
    queued = visible.filter(status=Status.QUEUED).count()
    counted = re.search(r"Queued</dt>\s*<dd[^>]*>(\d+)</dd>", html)
    assert counted and int(counted.group(1)) == queued
    kind = client.get("/notifications/?kind=named-alert").content.decode()
    assert "No notifications match these filters." in kind
    row = hidden.first()
    row.status = Status.FAILED
    row.save()
    assert client.post(f"/notifications/{row.pk}/retry/").status_code == 404
    client.post("/notifications/retry-failed/")
    row.refresh_from_db()
    assert row.status == Status.FAILED


def test_an_administrator_who_sits_on_the_channel_panel_sees_its_notifications(
    signed_in, outbox, partnership
):
    RoleAssignment.objects.create(person=person("ari.admin"), role="channel-coordinator")
    html = signed_in("ari.admin").get("/notifications/").content.decode()
    assert outbox["channel"].reference in html
    assert all(row.recipient.name in html for row in channel_rows(outbox))


def test_a_persons_own_list_leaves_out_cases_they_can_no_longer_see(signed_in, outbox):
    sam = person("sam.social")
    mine = Notification.objects.filter(recipient=sam)
    assert mine.count() == 2
    RoleAssignment.objects.filter(person=sam).delete()
    Disagreement.objects.filter(other_professional=sam).update(other_professional=None)
    html = signed_in("sam.social").get("/notifications/mine/").content.decode()
    assert not any(row.disagreement.reference in html for row in mine)


def test_administrators_filter_by_status_and_kind(signed_in, outbox):
    client = signed_in("ari.admin")
    html = client.get("/notifications/?status=failed").content.decode()
    assert "Nia Evans" in html and "Sam Okafor" not in html
    html = client.get("/notifications/?kind=raised-with-you&status=sent").content.decode()
    assert "Sam Okafor" in html and "Nia Evans" not in html


def test_a_filter_not_in_the_list_gets_a_plain_message_not_an_error_page(signed_in, outbox):
    response = signed_in("ari.admin").get("/notifications/?status=exploded&page=zzz")
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "Choose a status from the list" in html
    assert html.count("<title>Error: Notifications") == 1


def test_a_failed_notification_is_sent_again_at_the_press_of_a_button(signed_in, outbox, settings):
    failed = Notification.objects.get(status=Status.FAILED)
    response = signed_in("ari.admin").post(f"/notifications/{failed.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.QUEUED, 0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.notifications_send_due(now=at(2026, 12, 23, 14)).sent >= 1
    failed.refresh_from_db()
    assert failed.status == Status.SENT


def test_all_failed_notifications_are_sent_again_at_once(signed_in, outbox):
    response = signed_in("ari.admin").post("/notifications/retry-failed/", follow=True)
    assert "1 failed notifications will be sent again." in response.content.decode()
    assert not Notification.objects.filter(status=Status.FAILED).exists()


@pytest.mark.parametrize("username", ["nia.nurse", "ben.business", "chris.chair"])
def test_only_administrators_may_see_the_outbox(signed_in, outbox, username):
    client = signed_in(username)
    assert client.get("/notifications/").status_code == 404
    failed = Notification.objects.get(status=Status.FAILED)
    assert client.post(f"/notifications/{failed.pk}/retry/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_signing_in_is_needed(client, outbox):
    for url in ("/notifications/", "/notifications/mine/"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_a_person_sees_every_notification_sent_to_them_and_no_one_elses(signed_in, outbox):
    html = signed_in("sam.social").get("/notifications/mine/").content.decode()
    mine = Notification.objects.filter(recipient=person("sam.social"))
    assert mine.count() == 2
    for row in mine:
        assert row.subject in html
    references = {row.disagreement.reference for row in Notification.objects.all()}
    not_mine = references - {row.disagreement.reference for row in mine}
    assert not_mine and not any(reference in html for reference in not_mine)
    empty = signed_in("ari.admin").get("/notifications/mine/").content.decode()
    assert "Parley has not sent you any notifications yet." in empty


def test_the_lists_cost_the_same_few_queries_however_long(
    signed_in, outbox, partnership, django_assert_max_num_queries
):
    admin, sam = signed_in("ari.admin"), signed_in("sam.social")
    admin.get("/notifications/")
    sam.get("/notifications/mine/")
    with django_assert_max_num_queries(20) as few:
        admin.get("/notifications/")
    with django_assert_max_num_queries(15) as few_mine:
        sam.get("/notifications/mine/")
    for day in range(1, 20):
        raise_case(partnership, "twsp", at(2026, 11, day, 10))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin.get("/notifications/")
    with django_assert_max_num_queries(len(few_mine.captured_queries)):
        sam.get("/notifications/mine/")
