"""What a partnership administrator can do about sign-in: reset an app, lift a lock."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parley.cli import main
from tests.accounts.pages import error_summary, password_step

pytestmark = pytest.mark.django_db


def test_reset_authenticator_unverifies_sessions_and_asks_for_a_new_app(
    demo: Any, clock: Any, signed_in: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client = signed_in("pat.police")
    assert client.get("/account/").status_code == 200
    assert main(["authenticator-reset", "pat.police"]) == 0
    assert "will set up a new app" in capsys.readouterr().out
    # The session open on her old phone's code is no longer enough.
    assert client.get("/account/")["Location"].startswith("/account/set-up-authenticator/")
    fresh = Client()
    assert password_step(fresh, "pat.police")["Location"] == "/account/set-up-authenticator/"


def test_reset_names_an_unknown_username(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["authenticator-reset", "no.such.person"]) == 1
    assert 'there is no one with the username "no.such.person"' in capsys.readouterr().err


def test_unlock_lifts_a_lock(demo: Any, clock: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(10):
        password_step(Client(), "pat.police", password="wrong", REMOTE_ADDR="10.0.0.1")
    assert "Too many attempts" in error_summary(password_step(Client(), "pat.police"))
    assert main(["sign-in-unlock", "Pat.Police"]) == 0
    assert "on 1 account name(s)" in capsys.readouterr().out
    # The address stays locked until it is lifted too.
    assert "Too many attempts" in error_summary(
        password_step(Client(), "pat.police", REMOTE_ADDR="10.0.0.1")
    )
    assert main(["sign-in-unlock"]) == 0
    assert password_step(Client(), "pat.police", REMOTE_ADDR="10.0.0.1").status_code == 302
