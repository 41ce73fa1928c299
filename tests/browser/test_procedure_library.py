"""Each procedure in tests/procedures/ in a real browser: the business manager uploads it
on the publishing pages, reads its check page and publishes it; a practitioner raises a
disagreement under it and sees the case page. axe finds nothing on any of the pages.

The rest of each procedure's checks (its timeline, a case up every stage) are in
tests/procedures/test_procedures.py; this one test stays to the pages, to stay fast."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from parley.core.loader import check_file
from parley.core.procedure import Procedure, QuestionKind, Scope
from tests.browser.journeys import Raising, Walker, raise_disagreement
from tests.procedures.library import base_of, procedure_files

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
FILES = procedure_files()


def _no_axe(page: Page) -> list[dict[str, Any]]:
    return []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_it_is_published_in_the_browser_and_a_case_raised_under_it(
    path: Path,
    page: Page,
    live_server: Any,
    demo: Any,
    sign_in: Callable[[Page, str], None],
    screenshot: Callable[[str], Path],
    axe_check: Callable[[], None],
    walker_for: Callable[..., Walker],
) -> None:
    from parley.cases import services
    from parley.cases.demo import ADULTS, SOCIAL_CARE, person

    procedure = check_file(path).procedure
    assert procedure is not None
    base = base_of(path)
    if base is not None:  # the regional file is published first, as the guide says
        services.procedure_publish(
            partnership=demo, text=base.read_text(encoding="utf-8"), source_name=base.name,
            by=person("ben.business"), via="web",
        )  # fmt: skip

    sign_in(page, "ben.business")
    page.goto(f"{live_server.url}/publishing/")
    page.get_by_role("button", name="Publish a new version").click()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Check the file").click()
    assert page.locator(".govuk-error-summary").count() == 0, page.locator("main").inner_text()
    heading = f"Check version {procedure.version} before you publish it"
    assert page.locator("h1").inner_text() == heading
    assert page.get_by_role("heading", name="If raised today").is_visible()
    axe_check()
    screenshot(f"library-{path.stem}-check")
    page.get_by_role("button", name=f"Publish version {procedure.version}").click()
    assert page.locator("h1").inner_text() == "Procedure versions"
    assert procedure.version in page.locator("tr", has_text=procedure.name).first.inner_text()
    axe_check()
    page.goto(f"{live_server.url}/procedures/")
    assert procedure.name in page.locator("main").inner_text()

    # A Channel procedure's cases are raised by the Channel panel (tests/browser/test_journeys.py).
    channel = Scope.CHANNEL in procedure.scope
    practitioner = walker_for("cora.channel" if channel else "nia.nurse")
    if procedure.single_agency:  # raised inside her own agency, by a role that challenges
        _hold_the_raising_role(person("nia.nurse"), procedure)
    # The question pages are the same templates for every procedure, checked by axe in
    # tests/browser/test_journeys.py; here axe looks at the pages this procedure fills.
    axe, practitioner.axe = practitioner.axe, _no_axe
    reference = raise_disagreement(
        practitioner,
        Raising(
            procedure=procedure.name,
            other_agency=ADULTS if procedure.scope == {Scope.ADULTS} else SOCIAL_CARE,
            summary="The referral was closed without an assessment.",
            category=procedure.categories[0].label if procedure.categories else "Something else",
            start=f"Formally: {procedure.track().first_stage().name}",
            your_agency="Demoshire Partnership Business Unit" if channel else "",
            answers=_answers(procedure),
            inside=procedure.single_agency,
        ),
    )
    practitioner.axe = axe
    practitioner.go(f"/cases/{reference}/")
    words = practitioner.page.locator("main").inner_text()
    assert reference in practitioner.heading() or reference in words
    assert procedure.track().first_stage().name in words
    practitioner.shoot(f"library-{path.stem}-case")


def _answers(procedure: Procedure) -> tuple[tuple[str, str], ...]:
    """An answer to each question the procedure asks: yesterday, yes, the first option."""
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    found = []
    for question in procedure.questions:
        if question.kind is QuestionKind.DATE:
            found.append((question.id, yesterday))
        elif question.kind is QuestionKind.YES_NO:
            found.append((question.id, "Yes"))
        else:
            found.append((question.id, question.options[0].label))
    return tuple(found)


def _hold_the_raising_role(someone: Any, procedure: Procedure) -> None:
    """Under a single-agency procedure only the roles its first stage names to challenge
    raise it (docs/procedure-format.md, "A challenge inside one agency")."""
    from parley.cases.models import RoleAssignment

    first = next(iter(procedure.track().formal_stages()))
    role = next(r for r in first.raising_side if r != "practitioner")
    agency = someone.roles.exclude(agency=None).first().agency
    RoleAssignment.objects.create(person=someone, agency=agency, role=role)
