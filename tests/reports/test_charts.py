"""The report's charts: each bar said in words beside it, not by its colour alone; a short
name and the figures as a description; drawn at their own size, to scroll, not shrink."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.django_db


def charts(html: str) -> dict[str, ET.Element]:
    """The report page's charts by their title."""
    found = {}
    for text in re.findall(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="parley-chart.*?</svg>', html, re.S
    ):
        svg = ET.fromstring(text)
        title = svg.find(f"{SVG}title")
        assert title is not None
        found[title.text or ""] = svg
    return found


def rows(svg: ET.Element) -> list[tuple[float, float, list[str]]]:
    """Each bar: its top, its bottom, and the words drawn on the same line."""
    texts = [(float(t.get("y", 0)), t.text or "") for t in svg.iter(f"{SVG}text")]
    bars = []
    for rect in svg.iter(f"{SVG}rect"):
        top = float(rect.get("y", 0))
        bottom = top + float(rect.get("height", 0))
        bars.append((top, bottom, [words for y, words in texts if top <= y <= bottom]))
    return bars


@pytest.fixture
def report_html(year, signed_in) -> str:
    response = signed_in("ben.business").get("/reports/twsp/?period=2025-H2")
    assert response.status_code == 200
    return response.content.decode()


def test_the_trend_chart_names_each_bar_in_words_not_by_a_colour_key(report_html):
    found = charts(report_html)
    trend = next(svg for title, svg in found.items() if title.startswith("Disagreements raised"))
    bars = rows(trend)
    assert bars
    for _top, _bottom, words in bars:
        assert len(words) == 1, words
        assert re.fullmatch(r"(Raised|Resolved): [\d,]+", words[0]), words
    # No key of coloured squares: every "Raised" is beside a bar or a zero.
    periods = ["July to December 2023", "January to June 2024", "July to December 2024"]
    texts = [t.text for t in trend.iter(f"{SVG}text")]
    assert [t for t in texts if t in periods] == periods
    assert sum(1 for t in texts if t and t.startswith("Raised: ")) == 5
    assert sum(1 for t in texts if t and t.startswith("Resolved: ")) == 5


def test_each_bar_of_a_bar_chart_has_its_figure_beside_it(report_html):
    for title, svg in charts(report_html).items():
        if title.startswith("Disagreements raised"):
            continue
        for _top, _bottom, words in rows(svg):
            assert len(words) == 1 and re.fullmatch(r"[\d,]+|<\d+", words[0]), (title, words)


def test_a_chart_is_named_by_its_title_and_described_by_its_figures(report_html):
    for svg in charts(report_html).values():
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and desc is not None
        assert svg.get("aria-labelledby") == title.get("id")
        assert svg.get("aria-describedby") == desc.get("id")
        # Its own width in pixels, not the window's: a narrow window scrolls it.
        assert svg.get("width") == "640"
        assert svg.get("height") == svg.get("viewBox", "").split()[-1]


def test_each_chart_sits_in_a_region_that_scrolls_and_can_be_reached_by_keyboard(report_html):
    regions = re.findall(
        r'<div class="parley-table-scroll" role="region" aria-label="Chart: [^"]+" '
        r'tabindex="0"><figure class="parley-chart-figure"><svg',
        report_html,
    )
    assert len(regions) == len(charts(report_html)) > 0
