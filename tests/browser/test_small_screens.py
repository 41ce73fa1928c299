"""Every kind of page on a 320-pixel screen, and at 200% zoom, in Chromium with axe-core.

A 320-pixel-wide window is what a 1280-pixel screen shows at 400% zoom (WCAG 2.2, 1.4.10
Reflow): nothing may need scrolling sideways except a table or a picture in its own
scrolling region, and the register's heading, filter and table must all be usable. The
same pages are checked by axe-core, and what each page loads is weighed: one stylesheet
built from the packages' Sass sources, no web fonts, none of MoJ Frontend's scripts.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import SCREENSHOTS, _safe_name, axe_violations
from tests.browser.journeys import Raising, Walker, answer_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}  # 1280 pixels at 400% zoom
ZOOM_200 = {"width": 640, "height": 450}  # 1280 x 900 at 200% zoom
DESKTOP = {"width": 1280, "height": 900}
# The smallest text a chart or the flowchart may be drawn at, in CSS pixels.
SMALLEST_TEXT = 12
# What one page may load, gzip-compressed at nginx's level (1): its stylesheets and its
# scripts. Both packages' whole files came to 37.9 kB of CSS and 35.7 kB of JavaScript.
CSS_BUDGET = 21_000
JS_BUDGET = 15_500

# The elements that stick out of the window to the right, for the failure message.
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 0.5 || box.width === 0) continue;
    let scrolled = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) { scrolled = true; break; }
    }
    const name = typeof el.className === 'string' ? el.className : '';
    if (!scrolled) out.push(`${el.tagName.toLowerCase()} ${name} right=${Math.round(box.right)}`);
  }
  return out.slice(0, 5);
}"""

# The page's heading in words, without the tags beside it ("Open", "Overdue").
HEADING_WORDS = """() => {
  const heading = document.querySelector('h1').cloneNode(true);
  heading.querySelectorAll('.govuk-tag').forEach(tag => tag.remove());
  return heading.textContent.replace(/\\s+/g, ' ').trim();
}"""

# Each text of each <svg> drawn on the page: its rendered size in CSS pixels.
SVG_TEXT_SIZES = """() => Array.from(document.querySelectorAll('main svg text')).map(t => {
  const matrix = t.getScreenCTM();
  const size = parseFloat(getComputedStyle(t).fontSize);
  return {text: t.textContent, size: size * Math.hypot(matrix.a, matrix.b)};
})"""


@pytest.fixture
def demo_with_history(live_server: Any) -> Any:
    """The demo partnership with its few cases and two years of past ones for reports."""
    from django.core.management import call_command

    from parley.cases.demo import demo_load

    partnership = demo_load(with_cases=True)
    call_command("demo_history", verbosity=0)
    return partnership


