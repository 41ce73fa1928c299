"""Accounts from invitation to a changed password, on GOV.UK pages, audited, lockout applied.

Before, the directory made people without accounts and nobody could set, change or reset
a password: a one-time password given by hand could never be changed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from parley.accounts.lifecycle import (
    AccountError,
    account_deactivate,
    invitation_send,
    password_reset_send,
)
from parley.accounts.models import AccountLink
from parley.accounts.services import authenticator_reset
from parley.audit.models import AuditEntry
from parley.cases import demo as demo_module
from parley.cases.demo import DEMO_PASSWORD
from parley.cases.models import Partnership, Person
from tests.accounts.pages import demo_code, error_summary, password_step

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct horse battery staple"
LOCKED = "Too many attempts."


@pytest.fixture
def newcomer(demo: Any) -> Person:
    """Someone the directory import added: a person with no account."""
    return Person.objects.create(
        partnership=Partnership.objects.get(slug=demo_module.DEMO_SLUG),
        name="Noor Newcomer",
        email="Noor.Newcomer@demoshire.example",
        job_title="Social worker",
    )


@pytest.fixture
def ari(demo: Any) -> Person:
    return demo_module.person("ari.admin")


def link_in(message: Any) -> str:
    found = re.search(r"http://[^\s]+/sign-in/link/([^/\s]+)/", message.body)
    assert found, message.body
    return f"/sign-in/link/{found.group(1)}/"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


# --- invitations ------------------------------------------------------------------------


def test_an_invitation_makes_the_account_and_emails_a_link(newcomer: Person, ari: Person) -> None:
    invitation_send(person=newcomer, by=ari)
    newcomer.refresh_from_db()
    user = newcomer.user
    assert user is not None and user.username == "noor.newcomer@demoshire.example"
    assert not user.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["Noor.Newcomer@demoshire.example"]
    assert message.subject == "Set up your Parley account"
    assert "noor.newcomer@demoshire.example" in message.body and link_in(message)
    (entry,) = entries("account.invite")
    assert entry.person == ari and entry.detail == {"account": user.username}
    # Only the digest of the link's secret is kept.
    secret = link_in(message).split("/")[3]
    assert not AccountLink.objects.filter(secret_sha256__contains=secret).exists()


def test_following_the_invitation_sets_the_password_then_the_app(
    newcomer: Person, ari: Person, clock: Any
) -> None:
    invitation_send(person=newcomer, by=ari)
    client = Client()
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/set-password/"  # the secret leaves the address
    page = client.get("/sign-in/set-password/").content.decode()
    assert "Set your password" in page and "Noor Newcomer" in page
    weak = client.post("/sign-in/set-password/", {"password": "short", "password_again": "short"})
    assert "Password must be 12 characters or more" in error_summary(weak)
    mismatch = client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"}
    )
    assert "The passwords do not match" in error_summary(mismatch)
    done = client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done["Location"] == "/account/set-up-authenticator/"
    assert client.get("/account/set-up-authenticator/").status_code == 200
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)
    (entry,) = entries("account.password")
    assert entry.person == newcomer and entry.detail["how"] == "invitation"


def test_a_link_works_once(newcomer: Person, ari: Person) -> None:
    invitation_send(person=newcomer, by=ari)
    link = link_in(mail.outbox[0])
    client = Client()
    client.get(link)
    client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    again = Client().get(link)
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()


def test_a_link_expires(newcomer: Person, ari: Person, clock: Any) -> None:
    invitation_send(person=newcomer, by=ari)
    clock.shift(timedelta(days=7, minutes=1))
    assert Client().get(link_in(mail.outbox[0])).status_code == 404


def test_a_new_invitation_cancels_the_old(newcomer: Person, ari: Person) -> None:
    invitation_send(person=newcomer, by=ari)
    invitation_send(person=newcomer, by=ari)
    first, second = (link_in(m) for m in mail.outbox)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 302


def test_a_deactivated_account_is_not_invited(newcomer: Person, ari: Person) -> None:
    invitation_send(person=newcomer, by=ari)
    link = link_in(mail.outbox[0])
    account_deactivate(person=newcomer, by=ari)
    assert Client().get(link).status_code == 404  # the link stopped too
    with pytest.raises(AccountError, match="deactivated"):
        invitation_send(person=newcomer, by=ari)


def test_guessing_links_locks_the_address(newcomer: Person, ari: Person, clock: Any) -> None:
    invitation_send(person=newcomer, by=ari)
    for number in range(10):
        response = Client().get(f"/sign-in/link/{'x' * 30}{number}/", REMOTE_ADDR="10.9.9.9")
        assert response.status_code in (404, 200)
    locked = Client().get(link_in(mail.outbox[0]), REMOTE_ADDR="10.9.9.9")
    assert LOCKED in error_summary(locked)
    # The account itself is not locked: the same link works from elsewhere.
    assert Client().get(link_in(mail.outbox[0]), REMOTE_ADDR="10.1.1.1").status_code == 302
    assert len(entries("signin.failed")) == 10


# --- changing a password ------------------------------------------------------------------


def test_changing_a_password_keeps_this_session_and_ends_the_others(
    demo: Any, signed_in: Any
) -> None:
    here, elsewhere = signed_in("nia.nurse"), signed_in("nia.nurse")
    response = here.post(
        "/account/password/",
        {"current": DEMO_PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response["Location"] == "/account/"
    assert "Your password has been changed" in here.get("/account/").content.decode()
    assert elsewhere.get("/account/").status_code == 302
    user = get_user_model().objects.get(username="nia.nurse")
    assert user.check_password(NEW_PASSWORD)
    (entry,) = entries("account.password")
    assert entry.detail == {"account": "nia.nurse", "how": "change", "sessions_ended": 1}


def test_a_wrong_current_password_counts_towards_the_lockout(
    demo: Any, signed_in: Any, clock: Any
) -> None:
    client = signed_in("nia.nurse")
    data = {"current": "wrong", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    first = client.post("/account/password/", data)
    assert "Your current password is not right" in error_summary(first)
    for _ in range(9):
        last = client.post("/account/password/", data)
    assert LOCKED in error_summary(last)
    assert client.get("/account/").status_code == 302  # signed out
    assert password_step(Client(), "nia.nurse").status_code == 200  # locked
    assert not get_user_model().objects.get(username="nia.nurse").check_password(NEW_PASSWORD)


def test_signed_out_people_cannot_change_a_password(demo: Any) -> None:
    response = Client().get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


# --- resetting a forgotten password -------------------------------------------------------


def reset_link_for(username: str) -> str:
    answer = Client().post("/sign-in/forgotten-password/", {"username": username})
    assert "Check your email" in answer.content.decode()
    (message,) = mail.outbox
    assert message.subject == "Reset your Parley password"
    return link_in(message)


def test_a_reset_needs_a_code_from_the_app(demo: Any, clock: Any) -> None:
    link = reset_link_for("nia.nurse@demoshire.example")
    client = Client()
    assert client.get(link)["Location"] == "/sign-in/set-password/"
    assert (
        "Code from your authenticator app" in client.get("/sign-in/set-password/").content.decode()
    )
    no_code = client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert "Enter the 6-digit code" in error_summary(no_code)
    wrong = client.post(
        "/sign-in/set-password/",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": "000000"},
    )
    assert "The code is not right" in error_summary(wrong)
    assert entries("signin.failed")[-1].detail == {"step": "reset"}
    too_soon = client.post(
        "/sign-in/set-password/",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": demo_code()},
    )
    assert "Wait 1 second" in error_summary(too_soon)  # django-otp's back-off, as at sign-in
    clock.shift(timedelta(seconds=2))
    done = client.post(
        "/sign-in/set-password/",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": demo_code()},
    )
    assert "Your password has been changed" in done.content.decode()
    response = password_step(Client(), "nia.nurse", password=NEW_PASSWORD)
    assert response["Location"] == "/sign-in/code/"
    assert [e.detail["how"] for e in entries("account.password")] == ["reset"]


def test_wrong_codes_on_the_reset_page_lock_the_account(demo: Any, clock: Any) -> None:
    link = reset_link_for("nia.nurse")
    client = Client()
    client.get(link)
    data = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": "000000"}
    for _ in range(10):
        last = client.post("/sign-in/set-password/", data)
        clock.shift(timedelta(seconds=20))  # past django-otp's own back-off
    assert LOCKED in error_summary(last)
    data["code"] = demo_code()
    assert LOCKED in error_summary(client.post("/sign-in/set-password/", data))
    assert not get_user_model().objects.get(username="nia.nurse").check_password(NEW_PASSWORD)


def test_the_reset_page_says_the_same_whoever_is_named(demo: Any) -> None:
    known = Client().post("/sign-in/forgotten-password/", {"username": "nia.nurse"})
    unknown = Client().post("/sign-in/forgotten-password/", {"username": "no.such.person"})
    assert known.content == unknown.content
    assert len(mail.outbox) == 1


def test_no_self_service_reset_without_an_app(demo: Any) -> None:
    authenticator_reset(user=get_user_model().objects.get(username="nia.nurse"))
    Client().post("/sign-in/forgotten-password/", {"username": "nia.nurse"})
    assert mail.outbox == []


def test_asking_again_and_again_sends_one_email(demo: Any) -> None:
    for _ in range(5):
        Client().post("/sign-in/forgotten-password/", {"username": "nia.nurse"})
    assert len(mail.outbox) == 1


def test_an_administrators_reset_link_needs_no_code(demo: Any, ari: Person, clock: Any) -> None:
    nia = demo_module.person("nia.nurse")
    password_reset_send(person=nia, by=ari)
    client = Client()
    client.get(link_in(mail.outbox[0]))
    assert "authenticator" not in client.get("/sign-in/set-password/").content.decode()
    done = client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert "Your password has been changed" in done.content.decode()
    assert entries("account.reset")[0].detail == {"account": "nia.nurse", "by_administrator": True}


def test_a_reset_ends_every_session(demo: Any, ari: Person, signed_in: Any) -> None:
    nia_elsewhere = signed_in("nia.nurse")
    password_reset_send(person=demo_module.person("nia.nurse"), by=ari)
    client = Client()
    client.get(link_in(mail.outbox[0]))
    client.post(
        "/sign-in/set-password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert nia_elsewhere.get("/account/").status_code == 302


# --- the administrator's page -------------------------------------------------------------


def test_an_administrator_invites_from_the_persons_page(newcomer: Person, signed_in: Any) -> None:
    admin = signed_in("ari.admin")
    directory = admin.get("/directory/").content.decode()
    assert f"/directory/people/{newcomer.pk}/" in directory
    page = admin.get(f"/directory/people/{newcomer.pk}/").content.decode()
    assert "No account yet" in page and "Send an invitation" in page
    response = admin.post(f"/directory/people/{newcomer.pk}/", {"action": "invite"})
    assert response.status_code == 302
    assert mail.outbox[0].to == [newcomer.email]
    assert "An invitation has been emailed" in admin.get(response["Location"]).content.decode()


def test_an_administrator_deactivates_from_the_persons_page(demo: Any, signed_in: Any) -> None:
    nia_client = signed_in("nia.nurse")
    nia = demo_module.person("nia.nurse")
    admin = signed_in("ari.admin")
    assert admin.post(f"/directory/people/{nia.pk}/", {"action": "deactivate"}).status_code == 302
    assert nia_client.get("/").status_code == 302
    assert "Deactivated" in admin.get(f"/directory/people/{nia.pk}/").content.decode()
    assert Session.objects.filter(session_key=nia_client.session.session_key).count() == 0


@pytest.mark.parametrize("username", ["nia.nurse", "ben.business"])
def test_only_administrators_see_a_persons_page(
    newcomer: Person, signed_in: Any, username: str
) -> None:
    client = signed_in(username)
    assert client.get(f"/directory/people/{newcomer.pk}/").status_code == 404
    assert client.post(f"/directory/people/{newcomer.pk}/", {"action": "invite"}).status_code == 404
    assert mail.outbox == []


def test_an_unknown_action_is_a_plain_error(newcomer: Person, signed_in: Any) -> None:
    response = signed_in("ari.admin").post(f"/directory/people/{newcomer.pk}/", {"action": "x"})
    assert response.status_code == 400
    assert "Choose one of the buttons" in error_summary(response)
