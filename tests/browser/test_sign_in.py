"""Signing in as a demo person in a real browser: password, then the authenticator code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django_otp.oath import totp

from parley.accounts.demo import DEMO_TOTP_KEY
from parley.cases.demo import DEMO_PASSWORD, demo_load

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_demo_person_signs_in_with_password_and_code(
    page: Page, live_server: Any, screenshot: Callable[[str], Path]
) -> None:
    demo_load(with_cases=False)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/account/")
    assert page.url == f"{live_server.url}/sign-in/?next=%2Faccount%2F"
    assert page.locator("h1").inner_text() == "Sign in"
    page.get_by_label("Username or email address").fill("nia.nurse")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    screenshot("sign-in")
    page.get_by_role("button", name="Continue").click()

    assert page.url.startswith(f"{live_server.url}/sign-in/code/")
    screenshot("sign-in-code")
    page.get_by_label("Enter the code from your authenticator app").fill(
        f"{totp(DEMO_TOTP_KEY):06d}"
    )
    page.get_by_role("button", name="Sign in").click()

    assert page.url == f"{live_server.url}/account/"
    assert page.locator("h1").inner_text() == "Your account"
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/"
    screenshot("signed-in-home")
    assert refused == []
    assert errors == []


def test_signed_in_fixture_session_works_in_the_browser(
    page: Page, live_server: Any, signed_in: Any
) -> None:
    """The recipe for other browser tests: sign in with the fixture, hand over the cookie."""
    from django.conf import settings

    demo_load(with_cases=False)
    client = signed_in("ben.business")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/account/")
    assert page.locator("h1").inner_text() == "Your account"
