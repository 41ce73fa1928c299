"""Safe to share: no shared output shows a count under the threshold or names anyone.

The CSV, the XLSX and the PDF are read back as a reader would see them.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from parley.cases.models import Disagreement, Person
from parley.core.report import parse_period
from parley.reports import exports
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from parley.reports.services import report_settings_set
from tests.reports.conftest import TODAY

NOT_COUNTS = {"Timescale", "Share within", "Median working days", "Mean working days"}
HIDDEN = {"<5", "[c]"}
SHARE_ROW = "Stages finished within their timescale"


def _report(year, procedure_id="twsp", period="2025-H2", threshold=5):
    scope = report_scope(partnership=year, procedure_id=procedure_id)
    return report_build(scope=scope, period=parse_period(period), threshold=threshold, today=TODAY)


def _shown_count_is_safe(value: str, threshold: int) -> bool:
    if value in (f"<{threshold}", "[c]", "–"):
        return True
    number = int(value.replace(",", ""))
    return number == 0 or number >= threshold


def _identifiers(year) -> list[str]:
    """Everything that could identify a person or a case: names and references."""
    found = list(Person.objects.filter(partnership=year).values_list("name", flat=True))
    cases = Disagreement.objects.filter(partnership=year)
    found += list(cases.values_list("reference", flat=True)[:50])
    return [f for f in found if f]


@pytest.mark.parametrize("procedure_id", ["twsp", "bedfordshire-channel"])
def test_no_count_in_the_csv_is_under_the_threshold(year, procedure_id):
    report = _report(year, procedure_id)
    assert any(0 < v < 5 for v in report.counts.values()), "the data needs small counts"
    text = exports.report_csv(report.shared())
    rows = list(csv.reader(io.StringIO(text)))
    header = rows.index(["Section", "Table", "Row", "Column", "Value"])
    figures = [r for r in rows[header + 1 :] if len(r) == 5]
    assert len(figures) > 50
    hidden = 0
    for _, table, row, column, value in figures:
        if column in NOT_COUNTS or row == SHARE_ROW:
            continue
        assert _shown_count_is_safe(value, 5), (table, row, column, value)
        hidden += value in HIDDEN
    assert hidden > 0
    for identifier in _identifiers(year):
        assert identifier not in text


def test_no_count_in_the_spreadsheet_is_under_the_threshold(year):
    report = _report(year)
    book = load_workbook(io.BytesIO(exports.report_xlsx(report.shared())))
    checked = hidden = 0
    for sheet in book.worksheets[1:]:
        if sheet.title == "Learning":
            continue
        columns: list[str] = []
        for row in sheet.iter_rows(values_only=True):
            if (
                row
                and row[0]
                and len([c for c in row if c is not None]) > 1
                and all(isinstance(c, str) for c in row if c is not None)
                and not any(str(c) in HIDDEN for c in row)
            ):
                columns = [str(c) for c in row]
                continue
            for column, value in zip(columns[1:], row[1:], strict=False):
                if value is None or column in NOT_COUNTS or row[0] == SHARE_ROW:
                    continue
                assert _shown_count_is_safe(str(value), 5), (sheet.title, row, column)
                checked += 1
                hidden += str(value) in HIDDEN
            for value in row:
                for identifier in _identifiers(year):
                    assert identifier not in str(value or "")
    assert checked > 50 and hidden > 0


def test_no_count_in_the_board_paper_is_under_the_threshold(year):
    exact = _report(year)
    shared = exact.shared()
    pdf = PdfReader(io.BytesIO(exports.report_pdf(shared)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    # A long label wraps onto a second line in the PDF: compare with the lines joined.
    flat = " ".join(text.split())

    def shows(words: str) -> bool:
        # Not a stage's time limit ("Stage 4: ... 4 working days"), which is no count.
        pattern = rf"(?<![\w]){re.escape(words)}(?![\d]| working days)"
        return re.search(pattern, flat) is not None

    checked = 0
    for table_id in ("raising", "receiving", "pairs", "categories", "highest"):
        exact_rows = exact.table(table_id).rows
        for exact_row, row in zip(exact_rows, shared.table(table_id).rows, strict=True):
            shown = row.cells[0].display(5)
            assert shows(f"{row.label} {shown}"), (table_id, row.label)
            value = exact_row.cells[0].value
            # A small count must not show anywhere beside its label. (A larger one hidden
            # to protect it, such as a total, may rightly equal a figure shown elsewhere.)
            if row.cells[0].hidden and isinstance(value, int) and value < 5:
                assert not shows(f"{row.label} {value}")
            checked += 1
    for label in ("Raised", "Resolved", "Withdrawn", "Closed"):
        row = next(r for r in shared.table("trend").rows if r.label == label)
        assert shows(f"{label} {' '.join(c.display(5) for c in row.cells)}")
    assert checked > 20 and "fewer than 5" in text
    for identifier in _identifiers(year):
        assert identifier not in text


def test_a_sum_never_has_exactly_one_hidden_member(year):
    report = _report(year)
    shared = report.shared()
    hidden = {cell.key for cell in shared.cells() if cell.hidden and cell.key}
    for total, parts in report.sums:
        visible = [k for k in (total, *parts) if k in report.counts]
        assert sum(1 for k in visible if k in hidden) != 1, (total, parts)


def test_the_partnership_chooses_the_smallest_count_shown(year):
    report_settings_set(partnership=year, suppression_threshold=10)
    report = _report(year, threshold=10)
    text = exports.report_csv(report.shared())
    assert "<10" in text and "<5" not in text


def test_a_share_resting_on_a_small_count_is_not_shared(year):
    shared = _report(year).shared()
    for cell in shared.cells():
        if cell.kind == "share" and cell.hidden is None and cell.value is not None:
            within, late = (shared.counts.get(k, 0) for k in cell.depends)
            assert within in (0,) or within >= 5
            assert late in (0,) or late >= 5


def test_the_learning_log_is_shared_only_as_written_for_sharing(year):
    shared = _report(year, period="2025").shared()
    assert shared.learning
    assert all(item.issue == "" and item.reference == "" for item in shared.learning)
