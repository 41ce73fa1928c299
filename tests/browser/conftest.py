"""Playwright fixtures for browser tests: ``browser``, ``context``, ``page``.

Chromium is Debian's (/usr/bin/chromium), driven headless through
Playwright's sync API against pytest-django's ``live_server``. Tests that use
these fixtures must be marked ``@pytest.mark.browser``; tests/conftest.py
skips them unless PARLEY_BROWSER_TESTS=1.

``screenshot(name)`` saves var/test-artefacts/screenshots/<name>.png; a failed
test's page is saved there as <test name>-failed.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

# Playwright's sync API runs an event loop in the test thread, which makes
# Django refuse ORM calls there (SynchronousOnlyOperation) unless this is set.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts"
SCREENSHOTS = ARTEFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    # Keep each phase's report on the item so ``page`` can tell a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=SCREENSHOTS / f"{_safe_name(request.node.name)}-failed.png", full_page=True
        )
    page.close()


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], Path]:
    """Save the page as var/test-artefacts/screenshots/<name>.png and return the path."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe_name(name)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
