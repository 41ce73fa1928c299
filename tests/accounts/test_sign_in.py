"""Signing in through the real pages: password, then a code; recovery codes; signing out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from parley.accounts import services
from tests.accounts.pages import (
    code_step,
    demo_code,
    error_summary,
    password_step,
    sign_in_fully,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The audit records sign-in asks for: (action, detail)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(*, action: str, request: Any = None, detail: Any = None, **_: Any) -> None:
        calls.append((action, dict(detail or {})))

    monkeypatch.setattr(services, "audit_record", record)
    return calls


def test_anonymous_visitor_is_sent_to_sign_in_and_back(demo: Any, clock: Any) -> None:
    client = Client()
    response = client.get("/account/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2Faccount%2F%3Ftab%3D1"

    response = client.post(
        "/sign-in/?next=%2Faccount%2F",
        {"username": "nia.nurse", "password": "demo-password-1", "next": "/account/"},
    )
    assert response["Location"] == "/sign-in/code/?next=%2Faccount%2F"
    response = client.post("/sign-in/code/", {"code": demo_code(), "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_password_alone_opens_no_page(demo: Any, clock: Any) -> None:
    client = Client()
    response = password_step(client, "nia.nurse")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/code/"
    for path in ("/", "/account/", "/account/recovery-codes/", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/sign-in/code/"), path


def test_password_then_the_code_from_the_authenticator_app_signs_in(demo: Any, clock: Any) -> None:
    client = Client()
    response = sign_in_fully(client, "nia.nurse")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/account/").status_code == 200


def test_email_address_works_in_place_of_the_username(demo: Any, clock: Any) -> None:
    client = Client()
    response = password_step(client, "Nia.Nurse@demoshire.example")
    assert response["Location"] == "/sign-in/code/"


def test_wrong_password_is_refused_with_the_error_summary(demo: Any, clock: Any) -> None:
    response = password_step(Client(), "nia.nurse", password="not-the-password")
    assert response.status_code == 200
    assert "There is a problem" in error_summary(response)
    assert 'href="#username"' in error_summary(response)
    assert "Enter a correct username (or email address) and password" in error_summary(response)
    assert response.content.decode().count("<title>Error: Sign in") == 1


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(demo: Any, clock: Any) -> None:
    unknown = password_step(Client(), "no.such.person", password="not-the-password")
    wrong = password_step(Client(), "nia.nurse", password="not-the-password")
    assert error_summary(unknown) == error_summary(wrong)


def test_empty_fields_are_each_named_in_the_error_summary(demo: Any) -> None:
    response = Client().post("/sign-in/", {"username": "", "password": ""})
    summary = error_summary(response)
    assert "Enter your username or email address" in summary
    assert "Enter your password" in summary


def test_wrong_code_is_refused_with_the_error_summary(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "nia.nurse")
    wrong = f"{(int(demo_code()) + 1) % 1_000_000:06d}"
    response = code_step(client, wrong)
    assert response.status_code == 200
    summary = error_summary(response)
    assert 'href="#code"' in summary
    assert "The code is not right" in summary
    assert 'class="govuk-form-group govuk-form-group--error"' in response.content.decode()
    assert Client().get("/").status_code == 302
    # Still only half signed in.
    assert client.get("/")["Location"].startswith("/sign-in/code/")


def test_code_of_the_wrong_shape_gets_a_plain_message(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "nia.nurse")
    response = code_step(client, "12ab")
    assert "The code must be 6 digits, like 123456" in error_summary(response)


def test_code_entered_straight_after_a_wrong_one_asks_to_wait(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "nia.nurse")
    code_step(client, "000000" if demo_code() != "000000" else "111111")
    response = code_step(client, demo_code())
    assert "Several wrong codes were entered. Wait 1 second," in error_summary(response)
    clock.shift(timedelta(seconds=2))
    assert code_step(client, demo_code())["Location"] == "/"


def test_a_code_works_once(demo: Any, clock: Any) -> None:
    first = Client()
    sign_in_fully(first, "nia.nurse")
    second = Client()
    password_step(second, "nia.nurse")
    response = code_step(second, demo_code())
    assert response.status_code == 200
    assert "The code is not right" in error_summary(response)


def test_recovery_code_works_once_only(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "sam.social")
    page = client.get("/sign-in/code/").content.decode()
    assert 'href="/sign-in/recovery-code/"' in page
    response = client.post("/sign-in/recovery-code/", {"code": "22222-22222"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/account/").status_code == 200

    again = Client()
    password_step(again, "sam.social")
    clock.shift(timedelta(seconds=5))
    response = again.post("/sign-in/recovery-code/", {"code": "22222 22222"})
    assert response.status_code == 200
    assert "has been used" in error_summary(response)
    clock.shift(timedelta(seconds=5))
    assert again.post("/sign-in/recovery-code/", {"code": "33333-33333"})["Location"] == "/"


def test_recovery_code_of_the_wrong_shape_gets_a_plain_message(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "sam.social")
    response = client.post("/sign-in/recovery-code/", {"code": "123"})
    assert "A recovery code is 10 letters and numbers" in error_summary(response)


def test_session_key_changes_at_each_step(demo: Any, clock: Any) -> None:
    from django.conf import settings

    client = Client()
    client.get("/sign-in/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen-session-key"
    password_step(client, "nia.nurse")
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_password != "attacker-chosen-session-key"
    code_step(client, demo_code())
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != after_password


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_next_to_another_site_is_refused(demo: Any, clock: Any, target: str) -> None:
    client = Client()
    response = client.post(
        "/sign-in/", {"username": "nia.nurse", "password": "demo-password-1", "next": target}
    )
    assert response["Location"] == "/sign-in/code/"
    response = client.post("/sign-in/code/", {"code": demo_code(), "next": target})
    assert response["Location"] == "/"


def test_signed_in_person_visiting_sign_in_goes_to_next(demo: Any, clock: Any) -> None:
    client = Client()
    sign_in_fully(client, "nia.nurse")
    assert client.get("/sign-in/?next=/account/")["Location"] == "/account/"
    assert client.get("/sign-in/?next=https://evil.example/")["Location"] == "/"


def test_sign_out_asks_first_then_ends_the_session(demo: Any, clock: Any) -> None:
    client = Client()
    sign_in_fully(client, "nia.nurse")
    confirm = client.get("/sign-out/")
    assert confirm.status_code == 200
    assert 'action="/sign-out/"' in confirm.content.decode()
    assert client.get("/account/").status_code == 200  # a GET signs no one out

    response = client.post("/sign-out/")
    assert response.status_code == 200
    assert "You have signed out" in response.content.decode()
    assert client.get("/account/")["Location"] == "/sign-in/?next=%2Faccount%2F"


def test_forms_refuse_a_post_without_the_csrf_token(demo: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/sign-in/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = client.post("/sign-in/", {"username": "nia.nurse", "password": "demo-password-1"})
    assert response.status_code == 403


def test_sign_in_is_recorded_in_the_audit_trail(
    demo: Any, clock: Any, audited: list[tuple[str, dict[str, Any]]]
) -> None:
    client = Client()
    password_step(client, "nia.nurse", password="wrong")
    sign_in_fully(client, "nia.nurse")
    client.post("/sign-out/")
    assert [action for action, _ in audited] == ["signin.failed", "signin", "signout"]
    assert audited[0][1]["username"] == "nia.nurse"


def test_argon2_is_the_first_password_hasher() -> None:
    # tests/conftest.py swaps in MD5 for speed; the real setting is read from the module.
    from parley import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sign_in_with_an_argon2_password(demo: Any, clock: Any, settings: Any) -> None:
    from django.contrib.auth import get_user_model

    from parley import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    user = get_user_model().objects.get(username="nia.nurse")
    user.set_password("a-long-argon2-password")
    user.save()
    assert user.password.startswith("argon2$")
    response = password_step(Client(), "nia.nurse", password="a-long-argon2-password")
    assert response["Location"] == "/sign-in/code/"


def test_signed_in_fixture_passes_the_second_factor(demo: Any, signed_in: Any) -> None:
    client = signed_in("ben.business")
    assert client.get("/account/").status_code == 200
    assert "Ben Achebe" in client.get("/account/").content.decode()


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/sign-in/", {"username": "x" * 300, "password": "p"}, "254 characters or fewer"),
        ("/sign-in/code/", {"code": "1" * 50}, "The code must be 6 digits"),
        ("/sign-in/recovery-code/", {"code": "a" * 50}, "A recovery code is 10 letters"),
    ],
)
def test_odd_input_gets_a_plain_message_not_an_error_page(
    demo: Any, clock: Any, path: str, data: dict[str, str], message: str
) -> None:
    client = Client()
    if path != "/sign-in/":
        password_step(client, "nia.nurse")
    response = client.post(path, data)
    assert response.status_code == 200
    assert message in error_summary(response)
