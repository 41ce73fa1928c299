"""The home page in a real browser, with its CSS and JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_home_page_renders_with_govuk_frontend(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
) -> None:
    sign_in(page, "nia.nurse")
    failed_assets: list[str] = []

    def note_failure(response: Any) -> None:
        if response.status >= 400:
            failed_assets.append(f"{response.status} {response.url}")

    page.on("response", note_failure)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")

    assert page.title() == "Your actions – Parley"
    assert page.locator("h1").inner_text() == "Your actions"
    assert page.locator(".govuk-generic-header__homepage-link").inner_text() == "Parley"

    # The stylesheet built from GOV.UK Frontend's Sass sources is applied, in a system
    # font: GDS Transport is for GOV.UK services only.
    version = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--govuk-frontend-version')"
    )
    assert version.strip('"'), "parley.css did not load"
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert family == "system-ui, sans-serif"
    # js-enabled.js ran, and init.js started the components.
    classes = page.evaluate("document.body.className").split()
    assert {"js-enabled", "govuk-frontend-supported"} <= set(classes)
    page.wait_for_selector("[data-module='govuk-skip-link'][data-govuk-skip-link-init]")

    assert failed_assets == []
    assert errors == []

    path = screenshot("home")
    assert path.stat().st_size > 0
