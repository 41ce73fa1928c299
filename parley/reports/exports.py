"""The report as files to share: a PDF board paper, a CSV and an XLSX of the figures.

Each is made from :meth:`Report.shared`: small counts and whatever would give them away
are hidden, figures link to nothing, and the learning log keeps only what was written for
sharing. Nothing names or identifies the people concerned: no references, no subjects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from parley.reports.charts import chart_for
from parley.reports.tables import Report, Table

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(report: Report) -> Iterator[tuple[str, Table, str, str, str]]:
    """Every figure as (section, table, row, column, as shared)."""
    for section in report.sections:
        for table in section.tables:
            for row in table.rows:
                for column, cell in zip(table.columns, row.cells, strict=True):
                    yield (
                        section.title,
                        table,
                        row.label,
                        column,
                        cell.display(report.threshold, short=True),
                    )


def _about(report: Report) -> list[tuple[str, str]]:
    return [
        ("Report", report.title),
        ("Partnership", report.partnership_name),
        ("Period", f"{report.period.label} ({report.period.code})"),
        ("For", report.reporting_to),
        ("Prepared", f"{report.generated_at:%d %B %Y}"),
        ("Small numbers", suppression_words(report)),
    ]


def suppression_words(report: Report) -> str:
    t = report.threshold
    return (
        f"Counts from 1 to {t - 1} are shown as <{t}. Where a hidden count could be worked "
        "out from a total, another count is hidden too and shown as [c]. Shares and numbers "
        f"of days are not shown where they rest on fewer than {t} cases."
    )


def report_csv(report: Report) -> str:
    if not report.is_shared:
        raise ValueError("only a shared report is exported")
    out = io.StringIO()
    # The byte-order mark tells Excel and LibreOffice the file is UTF-8: without it they
    # show "Demoshire Academy →" as "Demoshire Academy â†’".
    out.write("\ufeff")
    writer = csv.writer(out)
    for name, value in _about(report):
        writer.writerow([safe_text(name), safe_text(value)])
    writer.writerow([])
    writer.writerow(["Section", "Table", "Row", "Column", "Value"])
    for section, table, row, column, value in _cells(report):
        writer.writerow([safe_text(x) for x in (section, table.title, row, column, value)])
    if report.learning:
        writer.writerow([])
        writer.writerow(
            ["Learning", "Issue", "Kind", "Referred to", "Decided", "Done", "Follow up by"]
        )
        for item in report.learning:
            writer.writerow(
                [
                    safe_text(x)
                    for x in (
                        "Learning",
                        item.summary or "Summary not yet written",
                        item.topic,
                        item.referred_to,
                        item.decision,
                        item.done_on or "",
                        item.follow_up_due or "",
                    )
                ]
            )
    return out.getvalue()


# Excel allows 31 characters in a sheet's name. A section whose title is longer gets a
# short name of its own, in whole words; its full title heads the sheet.
SHEET_NAME_MOST = 31
SHORT_SHEET_NAMES = {"time": "Time against timescales"}
# One font for every cell, bold or not: a cell whose font names none is drawn in the
# spreadsheet program's fallback, which LibreOffice makes a serif. Arial is on every
# Windows and Mac; LibreOffice on Linux draws it with its metric twin, Liberation Sans.
FONT = "Arial"
# Column widths, in characters: labels as wide as the longest (within limits), figures
# as wide as their longest header line.
LABEL_WIDTH = (16, 60)
FIGURE_WIDTH = (8, 18)


def _sheet_name(title: str, used: set[str], *, short: str = "") -> str:
    name = "".join(c for c in (short or title) if c not in "[]:*?/\\'").strip()
    if len(name) > SHEET_NAME_MOST:
        words: list[str] = []
        for word in name.split():
            if len(" ".join([*words, word])) > SHEET_NAME_MOST - 3:
                break
            words.append(word)
        name = " ".join(words).rstrip(",;-–") or name[: SHEET_NAME_MOST - 3]
    name = name or "Sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[: SHEET_NAME_MOST - 3]} {n}"
        n += 1
    used.add(name)
    return name


def _font(*, bold: bool = False, size: int = 11) -> Font:
    return Font(name=FONT, bold=bold, size=size)


def _print_setup(sheet: Worksheet, *, title_rows: str = "") -> None:
    """A4 landscape, every column on one page's width, as many pages down as it takes,
    the sheet's heading rows printed again at the top of every page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.center.text = "&A, page &P of &N"
    sheet.oddFooter.center.font = f"{FONT},Regular"


