"""Sessions end after 30 minutes without a request, and 10 hours after signing in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tests.accounts.pages import sign_in_fully

pytestmark = pytest.mark.django_db


@pytest.fixture
def nia(demo: Any, clock: Any) -> Client:
    client = Client()
    sign_in_fully(client, "nia.nurse")
    return client


def test_session_ends_after_30_minutes_without_a_request(nia: Client, clock: Any) -> None:
    clock.shift(timedelta(minutes=30, seconds=1))
    response = nia.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2Faccount%2F"


def test_each_request_keeps_the_session_alive(nia: Client, clock: Any) -> None:
    for _ in range(4):
        clock.shift(timedelta(minutes=29))
        assert nia.get("/account/").status_code == 200


def test_session_ends_10_hours_after_signing_in_however_busy(nia: Client, clock: Any) -> None:
    for _ in range(20):
        clock.shift(timedelta(minutes=29, seconds=59))
        assert nia.get("/account/").status_code == 200
    clock.shift(timedelta(minutes=1))  # 10 hours and 1 second since signing in
    response = nia.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2Faccount%2F"
    # Signed out, not just turned away: the sign-in page asks again.
    assert nia.get("/sign-in/code/")["Location"] == "/sign-in/"


def test_session_cookie_ends_when_the_browser_closes(demo: Any, clock: Any) -> None:
    from django.conf import settings

    client = Client()
    sign_in_fully(client, "nia.nurse")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
