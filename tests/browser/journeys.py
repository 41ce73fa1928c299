"""Steps the browser journeys share: raising a disagreement and acting on one, as a person
would, with axe-core run on every distinct page on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page


@dataclass
class Walker:
    """One browser journey: the page, the server, and the pages already checked by axe."""

    page: Page
    base: str
    axe: Callable[[Page], list[dict[str, Any]]]
    shoot: Callable[[str], Any]
    checked: set[str] = field(default_factory=set)
    keyboard: bool = False

    def check(self) -> None:
        """axe-core on this page, once per kind of page (its address and heading)."""
        path = re.sub(r"/cases/[^/]+/", "/cases/REF/", self.page.url.split("?")[0])
        heading = (
            self.page.locator("h1").first.inner_text() if self.page.locator("h1").count() else ""
        )
        key = f"{path} {re.sub(r'[A-Z-]+-[0-9]{6}', 'REF', heading)}"
        if key in self.checked:
            return
        self.checked.add(key)
        violations = self.axe(self.page)
        assert violations == [], f"{self.page.url}: {violations}"

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.check()

    # --- doing things, by mouse or by keyboard alone ---------------------------------

    def tab_to(self, locator: Any) -> None:
        """Press Tab until the control has focus: it can be reached by keyboard."""
        for _ in range(80):
            if locator.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"could not reach {locator} with the Tab key")

    def choose(self, label: str) -> None:
        radio = self.page.get_by_label(label, exact=True)
        if self.keyboard:
            # Tab reaches a radio group once; arrow keys move within it.
            group = radio.get_attribute("name")
            first = self.page.locator(f"input[name='{group}']").first
            checked = self.page.locator(f"input[name='{group}']:checked")
            self.tab_to(checked.first if checked.count() else first)
            for _ in range(40):
                if radio.is_checked():
                    return
                self.page.keyboard.press("ArrowDown")
            raise AssertionError(f"could not choose {label} by keyboard")
        radio.check()

    def fill(self, label: str, text: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        if self.keyboard:
            self.tab_to(box)
            self.page.keyboard.press("Control+A")
            self.page.keyboard.type(text)
        else:
            box.fill(text)

    def press(self, button: str) -> None:
        control = self.page.get_by_role("button", name=button, exact=True)
        if self.keyboard:
            self.tab_to(control)
            with self.page.expect_navigation():
                self.page.keyboard.press("Enter")
        else:
            control.click()
        self.page.wait_for_load_state()
        self.check()

    def follow(self, link: str) -> None:
        self.page.get_by_role("link", name=link, exact=True).first.click()
        self.page.wait_for_load_state()
        self.check()

    def heading(self) -> str:
        return self.page.locator("h1").first.inner_text()


@dataclass(frozen=True)
class Raising:
    procedure: str  # its name, as the radio says
    other_agency: str
    summary: str
    professional: str = "I do not know"
    at_risk: bool = False
    your_agency: str = ""
    start: str = ""  # for a procedure with an informal stage
    start_stage: str = ""  # immediate risk, where the raiser chooses
    category: str = "Something else"
    name: str = "Child A"
    # The procedure's own questions, by id: a date as YYYY-MM-DD, otherwise the label to
    # choose ("Yes", or a choice's option). A question not given is left blank.
    answers: tuple[tuple[str, str], ...] = ()
    inside: bool = False  # a challenge inside the raiser's own agency (single_agency)


def raise_disagreement(walker: Walker, raising: Raising) -> str:
    """Through every question page to the confirmation; returns the reference."""
    walker.go("/raise/")
    # Answers saved from an earlier visit are offered back; this journey answers afresh.
    walker.press("Start again" if "Start again" in walker.page.content() else "Start now")
    pages = 0
    while "/raise/check-your-answers/" not in walker.page.url:
        pages += 1
        assert pages < 20, walker.page.url
        slug = walker.page.url.rstrip("/").split("/")[-1]
        answer_page(walker, slug, raising)
        walker.press("Continue")
        assert "There is a problem" not in walker.page.content(), walker.page.url
    walker.shoot(f"raise-{raising.procedure[:12]}-check")
    walker.press("Raise the disagreement")
    assert walker.heading() == "Disagreement raised"
    reference = walker.page.locator(".govuk-panel__body strong").inner_text()
    return reference


def answer_page(walker: Walker, slug: str, raising: Raising) -> None:
    if slug == "immediate-risk":
        walker.choose("Yes" if raising.at_risk else "No")
    elif slug == "about":
        walker.choose(
            "A disagreement inside your own agency"
            if raising.inside
            else "None of these: I disagree with another agency's decision, action or inaction"
        )
    elif slug == "procedure":
        walker.choose(raising.procedure)
    elif slug == "immediate-risk-route":
        if raising.start_stage:
            walker.choose(raising.start_stage)
    elif slug == "start":
        walker.choose(raising.start)
    elif slug == "your-agency":
        walker.choose(raising.your_agency)
    elif slug == "your-team":
        walker.fill("Which team are you in?", "Safeguarding team")
    elif slug == "person":
        walker.fill("Full name", raising.name)
    elif slug == "other-agency":
        walker.choose(raising.other_agency)
    elif slug == "other-professional":
        walker.choose(raising.professional)
    elif slug == "category":
        walker.choose(raising.category)
    elif slug == "summary":
        walker.fill("What is the disagreement about?", raising.summary)
    elif slug == "evidence":
        walker.fill("What is your concern based on?", "Records of three home visits.")
    elif slug == "outcome":
        walker.fill("What outcome do you want?", "A strategy discussion this week.")
    elif slug.startswith("question-"):
        answer_question(walker, dict(raising.answers).get(slug.removeprefix("question-")))
    else:
        raise AssertionError(f"unexpected question page {slug}")


def act(
    walker: Walker,
    reference: str,
    link: str,
    *,
    texts: dict[str, str] | None = None,
    choices: tuple[str, ...] = (),
    button: str = "",
) -> None:
    """From the case page: follow an action's link, fill it in, and save it."""
    walker.go(f"/cases/{reference}/")
    walker.follow(link)
    for label in choices:
        walker.choose(label)
    for label, text in (texts or {}).items():
        walker.fill(label, text)
    walker.page.locator("form .govuk-button").first.click()
    walker.page.wait_for_load_state()
    assert "There is a problem" not in walker.page.content(), walker.page.url
    assert walker.page.url.endswith(f"/cases/{reference}/"), walker.page.url
    walker.check()


def answer_question(walker: Walker, answer: str | None) -> None:
    """A page asking one of the procedure's own questions: a date in its day, month and
    year boxes, or the radio labelled with the answer; blank where none is given."""
    if answer is None:
        return
    if re.fullmatch(r"\d{4}-\d\d-\d\d", answer):
        year, month, day = answer.split("-")
        for label, value in (("Day", day), ("Month", month), ("Year", year)):
            walker.fill(label, str(int(value)))
    else:
        walker.choose(answer)
