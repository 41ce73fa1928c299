"""The report as files to share: a PDF board paper, a CSV and an XLSX of the figures.

Each is made from :meth:`Report.shared`: small counts and whatever would give them away
are hidden, figures link to nothing, and the learning log keeps only what was written for
sharing. Nothing names or identifies the people concerned: no references, no subjects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

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
                [safe_text(x) for x in (
                    "Learning", item.summary or "Summary not yet written", item.topic,
                    item.referred_to, item.decision, item.done_on or "", item.follow_up_due or "",
                )]
            )  # fmt: skip
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "Sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def report_xlsx(report: Report) -> bytes:
    if not report.is_shared:
        raise ValueError("only a shared report is exported")
    book = Workbook()
    about = book.active
    about.title = "About"
    bold = Font(bold=True)
    for name, value in _about(report):
        about.append([safe_text(name), safe_text(value)])
        about.cell(row=about.max_row, column=1).font = bold
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    used = {"About"}
    for section in report.sections:
        sheet = book.create_sheet(_sheet_name(section.title, used))
        sheet.column_dimensions["A"].width = 60
        for table in section.tables:
            sheet.append([safe_text(table.title)])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
            sheet.append([safe_text(table.row_header), *(safe_text(c) for c in table.columns)])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for row in table.rows:
                values: list[object] = [safe_text(row.label)]
                for cell in row.cells:
                    number = cell.number
                    if cell.kind == "count" and isinstance(number, int):
                        values.append(number)
                    else:
                        values.append(safe_text(cell.display(report.threshold, short=True)))
                sheet.append(values)
                if row.total:
                    sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append([])
    if report.learning:
        sheet = book.create_sheet(_sheet_name("Learning", used))
        sheet.append(["Issue", "Kind", "Referred to", "Decided", "Done", "Follow up by"])
        for cell in sheet[1]:
            cell.font = bold
        for item in report.learning:
            sheet.append(
                [safe_text(x) for x in (
                    item.summary or "Summary not yet written", item.topic, item.referred_to,
                    item.decision,
                )] + [item.done_on, item.follow_up_due]
            )  # fmt: skip
        for column in "ABCD":
            sheet.column_dimensions[column].width = 40
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
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
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
