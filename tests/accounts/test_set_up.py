"""First sign-in: setting up an authenticator app, and recovery codes shown once."""

from __future__ import annotations

import re
from base64 import b32decode
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.pages import demo_code, error_summary, password_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(demo: Any) -> Any:
    """A demo person whose authenticator app an administrator has reset."""
    user = get_user_model().objects.get(username="tess.teacher")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return user


def secret_on(page: str) -> bytes:
    match = re.search(r'id="secret"><code>([A-Z2-7 ]+)</code>', page)
    assert match, "the page shows no secret"
    secret = match.group(1).replace(" ", "")
    return b32decode(secret + "=" * (-len(secret) % 8))


def test_first_sign_in_sets_up_the_app_then_shows_recovery_codes_once(
    newcomer: Any, clock: Any
) -> None:
    client = Client()
    response = password_step(client, "tess.teacher")
    assert response["Location"] == "/account/set-up-authenticator/"
    # Not signed in yet: every other page sends her back to setting up.
    assert client.get("/")["Location"] == "/account/set-up-authenticator/"

    page = client.get("/account/set-up-authenticator/").content.decode()
    key = secret_on(page)
    assert re.search(r'id="secret"><code>([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>', page)
    assert '<svg role="img"' in page and "QR code for your authenticator app" in page
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]

    response = client.post("/account/set-up-authenticator/", {"code": f"{totp(key):06d}"})
    assert response["Location"] == "/account/recovery-codes/"
    page = client.get("/account/recovery-codes/").content.decode()
    codes = re.findall(r"<li><code>([2-9a-z]{5}-[2-9a-z]{5})</code></li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "I have saved these codes" in page
    # Shown once only.
    again = client.get("/account/recovery-codes/").content.decode()
    assert codes[0] not in again
    assert "Parley shows recovery codes only once" in again

    assert client.get("/account/").status_code == 200
    # A recovery code then signs her in on another computer.
    other = Client()
    password_step(other, "tess.teacher")
    assert other.post("/sign-in/recovery-code/", {"code": codes[3]})["Location"] == "/"


def test_wrong_code_at_set_up_is_refused_and_the_secret_kept(newcomer: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "tess.teacher")
    first = secret_on(client.get("/account/set-up-authenticator/").content.decode())
    wrong = f"{(totp(first) + 1) % 1_000_000:06d}"
    response = client.post("/account/set-up-authenticator/", {"code": wrong})
    assert response.status_code == 200
    assert "The code is not right" in error_summary(response)
    assert secret_on(response.content.decode()) == first
    clock.shift(timedelta(seconds=2))
    response = client.post("/account/set-up-authenticator/", {"code": f"{totp(first):06d}"})
    assert response["Location"] == "/account/recovery-codes/"


def test_a_password_alone_cannot_add_an_app_to_an_account_that_has_one(
    demo: Any, clock: Any
) -> None:
    client = Client()
    password_step(client, "nia.nurse")
    response = client.get("/account/set-up-authenticator/")
    assert response["Location"] == "/sign-in/code/"
    response = client.post("/account/set-up-authenticator/", {"code": "123456"})
    assert response["Location"] == "/sign-in/code/"
    assert TOTPDevice.objects.filter(user__username="nia.nurse").count() == 1


def test_set_up_needs_the_password_first(demo: Any) -> None:
    response = Client().get("/account/set-up-authenticator/")
    assert response["Location"] == "/sign-in/"


def test_new_recovery_codes_need_a_current_code(demo: Any, clock: Any, signed_in: Any) -> None:
    client = signed_in("nia.nurse")
    page = client.get("/account/").content.decode()
    assert "10 left" in page
    response = client.post("/account/", {"code": "12"})
    assert "The code must be 6 digits" in error_summary(response)
    clock.shift(timedelta(minutes=1))
    response = client.post("/account/", {"code": demo_code()})
    assert response["Location"] == "/account/recovery-codes/"
    page = client.get("/account/recovery-codes/").content.decode()
    codes = re.findall(r"<li><code>([2-9a-z]{5}-[2-9a-z]{5})</code></li>", page)
    assert len(codes) == 10
    assert "22222-22222" not in codes  # the demo's codes were replaced

    signed_out = Client()
    password_step(signed_out, "nia.nurse")
    response = signed_out.post("/sign-in/recovery-code/", {"code": "22222-22222"})
    assert "has been used" in error_summary(response)


def test_wrong_code_on_the_account_page_keeps_the_old_recovery_codes(
    demo: Any, clock: Any, signed_in: Any
) -> None:
    client = signed_in("nia.nurse")
    wrong = f"{(int(demo_code()) + 1) % 1_000_000:06d}"
    response = client.post("/account/", {"code": wrong})
    assert "The code is not right" in error_summary(response)
    assert "10 left" in response.content.decode()