@pytest.fixture
def window_for(
    browser: Browser, live_server: Any, sign_in: Callable[[Page, str], None]
) -> Iterator[Callable[..., Page]]:
    """``window_for("nia.nurse")``: a page signed in as that person, caching nothing, so
    that every page's stylesheets and scripts are fetched and can be weighed."""
    contexts = []

    def make(username: str, *, js: bool = True) -> Page:
        context = browser.new_context(
            viewport=DESKTOP,
            locale="en-GB",
            timezone_id="Europe/London",
            bypass_csp=True,
            java_script_enabled=js,
        )
        context.set_default_timeout(15_000)
        # A route on every request turns Chromium's cache off for the context.
        context.route("**/*", lambda route: route.continue_())
        contexts.append(context)
        page = context.new_page()
        sign_in(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{_safe_name(name)}.png", full_page=True)


def nia_at_stage_1(partnership: Any) -> Any:
    """A TWSP case Nia raised that is still at stage 1, where she acts (she may record a
    discussion and escalate it there; at the managers' stage she may not)."""
    from parley.cases import services
    from parley.cases.demo import DEMO_SLUG, person
    from parley.cases.models import Agency, Disagreement, Partnership

    partnership = partnership or Partnership.objects.get(slug=DEMO_SLUG)
    found = (
        Disagreement.objects.filter(
            partnership=partnership, raised_by__user__username="nia.nurse", status="open",
            procedure__procedure_id="twsp", stage="stage-1",
        )
        .order_by("raised_at")
        .first()
    )  # fmt: skip
    if found is not None:
        return found
    return services.disagreement_raise(
        procedure=partnership.procedures.get(procedure_id="twsp", is_current=True),
        raised_by=person("nia.nurse"),
        raising_agency=Agency.objects.get(name="Demoshire NHS Foundation Trust"),
        other_agency=Agency.objects.get(name="Demoshire Council Children's Services"),
        other_professional=person("sam.social"),
        summary="Closed after one visit.",
    )


def page_types(partnership: Any) -> list[tuple[str, str]]:
    """(who, address) for every kind of page that has a table, a form or a picture."""
    from parley.reports.models import LearningItem

    nia_case = nia_at_stage_1(partnership)
    reference = nia_case.reference
    item = LearningItem.objects.filter(procedure_id="twsp").order_by("pk").first()
    assert item is not None
    return [
        ("nia.nurse", "/"),
        ("nia.nurse", "/raise/"),
        ("nia.nurse", f"/cases/{reference}/"),
        ("nia.nurse", f"/cases/{reference}/escalate/"),
        ("nia.nurse", f"/cases/{reference}/note/"),
        ("nia.nurse", "/procedures/"),
        ("nia.nurse", "/procedures/twsp/"),
        ("nia.nurse", "/procedures/torbay-channel/"),
        ("nia.nurse", "/procedures/twsp/dates/?raised_day=5&raised_month=1&raised_year=2026"),
        ("nia.nurse", "/notifications/mine/"),
        ("nia.nurse", "/account/"),
        ("ben.business", "/"),
        ("ben.business", "/register/"),
        ("ben.business", "/reports/"),
        ("ben.business", "/reports/twsp/"),
        ("cora.channel", "/reports/torbay-channel/"),
        ("ben.business", "/reports/twsp/period/"),
        ("ben.business", "/reports/twsp/cases/?period=2025-H1&figure=raised"),
        ("ben.business", "/reports/twsp/what-if/"),
        ("ben.business", "/reports/learning/"),
        ("ben.business", f"/reports/learning/{item.pk}/"),
        ("ben.business", "/reports/settings/"),
        ("ari.admin", "/audit/"),
        ("ari.admin", f"/audit/cases/{reference}/viewers/"),
        ("ari.admin", "/directory/"),
        ("ari.admin", "/directory/import/"),
        ("ari.admin", "/notifications/"),
    ]


def weigh(page: Page, address: str) -> dict[str, Any]:
    """Open the address and return what it loaded: gzip sizes and the files' addresses."""
    loaded: dict[str, tuple[str, bytes]] = {}

    def note(response: Any) -> None:
        kind = response.request.resource_type
        if kind in ("stylesheet", "script", "font"):
            loaded[response.url] = (kind, response.body())

    page.on("response", note)
    response = page.goto(address, wait_until="networkidle")
    page.remove_listener("response", note)
    assert response is not None and response.status == 200, f"{address}: {response}"
    return {
        "css": sum(len(gzip.compress(b, 1)) for k, b in loaded.values() if k == "stylesheet"),
        "js": sum(len(gzip.compress(b, 1)) for k, b in loaded.values() if k == "script"),
        "files": sorted(loaded),
        "fonts": [url for url, (k, _) in loaded.items() if k == "font"],
    }


def test_no_kind_of_page_scrolls_sideways_at_320_pixels_or_fails_axe(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    windows: dict[str, Page] = {}
    problems: list[str] = []
    for username, path in page_types(demo_with_history):
        if username not in windows:
            windows[username] = window_for(username)
        page = windows[username]
        page.set_viewport_size(NARROW)
        weight = weigh(page, f"{live_server.url}{path}")
        shoot(page, f"narrow-{username}{path}")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(f"{path} as {username}: {width[0]}px wide: {page.evaluate(SIDEWAYS)}")
        # The window's title starts with the page's heading (GOV.UK's page title pattern).
        heading = page.evaluate(HEADING_WORDS)
        if page.title().removeprefix("Error: ").split(" – ")[0] != heading:
            problems.append(f"{path}: title {page.title()!r}, heading {heading!r}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"{path} as {username}: axe: {violations}")
        # What the page loads: one stylesheet, GOV.UK Frontend's script, no fonts.
        if weight["fonts"]:
            problems.append(f"{path}: loads fonts {weight['fonts']}")
        if any("moj-frontend" in url for url in weight["files"]):
            problems.append(f"{path}: loads MoJ Frontend's files {weight['files']}")
        if weight["css"] > CSS_BUDGET or weight["js"] > JS_BUDGET:
            problems.append(f"{path}: {weight['css']} bytes of CSS, {weight['js']} of JS")
        # At 200% zoom too.
        page.set_viewport_size(ZOOM_200)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(f"{path} at 200%: {width[0]}px wide: {page.evaluate(SIDEWAYS)}")
    assert problems == []


def visible_at_its_place(page: Page, selector: str) -> bool:
    """Scrolled to, the element is the one drawn at its own middle: nothing covers it."""
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    return bool(
        element.evaluate(
            """el => {
              const box = el.getBoundingClientRect();
              const x = Math.min(box.left + 4, window.innerWidth - 1);
              const hit = document.elementFromPoint(x, box.top + Math.min(box.height / 2, 8));
              return hit !== null && (el === hit || el.contains(hit));
            }"""
        )
    )


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("viewport", [NARROW, ZOOM_200], ids=["320px", "640px"])
def test_the_register_at_320_pixels_shows_its_heading_then_the_filter_then_the_table(
    demo_with_history: Any,
    window_for: Callable[..., Page],
    live_server: Any,
    js: bool,
    viewport: dict[str, int],
) -> None:
    page = window_for("ben.business", js=js)
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/register/")
    shoot(page, f"register-{viewport['width']}-{'js' if js else 'nojs'}")
    assert page.evaluate("window.scrollY") == 0
    assert visible_at_its_place(page, "h1"), "the heading is covered"
    # The filter is part of the page, above the table: not a panel over everything.
    position = page.locator(".moj-filter-layout__filter").evaluate(
        "el => getComputedStyle(el).position"
    )
    assert position != "fixed"
    filter_box = page.locator(".moj-filter").bounding_box()
    table_box = page.locator("table").bounding_box()
    assert filter_box is not None and table_box is not None
    assert filter_box["y"] + filter_box["height"] <= table_box["y"]
    assert visible_at_its_place(page, "table caption")
    assert visible_at_its_place(page, "table tbody a")
    # The filter works at this size.
    page.locator("#filter-overdue").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "overdue=yes" in page.url
    assert visible_at_its_place(page, "h1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_register_on_a_desktop_keeps_the_filter_beside_the_table(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("ben.business")
    page.goto(f"{live_server.url}/register/")
    shoot(page, "register-desktop")
    filter_box = page.locator(".moj-filter").bounding_box()
    table_box = page.locator("table").bounding_box()
    assert filter_box is not None and table_box is not None
    assert filter_box["x"] + filter_box["width"] <= table_box["x"]
    assert abs(filter_box["y"] - table_box["y"]) < 150
    # The whole table fits beside it: nothing to scroll to.
    assert page.locator(".moj-filter-layout__content .parley-table-scroll").evaluate(
        "el => el.scrollWidth <= el.clientWidth"
    )


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("nia.nurse", "/procedures/twsp/"),
        ("nia.nurse", "/procedures/torbay-channel/"),
        ("ben.business", "/reports/twsp/"),
    ],
)
def test_flowchart_and_chart_text_stays_readable_at_320_pixels_and_the_picture_scrolls(
    demo_with_history: Any,
    window_for: Callable[..., Page],
    live_server: Any,
    username: str,
    path: str,
) -> None:
    page = window_for(username)
    page.set_viewport_size(NARROW)
    page.goto(f"{live_server.url}{path}")
    sizes = page.evaluate(SVG_TEXT_SIZES)
    assert sizes
    small = [s for s in sizes if s["size"] < SMALLEST_TEXT - 0.01]
    assert small == [], small[:5]
    # Each picture scrolls inside its own region, which the keyboard can reach.
    regions = page.locator("main svg").evaluate_all(
        """svgs => svgs.map(svg => {
          const region = svg.closest('[role=region]');
          return region === null ? null : {
            scrolls: region.scrollWidth > region.clientWidth,
            focusable: region.tabIndex === 0,
            named: !!region.getAttribute('aria-label'),
          };
        })"""
    )
    assert None not in regions
    assert all(r["focusable"] and r["named"] for r in regions)
    assert any(r["scrolls"] for r in regions)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_flowchart_has_a_short_name_and_its_words_as_a_description(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("nia.nurse")
    page.goto(f"{live_server.url}/procedures/twsp/")
    assert page.locator("[id='flowchart']").count() == 1
    picture = page.get_by_role(
        "img", name="Flowchart of the TWSP Resolution and Escalation Process"
    )
    assert picture.count() == 1
    name = picture.evaluate(
        "el => el.getAttribute('aria-labelledby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' ')"
    )
    assert len(name) < 100
    description = picture.evaluate(
        "el => document.getElementById(el.getAttribute('aria-describedby')).textContent"
    )
    assert "A disagreement is raised and starts at Stage 1" in description
    # The contents link still goes to the flowchart's heading.
    page.get_by_role("link", name="Flowchart", exact=True).click()
    assert page.evaluate("location.hash") == "#flowchart"
    assert page.evaluate("document.getElementById('flowchart').tagName") == "H2"


def test_the_case_page_offers_its_actions_before_the_documents_in_focus_order(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:

    case = nia_at_stage_1(None)
    page = window_for("nia.nurse")
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    shoot(page, "case-desktop")
    # On a desktop the actions still sit top right, beside "Where it stands".
    actions = page.locator("#actions").bounding_box()
    stands = page.get_by_role("heading", name="Where it stands").bounding_box()
    assert actions is not None and stands is not None
    assert actions["x"] > stands["x"] + 300 and abs(actions["y"] - stands["y"]) < 10
    # Tabbing from the heading reaches the first action before any document's link.
    order = page.evaluate(
        """() => Array.from(document.querySelectorAll('main a[href]'))
             .map(a => a.textContent.trim())"""
    )
    first_action = order.index("Record a discussion")
    # A case at stage 1 has no document yet (each says when it will be ready): any link
    # to one would come after the actions.
    first_document = next(
        (i for i, words in enumerate(order) if words.startswith("Download")), len(order)
    )
    assert first_action < first_document
    page.set_viewport_size(NARROW)
    shoot(page, "case-narrow")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_nhs_number_brings_up_a_numeric_keypad_and_names_are_not_remembered(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("nia.nurse")
    page.set_viewport_size(NARROW)
    walker = Walker(page, live_server.url, axe_violations, lambda name: None)
    walker.go("/raise/")
    walker.press("Start again" if "Start again" in page.content() else "Start now")
    raising = Raising(
        procedure="TWSP Resolution and Escalation Process",
        other_agency="Demoshire Council Children's Services",
        summary="A baby was left with a carer who has a violent partner.",
    )
    for _ in range(20):
        slug = page.url.rstrip("/").split("/")[-1]
        if slug == "person":
            break
        answer_page(walker, slug, raising)
        walker.press("Continue")
    assert page.url.rstrip("/").endswith("/person")
    shoot(page, "raise-person-narrow")
    nhs = page.get_by_label("NHS number")
    assert nhs.get_attribute("inputmode") == "numeric"
    assert nhs.get_attribute("type") == "text"  # GOV.UK: not type=number
    assert nhs.get_attribute("autocomplete") == "off"
    assert page.get_by_label("Full name").get_attribute("autocomplete") == "off"
    for part in ("Day", "Month", "Year"):
        assert page.get_by_label(part, exact=True).get_attribute("autocomplete") == "off"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_menu_is_one_landmark_with_one_name(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("nia.nurse")
    page.goto(f"{live_server.url}/")
    named_menu = page.evaluate(
        """() => Array.from(document.querySelectorAll('nav, section, [role=navigation],'
             + ' [role=region]')).filter(el => el.getAttribute('aria-label') === 'Menu').length"""
    )
    assert named_menu == 1
    assert page.get_by_role("navigation", name="Menu").count() == 1


def test_the_report_period_page_has_no_aria_expanded_on_a_radio(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("ben.business")
    page.goto(f"{live_server.url}/reports/twsp/period/")
    assert page.locator("input[type=radio][aria-expanded]").count() == 0
    assert axe_violations(page) == []
    # Another period still works: the dates are there to fill in.
    page.get_by_label("Another period: choose the dates").check()
    page.locator("#id_start").fill("1")
    page.locator("#id_start-month").fill("4")
    page.locator("#id_start-year").fill("2025")
    page.locator("#id_end").fill("30")
    page.locator("#id_end-month").fill("9")
    page.locator("#id_end-year").fill("2025")
    page.get_by_role("button", name="Show the report").click()
    page.wait_for_load_state()
    assert "There is a problem" not in page.content()
    assert page.locator("h1").inner_text() == "Report for 1 April 2025 to 30 September 2025"


def test_pages_use_a_system_font_and_load_no_web_font(
    demo_with_history: Any, window_for: Callable[..., Page], live_server: Any
) -> None:
    page = window_for("nia.nurse")
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url) if r.resource_type == "font" else None)
    page.goto(f"{live_server.url}/", wait_until="networkidle")
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" not in family
    assert family.startswith("system-ui")
    assert fonts == []
    assert page.evaluate("Array.from(document.fonts).length") == 0
