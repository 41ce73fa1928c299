"""Playwright fixtures for browser tests: ``browser``, ``context``, ``page``.

Chromium is Debian's (/usr/bin/chromium), driven headless through
Playwright's sync API against pytest-django's ``live_server``. Tests that use
these fixtures must be marked ``@pytest.mark.browser``; tests/conftest.py
runs them wherever Chromium is installed and skips them, saying why, elsewhere.

``screenshot(name)`` saves var/test-artefacts/screenshots/<name>.png; a failed
test's page is saved there as <test name>-failed.png.

Contexts bypass the Content-Security-Policy only so that ``axe_check`` can add axe-core
(it is evaluated in the page); the pages' own scripts are all files.
``sign_in(page, username)`` signs in through the real sign-in pages with the demo
password and one of the person's demo recovery codes (docs/demo.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
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
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA. axe's "best-practice" rules are left out: GOV.UK's own page template
# puts the back link outside the landmarks, which the "region" best practice flags.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


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
    context = browser.new_context(
        viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London", bypass_csp=True
    )
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


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script>, so that it also runs on a page whose
        # own JavaScript is switched off. The context bypasses the CSP, which forbids eval.
        page.evaluate("source => { (0, eval)(source); }", _axe_source())
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))",
        AXE_TAGS,
    )
    return list(result)


@pytest.fixture
def axe_check(page: Page) -> Callable[[], None]:
    """``axe_check()``: fail if axe-core finds a WCAG 2.2 AA violation on the page."""

    def check() -> None:
        violations = axe_violations(page)
        assert violations == [], f"{page.url}: {violations}"

    return check


@pytest.fixture
def sign_in(live_server: Any) -> Callable[[Page, str], None]:
    """``sign_in(page, "nia.nurse")``: through the sign-in pages, as a person would."""
    from parley.accounts.demo import DEMO_RECOVERY_CODES
    from parley.cases.demo import DEMO_PASSWORD

    used: dict[str, int] = {}

    def go(page: Page, username: str) -> None:
        # Each recovery code works once: take the next one of this person's ten.
        index = used.get(username, 0)
        used[username] = index + 1
        code = DEMO_RECOVERY_CODES[index]
        page.goto(f"{live_server.url}/sign-in/")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("link", name="Use a recovery code instead").click()
        page.fill("#code", f"{code[:5]}-{code[5:]}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return go


_checked: dict[tuple[str, str], Any] = {}


@pytest.fixture(autouse=True)
def _procedure_files_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads the demo; its five procedure files need parsing only once."""
    from parley.cases import services as case_services

    check = case_services.check_text

    def check_once(text: str, name: str = "<procedure>", **more: Any) -> Any:
        if more:  # a file that may extend another: read as it is
            return check(text, name, **more)
        key = (text, name)
        if key not in _checked:
            _checked[key] = check(text, name)
        return _checked[key]

    monkeypatch.setattr(case_services, "check_text", check_once)


@pytest.fixture
def demo(live_server: Any) -> Any:
    """The demo partnership, loaded into the live server's database."""
    from parley.cases.demo import demo_load

    return demo_load(with_cases=False)


def _no_axe(page: Page) -> list[dict[str, Any]]:
    return []


@pytest.fixture
def walker_for(
    browser: Browser, live_server: Any, demo: Any, sign_in: Callable[[Page, str], None]
) -> Iterator[Callable[..., Any]]:
    """``walker_for("nia.nurse")``: a fresh browser window signed in as that person.

    ``js=False`` turns JavaScript off; ``keyboard=True`` makes the walker use the keyboard
    alone. Every walker in a test shares one set of pages already checked by axe.
    """
    from tests.browser.journeys import Walker

    contexts: list[BrowserContext] = []
    checked: set[str] = set()

    def make(username: str, *, js: bool = True, keyboard: bool = False) -> Walker:
        context = browser.new_context(
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id="Europe/London",
            bypass_csp=True,
            java_script_enabled=js,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, username)

        def shoot(name: str) -> Path:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"{_safe_name(name)}.png"
            page.screenshot(path=path, full_page=True)
            return path

        # axe-core runs in the page and waits on its own timers, which never fire where
        # JavaScript is off; the same templates are checked by the walkers that have it.
        axe = axe_violations if js else _no_axe
        walker = Walker(page, live_server.url, axe, shoot, checked, keyboard)
        walker.check()
        return walker

    yield make
    for context in contexts:
        context.close()
