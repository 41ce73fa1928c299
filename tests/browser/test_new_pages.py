"""The pages added for running a partnership in the browser, in a real browser: each
opened from a link, checked by axe-core and photographed (var/test-artefacts/screenshots)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_closure_days_are_added_after_checking_what_moves(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests.web.conftest import raise_case

    raise_case(at=timezone.now())
    sign_in(page, "ben.business")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Closure days").click()
    axe_check()
    screenshot("closure-days-list")
    page.get_by_role("button", name="Add a closure day").click()
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".govuk-error-summary").is_visible()
    axe_check()
    screenshot("closure-days-add-errors")
    day = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Day", exact=True).fill(str(day.day))
    page.get_by_label("Month", exact=True).fill(str(day.month))
    page.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("What is the closure called?").fill("Office closure")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Check what moves"
    axe_check()
    screenshot("closure-days-check")
    page.get_by_role("button", name="Add the closure day").click()
    assert "Closure day added" in page.locator("main").inner_text()
    screenshot("closure-days-added")


def test_the_development_mail_page_is_reached_from_the_banner(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
) -> None:
    from django.utils import timezone

    from tests.web.conftest import raise_case

    case = raise_case(at=timezone.now())
    sign_in(page, "nia.nurse")
    page.get_by_role("link", name="read the e-mails Parley has written").click()
    assert page.locator("h1").inner_text() == "E-mails written"
    assert case.reference in page.locator("main").inner_text()
    axe_check()
    screenshot("development-mail")


def test_a_person_and_their_role_are_added_then_ended_on_pages(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
) -> None:
    sign_in(page, "ari.admin")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Directory").click()
    page.get_by_role("link", name="Add a person or a role").click()
    page.get_by_role("button", name="Save").click()
    axe_check()
    screenshot("directory-role-add-errors")
    page.get_by_label("Full name").fill("Robin Quill")
    page.get_by_label("Work email address").fill("robin.quill@demoshire.example")
    page.get_by_label("Where is the role held?").select_option(label="Demoshire Police")
    page.get_by_label("Role", exact=True).select_option(label="Line manager or supervisor")
    page.get_by_role("button", name="Save").click()
    assert page.locator("h1").inner_text() == "Robin Quill"
    axe_check()
    screenshot("directory-person-with-roles")
    page.get_by_role("link", name="End the role").first.click()
    axe_check()
    screenshot("directory-role-end")
    page.get_by_role("button", name="End this role").click()
    assert "no longer holds the role" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/directory/agencies/add/")
    axe_check()
    screenshot("directory-agency-add")
