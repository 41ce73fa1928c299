"""The account pages in a real browser, each checked by axe, with good input and bad:
an administrator invites someone, who sets a password; a forgotten password reset with the
app's code; a password changed; the refusals page; a link that no longer works."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django_otp.oath import totp

from parley.accounts.demo import DEMO_TOTP_KEY
from parley.cases.demo import DEMO_PASSWORD, DEMO_SLUG

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple"


def as_person(page: Page, live_server: Any, signed_in: Any, username: str) -> None:
    from django.conf import settings

    client = signed_in(username)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def link_of(message: Any) -> str:
    found = re.search(r"(/sign-in/link/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def errors_shown(page: Page) -> str:
    return page.locator(".govuk-error-summary").inner_text()


def test_an_invitation_from_the_directory_to_a_password(
    page: Page,
    live_server: Any,
    demo: Any,
    signed_in: Any,
    axe_check: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    from parley.cases.models import Partnership, Person

    newcomer = Person.objects.create(
        partnership=Partnership.objects.get(slug=DEMO_SLUG),
        name="Noor Newcomer",
        email="noor.newcomer@demoshire.example",
        job_title="Social worker",
    )
    as_person(page, live_server, signed_in, "ari.admin")
    page.goto(f"{live_server.url}/directory/")
    page.locator(f"a[href='/directory/people/{newcomer.pk}/']").click()
    assert page.locator("h1").inner_text() == "Noor Newcomer"
    axe_check()
    screenshot("directory-person-no-account")
    page.get_by_role("button", name="Send an invitation").click()
    assert "An invitation has been emailed" in page.content()
    axe_check()
    screenshot("directory-person-invited")

    (message,) = mail.outbox
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{link_of(message)}")
    assert page.url == f"{live_server.url}/sign-in/set-password/"
    assert page.locator("h1").inner_text() == "Set your password"
    axe_check()
    screenshot("set-password-invitation")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Type the new password again").fill("different")
    page.get_by_role("button", name="Set password and continue").click()
    assert "Password must be 12 characters or more" in errors_shown(page)
    axe_check()
    screenshot("set-password-invitation-errors")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()
    assert page.url.startswith(f"{live_server.url}/account/set-up-authenticator/")
    assert page.locator("h1").inner_text() == "Set up an authenticator app"

    page.goto(f"{live_server.url}{link_of(message)}")  # a link works once
    assert page.locator("h1").inner_text() == "This link does not work"
    axe_check()
    screenshot("account-link-does-not-work")


def test_a_forgotten_password_reset_with_the_apps_code(
    page: Page,
    live_server: Any,
    demo: Any,
    axe_check: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    assert page.locator("h1").inner_text() == "Reset your password"
    axe_check()
    page.get_by_role("button", name="Send me a link").click()
    assert "Enter your username or email address" in errors_shown(page)
    axe_check()
    screenshot("forgotten-password-errors")
    page.get_by_label("Username or email address").fill("nia.nurse")
    page.get_by_role("button", name="Send me a link").click()
    assert page.locator("h1").inner_text() == "Check your email"
    axe_check()
    screenshot("forgotten-password-sent")

    (message,) = mail.outbox
    page.goto(f"{live_server.url}{link_of(message)}")
    assert page.locator("h1").inner_text() == "Choose a new password"
    axe_check()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill("12")
    page.get_by_role("button", name="Change password").click()
    assert "The code must be 6 digits" in errors_shown(page)
    axe_check()
    screenshot("reset-password-errors")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(f"{totp(DEMO_TOTP_KEY):06d}")
    page.get_by_role("button", name="Change password").click()
    assert page.locator("h1").inner_text() == "Your password has been changed"
    axe_check()
    screenshot("reset-password-done")


def test_changing_a_password(
    page: Page,
    live_server: Any,
    demo: Any,
    signed_in: Any,
    axe_check: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    as_person(page, live_server, signed_in, "nia.nurse")
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("link", name="Change your password").click()
    assert page.locator("h1").inner_text() == "Change your password"
    axe_check()
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert "Your current password is not right" in errors_shown(page)
    axe_check()
    screenshot("change-password-errors")
    page.get_by_label("Current password").fill(DEMO_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert page.url == f"{live_server.url}/account/"
    assert "Your password has been changed" in page.content()
    screenshot("change-password-done")


def test_the_refusals_page_shows_a_burst(
    page: Page,
    live_server: Any,
    demo: Any,
    signed_in: Any,
    axe_check: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    pat = signed_in("pat.police")
    for number in range(12):
        assert pat.get(f"/cases/TWSP-{number:06d}/").status_code == 404
    as_person(page, live_server, signed_in, "ari.admin")
    page.goto(f"{live_server.url}/audit/")
    page.get_by_role("link", name="Refused requests for disagreements").click()
    assert page.locator("h1").inner_text() == "Refused requests for disagreements"
    assert "Pat Douglas" in page.content() and "Burst" in page.content()
    axe_check()
    screenshot("audit-refusals")


def test_a_nul_in_the_address_shows_the_house_page(
    page: Page, live_server: Any, demo: Any, screenshot: Callable[[str], Path]
) -> None:
    response = page.goto(f"{live_server.url}/sign-in/?next=%00")
    assert response is not None and response.status == 400
    assert page.locator("h1").inner_text() == "Sorry, Parley could not read that request"
    screenshot("edge-refused-nul")
