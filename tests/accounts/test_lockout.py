"""The tenth wrong password or code locks the account and the address for 15 minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory

from parley.accounts.services import client_address, clock_time
from tests.accounts.conftest import LONDON
from tests.accounts.pages import (
    code_step,
    demo_code,
    error_summary,
    password_step,
    sign_in_fully,
)

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts. Try again after 10:45am, or contact your partnership administrator."
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


def wrong_passwords(username: str, times: int, address: str = HOME) -> Any:
    response = None
    for _ in range(times):
        response = password_step(Client(), username, password="wrong", REMOTE_ADDR=address)
    return response


def test_nine_wrong_passwords_do_not_lock(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 9)
    response = password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME)
    assert response.status_code == 302


def test_tenth_wrong_password_locks_the_account_even_with_the_right_password(
    demo: Any, clock: Any
) -> None:
    tenth = wrong_passwords("nia.nurse", 10)
    assert LOCKED in error_summary(tenth)
    # The right password, from another address: still refused.
    response = password_step(Client(), "nia.nurse", REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 200
    assert LOCKED in error_summary(response)
    # By email address too: one account, one count.
    response = password_step(Client(), "nia.nurse@demoshire.example", REMOTE_ADDR=ELSEWHERE)
    assert LOCKED in error_summary(response)


def test_tenth_wrong_password_locks_the_address_for_every_account(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 10)
    response = password_step(Client(), "sam.social", REMOTE_ADDR=HOME)
    assert LOCKED in error_summary(response)
    # Another account from another address is not affected.
    assert password_step(Client(), "sam.social", REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_lock_message_does_not_say_whether_the_account_exists(demo: Any, clock: Any) -> None:
    real = wrong_passwords("nia.nurse", 10, address=HOME)
    made_up = wrong_passwords("no.such.person", 10, address=ELSEWHERE)
    assert error_summary(real) == error_summary(made_up)


def test_lock_ends_after_15_minutes(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 10)
    clock.shift(timedelta(minutes=14, seconds=59))
    assert LOCKED in error_summary(password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME))
    clock.shift(timedelta(seconds=2))
    assert password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME).status_code == 302


def test_failures_older_than_15_minutes_do_not_count(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 5)
    clock.shift(timedelta(minutes=16))
    wrong_passwords("nia.nurse", 9)
    assert password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME).status_code == 302


def test_ten_failures_spread_over_more_than_15_minutes_do_not_lock(demo: Any, clock: Any) -> None:
    """The tenth within 15 minutes locks: one every ten minutes never makes ten
    (django-axes would lock here, its count living while each failure follows the last
    within 15 minutes: docs/adr/0011)."""
    for _ in range(10):
        wrong_passwords("nia.nurse", 1)
        clock.shift(timedelta(minutes=10))
    assert password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME).status_code == 302


def test_attempts_while_locked_do_not_make_the_lock_longer(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 10)
    clock.shift(timedelta(minutes=10))
    wrong_passwords("nia.nurse", 5)
    clock.shift(timedelta(minutes=5, seconds=1))
    assert password_step(Client(), "nia.nurse", REMOTE_ADDR=HOME).status_code == 302


def test_completed_sign_in_clears_the_account_count(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 9, address=ELSEWHERE)
    sign_in_fully(Client(), "nia.nurse", REMOTE_ADDR=HOME)
    wrong_passwords("nia.nurse", 9, address=HOME)
    clock.shift(timedelta(minutes=1))
    assert sign_in_fully(Client(), "nia.nurse", REMOTE_ADDR="10.0.0.3")["Location"] == "/"


def test_the_password_alone_does_not_clear_the_count(demo: Any, clock: Any) -> None:
    wrong_passwords("nia.nurse", 9)
    client = Client()
    password_step(client, "nia.nurse", REMOTE_ADDR=ELSEWHERE)
    response = code_step(client, "000000" if demo_code() != "000000" else "111111")
    assert LOCKED in error_summary(response)


def test_wrong_codes_count_towards_the_lock_and_end_the_session(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "nia.nurse", REMOTE_ADDR=HOME)
    wrong = "000000" if demo_code() != "000000" else "111111"
    response = code_step(client, wrong, REMOTE_ADDR=HOME)
    for failures in range(1, 9):
        assert "The code is not right" in error_summary(response)
        # Wait out django-otp's own back-off (1, 2, 4 ... 256 seconds): 8.5 minutes in all.
        clock.shift(timedelta(seconds=2 ** (failures - 1)))
        response = code_step(client, wrong, REMOTE_ADDR=HOME)
    clock.shift(timedelta(seconds=2**8))
    response = code_step(client, wrong, REMOTE_ADDR=HOME)
    # The tenth, at 10:38:31: locked until 10:53:31.
    assert "Too many attempts. Try again after 10:54am" in error_summary(response)
    # The half-signed-in session is over; the right password is refused for now.
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert "Too many attempts" in error_summary(password_step(Client(), "nia.nurse"))


def test_lock_is_kept_in_the_database_for_every_web_process(demo: Any, clock: Any) -> None:
    """Two clients stand for two web processes: they share nothing but the database."""
    first_process, second_process = Client(), Client()
    for _ in range(5):
        password_step(first_process, "nia.nurse", password="wrong", REMOTE_ADDR=HOME)
    for _ in range(5):
        response = password_step(
            second_process, "nia.nurse", password="wrong", REMOTE_ADDR=ELSEWHERE
        )
    assert LOCKED in error_summary(response)
    assert LOCKED in error_summary(
        password_step(first_process, "nia.nurse", REMOTE_ADDR="10.9.9.9")
    )


def test_threshold_and_duration_are_settings(demo: Any, clock: Any, settings: Any) -> None:
    settings.PARLEY_LOCKOUT_THRESHOLD = 3
    settings.PARLEY_LOCKOUT_MINUTES = 60
    response = wrong_passwords("nia.nurse", 3)
    assert "Try again after 11:30am" in error_summary(response)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # left part written by the client
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: do not guess
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_client_address_believes_only_trusted_proxies(
    settings: Any, proxies: int, forwarded: str, expected: str
) -> None:
    settings.PARLEY_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "second", "shown"),
    [
        (10, 45, 0, "10:45am"),
        (10, 44, 1, "10:45am"),
        (12, 0, 0, "midday"),
        (0, 0, 0, "midnight"),
        (13, 5, 0, "1:05pm"),
        (0, 30, 0, "12:30am"),
    ],
)
def test_lock_time_is_shown_the_gov_uk_way(hour: int, minute: int, second: int, shown: str) -> None:
    from datetime import datetime

    assert clock_time(datetime(2026, 3, 10, hour, minute, second, tzinfo=LONDON)) == shown


def test_old_failures_and_ended_locks_are_forgotten(demo: Any, clock: Any) -> None:
    from parley.accounts.models import SignInFailure, SignInThrottle

    for number in range(30):
        password_step(
            Client(), f"made.up.{number}", password="wrong", REMOTE_ADDR=f"10.1.0.{number}"
        )
    clock.shift(timedelta(minutes=16))
    password_step(Client(), "nia.nurse", password="wrong", REMOTE_ADDR=HOME)
    assert SignInFailure.objects.count() == 2
    assert SignInThrottle.objects.count() == 2
