"""The GOV.UK Notify adapter, through the real client library, against a local fake of
Notify's HTTP API that checks each request's token as Notify does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.cases.demo import person
from parley.notifications import services as notifications
from parley.notifications.channels import DeliveryError, GovukNotifyChannel, Outgoing
from parley.notifications.models import Notification
from parley.notifications.services import _claim
from tests.notifications.conftest import SECRETS, at, raise_case
from tests.notifications.fake_notify import API_KEY, SERVICE_ID, TEMPLATE_ID, FakeNotify

Status = Notification.Status


@pytest.fixture
def notify(settings) -> Iterator[FakeNotify]:
    fake = FakeNotify().start()
    settings.PARLEY_NOTIFY_CHANNEL = "govuk-notify"
    settings.PARLEY_NOTIFY_GOVUK_API_KEY = API_KEY
    settings.PARLEY_NOTIFY_GOVUK_TEMPLATE_ID = TEMPLATE_ID
    settings.PARLEY_NOTIFY_GOVUK_BASE_URL = fake.url
    yield fake
    fake.stop()


def outgoing(key: str = "8d4c5f7e-0000-4000-8000-000000000001", repeat: bool = False):
    return Outgoing("sam@example.org", "Parley: Reminder", "Due by 5pm.", key, (1,), repeat)


def test_a_message_goes_to_notify_with_its_delivery_key_as_the_reference(notify):
    reference = GovukNotifyChannel().deliver(outgoing())
    (post,) = notify.posts
    assert reference == post["id"]
    assert post["email_address"] == "sam@example.org"
    assert post["template_id"] == TEMPLATE_ID
    assert post["personalisation"] == {"subject": "Parley: Reminder", "body": "Due by 5pm."}
    assert post["reference"] == "8d4c5f7e-0000-4000-8000-000000000001"
    assert notify.refused == []


def test_a_repeat_already_with_notify_is_not_sent_again(notify):
    first = GovukNotifyChannel().deliver(outgoing())
    again = GovukNotifyChannel().deliver(outgoing(repeat=True))
    assert again == first and len(notify.posts) == 1
    assert notify.lookups == ["8d4c5f7e-0000-4000-8000-000000000001"]
    GovukNotifyChannel().deliver(outgoing(key="8d4c5f7e-0000-4000-8000-000000000002", repeat=True))
    assert len(notify.posts) == 2  # not there yet, so sent


def test_a_wrong_key_is_refused_by_notify_and_fails_at_once(notify, settings):
    settings.PARLEY_NOTIFY_GOVUK_API_KEY = f"parley_test-{SERVICE_ID}-{'0' * 36}"
    with pytest.raises(DeliveryError) as refused:
        GovukNotifyChannel().deliver(outgoing())
    assert refused.value.permanent
    assert "403" in refused.value.reason and notify.posts == []
    assert notify.refused == ["Invalid token: Signature verification failed"]


def test_a_notify_that_is_down_is_tried_again_later(notify):
    notify.fail_with = 500
    with pytest.raises(DeliveryError) as failed:
        GovukNotifyChannel().deliver(outgoing())
    assert not failed.value.permanent and "500" in failed.value.reason


def test_without_a_key_nothing_is_sent_and_the_failure_says_why(notify, settings):
    settings.PARLEY_NOTIFY_GOVUK_API_KEY = ""
    with pytest.raises(DeliveryError, match="not set up") as refused:
        GovukNotifyChannel().deliver(outgoing())
    assert refused.value.permanent


@pytest.mark.django_db
def test_the_outbox_sends_through_notify_without_personal_details(notify, partnership):
    case = raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    report = notifications.notifications_send_due(now=at(2026, 12, 23, 10))
    assert report.sent == 1
    (post,) = notify.posts
    row = Notification.objects.get()
    assert (row.channel, row.status, row.provider_reference) == (
        "govuk-notify",
        Status.SENT,
        post["id"],
    )
    assert post["reference"] == str(row.delivery_key)
    assert post["email_address"] == person("sam.social").email
    text = str(post["personalisation"])
    assert case.reference in text
    for secret in SECRETS.values():
        assert secret not in text


@pytest.mark.django_db
def test_a_delivery_interrupted_after_notify_took_it_is_not_sent_twice(notify, partnership):
    raise_case(partnership, "twsp", at(2026, 12, 23, 10))
    (claimed,) = _claim(now=at(2026, 12, 23, 10), batch=20)
    GovukNotifyChannel().deliver(outgoing(key=str(claimed.key)))  # sent; then the crash
    report = notifications.notifications_send_due(now=at(2026, 12, 23, 10, 6))
    assert report.sent == 1 and len(notify.posts) == 1
    assert notify.lookups == [str(claimed.key)]
