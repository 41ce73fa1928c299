"""One table of figure definitions, read by the report, its lists of cases and its docs."""

from __future__ import annotations

from pathlib import Path

from parley.reports.behind import FIGURE_WORDS
from parley.reports.definitions import BEHIND_WORDS, FIGURES, definitions_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


def test_docs_show_the_table_of_definitions_as_it_is() -> None:
    assert definitions_markdown() in DOCS.read_text()


def test_the_lists_of_cases_behind_read_the_table() -> None:
    assert FIGURE_WORDS is BEHIND_WORDS


def test_every_figure_the_report_links_to_is_defined(year) -> None:
    from parley.core.report import parse_period
    from parley.reports.figures import report_build
    from parley.reports.scope import report_scope
    from tests.reports.conftest import TODAY

    scope = report_scope(partnership=year, procedure_id="twsp")
    report = report_build(scope=scope, period=parse_period("2025"), threshold=5, today=TODAY)
    linked = {
        part.removeprefix("figure=")
        for cell in report.cells()
        for part in cell.link.split("&")
        if part.startswith("figure=")
    }
    assert linked and linked <= {figure.link for figure in FIGURES if figure.link}
