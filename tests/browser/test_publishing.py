"""Publishing a procedure in a real browser: the pages as the business manager sees them,
with every problem in the error summary, the check page, and the versions after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"


def test_the_business_manager_publishes_a_procedure_in_the_browser(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
    tmp_path: Path,
) -> None:
    sign_in(page, "ben.business")
    page.goto(f"{live_server.url}/procedures/")
    page.get_by_role("link", name="Publish a new version, or see every version").click()
    assert page.locator("h1").inner_text() == "Procedure versions"
    axe_check()
    screenshot("publishing-versions-before")

    page.get_by_role("button", name="Publish a new version").click()
    twsp = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "twsp.yaml"
    broken.write_text(
        twsp.replace('version: "2024-3"', 'version: "2027-1"', 1)
        .replace("within: 5 working days", "within: 5 days", 1)
        .replace("raising_side: [practitioner]", "raising_side: [practitionr]", 1)
    )
    page.set_input_files("#id_file", str(broken))
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    items = summary.locator("li").all_inner_texts()
    assert len(items) == 2 and all(item.startswith("twsp.yaml, line ") for item in items)
    axe_check()
    screenshot("publishing-problems")

    good = tmp_path / "good" / "twsp.yaml"
    good.parent.mkdir()
    good.write_text(twsp.replace('version: "2024-3"', 'version: "2027-1"', 1))
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("h1").inner_text() == "Check version 2027-1 before you publish it"
    assert page.locator("#flowchart-picture").is_visible()
    assert page.get_by_role("heading", name="If raised today").is_visible()
    assert page.get_by_role("heading", name="What would change for open disagreements").is_visible()
    axe_check()
    screenshot("publishing-check")

    page.get_by_role("button", name="Publish version 2027-1").click()
    assert page.locator("h1").inner_text() == "Procedure versions"
    banner = page.locator(".govuk-notification-banner, .govuk-panel, [role=alert]").first
    assert "Version 2027-1" in banner.inner_text()
    row = page.locator("tr", has_text="2027-1").first
    assert "In use" in row.inner_text() and "Ben Achebe" in row.inner_text()
    axe_check()
    screenshot("publishing-versions-after")


def test_the_business_manager_moves_open_cases_and_each_record_says_so(
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
) -> None:
    from parley.cases import services
    from parley.cases.demo import demo_load
    from parley.cases.models import Disagreement, Person

    partnership = demo_load(with_cases=True)
    ben = Person.objects.get(user__username="ben.business")
    twsp = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")
    services.procedure_publish(
        partnership=partnership,
        text=twsp.replace('version: "2024-3"', 'version: "2027-1"', 1),
        source_name="twsp.yaml",
        by=ben,
        via="web",
    )
    reference = (
        Disagreement.objects.filter(procedure__procedure_id="twsp", status="open")
        .values_list("reference", flat=True)
        .first()
    )
    assert reference is not None

    sign_in(page, "ben.business")
    page.goto(f"{live_server.url}/publishing/")
    page.get_by_role("link", name="Move open disagreements to the version in use").click()
    assert page.locator("h1").inner_text() == "Move open disagreements to version 2027-1"
    axe_check()
    screenshot("publishing-move")
    page.get_by_label(f"{reference}, on version 2024-3").check()
    page.get_by_role("button", name="Move them").click()
    assert "moved to version 2027-1" in page.locator(".govuk-notification-banner").inner_text()

    page.goto(f"{live_server.url}/cases/{reference}/")
    record = page.locator("main").inner_text()
    assert "Moved onto a new version of the procedure" in record
    assert "From 2024-3 to 2027-1" in record
    screenshot("publishing-moved-case")
