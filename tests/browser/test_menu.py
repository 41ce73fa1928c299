"""Each person reaches, from the menu alone, every partnership page their roles open, and
finds no way to the others: the roles table decides (parley.core.roles), asked through
``parley.cases.access.has_page``, the same question the pages themselves ask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# Each page, its menu words and words of its title. Who may open it is not written
# here: the test asks has_page, as the pages do.
PAGES = {
    "reports": ("/reports/", "Reports", "Reports"),
    "register": ("/register/", "Register", "Register of ongoing disagreements"),
    "learning": ("/reports/learning/", "Learning log", "Learning log"),
    "notifications": ("/notifications/", "Notifications", "Notifications"),
    "audit": ("/audit/", "Audit", "Audit trail"),
    "directory": ("/directory/", "Directory", "Directory"),
    "procedures": ("/procedures/", "Procedures", "Procedures"),
    "settings": ("/reports/settings/", "Settings", "Report settings"),
    "closure-days": ("/closure-days/", "Closure days", "Closure days"),
}
# One person for each role of the demo partnership (docs/demo.md).
PEOPLE = (
    "sam.social",  # practitioner
    "lee.lm",  # line manager
    "dana.dsl",  # safeguarding lead, senior manager
    "drew.director",  # director, board representative
    "ben.business",  # business manager
    "chris.chair",  # board and panel chair
    "cora.channel",  # Channel chair and panel member
    "col.coordinator",  # Channel coordinator
    "tia.executive",  # a procedure's own roles (the TWSP Executive)
    "ari.admin",  # administrator
)


def allowed(username: str) -> set[str]:
    from parley.cases import access, demo

    person = demo.person(username)
    column = {"learning": "reports", "closure-days": "settings"}
    return {
        page
        for page in PAGES
        if page == "procedures" or access.has_page(person, column.get(page, page))
    }


@pytest.mark.parametrize("username", PEOPLE)
def test_the_menu_leads_to_every_page_a_role_may_use_and_to_no_other(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    username: str,
) -> None:
    sign_in(page, username)
    may = allowed(username)
    menu = page.get_by_role("navigation", name="Menu")
    for name in sorted(may):
        address, words, heading = PAGES[name]
        page.goto(f"{live_server.url}/")
        link = menu.get_by_role("link", name=words, exact=True)
        assert link.count() == 1, f"{username}: no {words!r} in the menu"
        link.click()
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}{address}", f"{username}: {words}"
        assert heading in page.title(), f"{username}: {words}"
        # The current page is marked in the menu.
        current = menu.locator("[aria-current=page]")
        assert current.inner_text() == words
    screenshot(f"menu-{username}")
    for name in sorted(set(PAGES) - may):
        address, words, _ = PAGES[name]
        page.goto(f"{live_server.url}/")
        assert menu.get_by_role("link", name=words, exact=True).count() == 0, (
            f"{username}: {words!r} in the menu"
        )
        response = page.goto(f"{live_server.url}{address}")
        assert response is not None and response.status in (403, 404), f"{username}: {address}"
