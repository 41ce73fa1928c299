"""How many pages, and how long, raising a disagreement takes under each procedure, in a
real browser: the figures docs/performance.md quotes. Each page is answered as a
practitioner in a hurry would (the first choice; the fewest words); nothing optional is
filled in."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import ARTEFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# Who raises under each procedure: a practitioner of the agencies each one serves.
RAISERS = {
    "twsp": "nia.nurse",
    "torbay-children": "nia.nurse",
    "wirral-children": "nia.nurse",
    "torbay-channel": "nia.nurse",
    "bedfordshire-channel": "nia.nurse",
}
# The answers that are not "the first choice".
CHOSEN = {"immediate-risk": "no", "about": "another-agency", "on-behalf": "no"}


def answer(page: Page, slug: str, procedure_id: str) -> None:
    wanted = {**CHOSEN, "procedure": procedure_id}.get(slug)
    groups: list[str] = page.eval_on_selector_all(
        "main input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    )
    for group in groups:
        option = page.locator(f"main input[type=radio][name='{group}'][value='{wanted}']")
        if wanted and option.count():
            option.check()
        else:
            page.locator(f"main input[type=radio][name='{group}']").first.check()
    if slug == "person":
        page.get_by_label("Full name").fill("Child A")
    if slug == "your-team":
        page.get_by_label("Which team are you in?").fill("0-19 Health Visiting Team")
    for box in page.locator("main textarea").all():
        box.fill("Closed after one visit despite bruising.")


def raise_once(page: Page, base: str, procedure_id: str) -> tuple[list[str], float]:
    page.goto(f"{base}/raise/")
    started = time.perf_counter()
    page.get_by_role("button", name="Start now").click()
    pages: list[str] = []
    for _ in range(30):
        path = page.url.removeprefix(base)
        if path.startswith("/raise/check-your-answers/"):
            pages.append("check-your-answers")
            page.get_by_role("button", name="Raise the disagreement").click()
            break
        slug = path.strip("/").split("/")[-1]
        pages.append(slug)
        answer(page, slug, procedure_id)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert not page.locator(".govuk-error-summary").count(), f"{slug}: {page.content()[:200]}"
    page.wait_for_url(f"{base}/raise/confirmation/")
    return pages, time.perf_counter() - started


def test_pages_and_seconds_to_raise_under_each_procedure(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
) -> None:
    from parley.cases.models import Disagreement

    figures = {}
    sign_in(page, "nia.nurse")
    for procedure_id in RAISERS:
        pages, seconds = raise_once(page, live_server.url, procedure_id)
        assert Disagreement.objects.filter(procedure__procedure_id=procedure_id).exists()
        figures[procedure_id] = {"pages": len(pages), "seconds": round(seconds, 2), "asked": pages}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "raise-pages.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
