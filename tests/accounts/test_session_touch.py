"""A signed-in session's idle limit moves on with use, its row written at most once a
minute; a session left for 30 minutes has ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from parley.cases.demo import demo_load

pytestmark = pytest.mark.django_db


def expiry(client) -> object:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_requests_within_a_minute_write_the_session_once(signed_in, time_machine):
    demo_load(with_cases=False)
    time_machine.move_to(timezone.now())
    client = signed_in("nia.nurse")
    assert client.get("/").status_code == 200
    first = expiry(client)
    time_machine.shift(timedelta(seconds=30))
    assert client.get("/").status_code == 200
    assert expiry(client) == first  # read, not written
    time_machine.shift(timedelta(seconds=31))
    assert client.get("/").status_code == 200
    assert expiry(client) > first  # a minute on: the idle limit moved


def test_a_session_idle_for_thirty_minutes_has_ended(signed_in, time_machine):
    demo_load(with_cases=False)
    time_machine.move_to(timezone.now())
    client = signed_in("nia.nurse")
    assert client.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=29))
    assert client.get("/").status_code == 200  # still within the limit
    time_machine.shift(timedelta(minutes=30, seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
