"""In development, every e-mail Parley writes can be read on a page, its links working on
the port being served, and a notice held for working hours says when it will go and why."""

from __future__ import annotations

import html
from datetime import time
from typing import Any

import time_machine
from django.test import override_settings

from parley.core.calendar import WorkingCalendar
from parley.core.notify import WorkingHours, held_words
from parley.notifications.models import Notification
from tests.notifications.conftest import at, raise_case

PAGE = "/notifications/development-mail/"


def text(response: Any) -> str:
    page = response.content.decode()
    return html.unescape(page[page.index("<main") : page.index("</main>")])


def test_a_notice_written_on_a_sunday_waits_for_monday_and_says_why() -> None:
    words = held_words(
        at(2026, 12, 6, 10, 9),
        at(2026, 12, 7, 8, 0),
        calendar=WorkingCalendar(),
        hours=WorkingHours(time(8), time(18)),
        urgent=False,
    )
    assert "8am on Monday 7 December 2026" in words
    assert "Sunday 6 December 2026 is not a working day" in words
    assert "8am to 6pm" in words


def test_a_notice_within_working_hours_is_not_held() -> None:
    moment = at(2026, 12, 7, 10, 0)
    hours = WorkingHours(time(8), time(18))
    assert held_words(moment, moment, calendar=WorkingCalendar(), hours=hours, urgent=False) == ""


def test_an_evening_notice_says_it_was_written_after_working_hours() -> None:
    words = held_words(
        at(2026, 12, 7, 19, 30),
        at(2026, 12, 8, 8, 0),
        calendar=WorkingCalendar(),
        hours=WorkingHours(time(8), time(18)),
        urgent=False,
    )
    assert "7:30pm, after working hours" in words


@override_settings(PARLEY_BASE_URL="http://127.0.0.1:8000")
def test_the_mail_page_lists_every_email_with_links_on_the_port_served(
    partnership: Any, signed_in: Any
) -> None:
    with time_machine.travel(at(2026, 12, 6, 10, 9), tick=False):
        case = raise_case(partnership, "twsp", at(2026, 12, 6, 10, 9))
    written = Notification.objects.filter(disagreement=case)
    assert written.exists()
    response = signed_in("nia.nurse").get(PAGE, HTTP_HOST="127.0.0.1:8117")
    assert response.status_code == 200
    page = text(response)
    for row in written:
        assert row.subject in page
        assert row.recipient.email in page
    assert f"http://127.0.0.1:8117/cases/{case.reference}/" in page
    assert "127.0.0.1:8000" not in page
    assert "Held until 8am on Monday 7 December 2026" in page
    assert "Sunday 6 December 2026 is not a working day" in page


def test_the_mail_page_shows_emails_parley_wrote_outside_the_outbox(
    partnership: Any, signed_in: Any, tmp_path: Any
) -> None:
    from django.core.mail import EmailMessage

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=tmp_path,
        PARLEY_BASE_URL="http://127.0.0.1:8000",
    ):
        EmailMessage(
            subject="Your Parley account",
            body="Set your password: http://127.0.0.1:8000/account/abc/",
            to=["new.person@demoshire.example"],
        ).send()
        page = text(signed_in("nia.nurse").get(PAGE, HTTP_HOST="localhost:8117"))
    assert "Your Parley account" in page
    assert "new.person@demoshire.example" in page
    assert "http://localhost:8117/account/abc/" in page


def test_there_is_no_mail_page_in_production(partnership: Any, signed_in: Any) -> None:
    client = signed_in("nia.nurse")
    with override_settings(PRODUCTION=True):
        assert client.get(PAGE).status_code == 404


def test_every_page_tells_a_developer_where_the_emails_are(
    partnership: Any, signed_in: Any
) -> None:
    client = signed_in("nia.nurse")
    assert PAGE in client.get("/").content.decode()
    with override_settings(PRODUCTION=True):
        assert PAGE not in client.get("/").content.decode()


def test_the_confirmation_says_when_the_people_told_will_hear(
    partnership: Any, signed_in: Any
) -> None:
    from tests.web.test_raise import raise_through_pages, twsp_answers

    client = signed_in("nia.nurse")
    with time_machine.travel(at(2026, 12, 6, 10, 9), tick=False):
        raise_through_pages(client, twsp_answers())
        page = text(client.get("/raise/confirmation/"))
    assert "Sam Okafor" in page
    assert "Held until 8am on Monday 7 December 2026" in page
    assert "Sunday 6 December 2026 is not a working day" in page