def _widths(sheet: Worksheet) -> None:
    """Each column as wide as what it holds, within limits; a header that wraps counts as
    wide as its longest word or half its length."""
    longest: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or (cell.font.sz or 11) > 11:
                continue  # a heading runs on into the empty cells beside it
            text = str(cell.value)
            size = len(text)
            if cell.alignment.wrap_text:
                size = max(max(len(word) for word in text.split()), (size + 1) // 2)
            longest[cell.column] = max(longest.get(cell.column, 0), size)
    for column, size in longest.items():
        low, high = LABEL_WIDTH if column == 1 else FIGURE_WIDTH
        sheet.column_dimensions[get_column_letter(column)].width = max(low, min(high, size + 2))


def _all_in_one_font(book: Workbook) -> None:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None and cell.font.name != FONT:
                    cell.font = _font(bold=bool(cell.font.b), size=int(cell.font.sz or 11))


def report_xlsx(report: Report) -> bytes:
    if not report.is_shared:
        raise ValueError("only a shared report is exported")
    book = Workbook()
    about = book.active
    about.title = "About"
    for name, value in _about(report):
        about.append([safe_text(name), safe_text(value)])
        about.cell(row=about.max_row, column=1).font = _font(bold=True)
        about.cell(row=about.max_row, column=2).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    _print_setup(about)
    used = {"About"}
    heading = Alignment(wrap_text=True, vertical="bottom")
    # Figures, and the "<5", "[c]" and shares among them, line up on the right.
    figure = Alignment(horizontal="right")
    figure_heading = Alignment(wrap_text=True, vertical="bottom", horizontal="right")
    for section in report.sections:
        short = SHORT_SHEET_NAMES.get(section.id, "")
        sheet = book.create_sheet(_sheet_name(section.title, used, short=short))
        # The section's whole title heads the sheet, and every printed page of it.
        sheet.append([safe_text(section.title)])
        sheet.cell(row=1, column=1).font = _font(bold=True, size=14)
        sheet.append([])
        for table in section.tables:
            sheet.append([safe_text(table.title)])
            sheet.cell(row=sheet.max_row, column=1).font = _font(bold=True, size=12)
            sheet.append([safe_text(table.row_header), *(safe_text(c) for c in table.columns)])
            for cell in sheet[sheet.max_row]:
                cell.font = _font(bold=True)
                cell.alignment = heading if cell.column == 1 else figure_heading
            for row in table.rows:
                values: list[object] = [safe_text(row.label)]
                for cell in row.cells:
                    number = cell.number
                    if cell.kind == "count" and isinstance(number, int):
                        values.append(number)
                    else:
                        values.append(safe_text(cell.display(report.threshold, short=True)))
                sheet.append(values)
                for cell in sheet[sheet.max_row][1:]:
                    cell.alignment = figure
                if row.total:
                    sheet.cell(row=sheet.max_row, column=1).font = _font(bold=True)
            sheet.append([])
        _widths(sheet)
        _print_setup(sheet, title_rows="1:1")
    if report.learning:
        sheet = book.create_sheet(_sheet_name("Learning", used))
        sheet.append(["Issue", "Kind", "Referred to", "Decided", "Done", "Follow up by"])
        for cell in sheet[1]:
            cell.font = _font(bold=True)
        for item in report.learning:
            sheet.append(
                [
                    safe_text(x)
                    for x in (
                        item.summary or "Summary not yet written",
                        item.topic,
                        item.referred_to,
                        item.decision,
                    )
                ]
                + [item.done_on, item.follow_up_due]
            )
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if isinstance(cell.value, (date, datetime)):
                    cell.number_format = "d mmm yyyy"
        for column, width in zip("ABCDEF", (40, 14, 40, 40, 14, 14), strict=True):
            sheet.column_dimensions[column].width = width
        _print_setup(sheet, title_rows="1:1")
    _all_in_one_font(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(report: Report) -> bytes:
    """The board paper: a cover, contents, each section with its charts and tables."""
    if not report.is_shared:
        raise ValueError("only a shared report is exported")
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    sections = [
        {
            "section": section,
            "tables": [
                {"table": table, "chart": chart_for(table, report, prefix="paper")}
                for table in section.tables
            ],
        }
        for section in report.sections
    ]
    html = render_to_string(
        "parley/reports/board_paper.html",
        {"report": report, "sections": sections, "suppression": suppression_words(report)},
    )
    # Tagged PDF for screen readers (PDF/UA-1): structure tree, language, title.
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")  # type: ignore[no-any-return]
