"""The board's files opened with what the board opens them with: the CSV and the XLSX in
LibreOffice (headless), the XLSX printed to PDF by LibreOffice and read with poppler's
tools, and the board paper's PDF structure read with pdfinfo and pypdf."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from tests.office import (
    BOM,
    csv_in_libreoffice,
    pdf_pages_as_png,
    pdfinfo,
    pdftotext,
    soffice_convert,
)

URL = "/reports/twsp/report.{}?period=2025-H2"


def structure_roles(reader: pypdf.PdfReader) -> dict[str, list[str]]:
    """Each role in the PDF's structure tree, with the alternative text of each element."""
    roles: dict[str, list[str]] = {}
    pending = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        node = pending.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.ArrayObject):
            pending.extend(node)
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue  # a marked-content number
        if "/S" in node:
            roles.setdefault(str(node["/S"]), []).append(str(node.get("/Alt", "")))
        if "/K" in node:
            pending.append(node["/K"])
    return roles


@pytest.fixture
def files(year, signed_in, tmp_path: Path):
    client = signed_in("ben.business")

    def get(fmt: str) -> Path:
        response = client.get(URL.format(fmt))
        assert response.status_code == 200
        path = tmp_path / f"report.{fmt}"
        path.write_bytes(response.content)
        return path

    return get


def test_the_csv_opens_in_libreoffice_with_agency_names_and_arrows_as_written(files, tmp_path):
    data = files("csv").read_bytes()
    assert data.startswith(BOM)  # what tells Excel and LibreOffice it is UTF-8
    rows = csv_in_libreoffice(data, tmp_path, "figures")
    assert rows[0][:2] == [
        "Report",
        "TWSP Resolution and Escalation Process: July to December 2025",
    ]
    pairs = [row[2] for row in rows if row and row[1] == "Between which agencies"]
    assert "Demoshire Council Children's Services → Demoshire Academy" in pairs


def test_the_xlsx_is_set_up_to_print(files):
    book = load_workbook(files("xlsx"))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert len(sheet.title) <= 31
        if sheet.title != "About":
            assert sheet.print_title_rows == "$1:$1", sheet.title
            assert sheet.column_dimensions["B"].width, sheet.title  # not only column A
        fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value}
        assert fonts == {"Arial"}, (sheet.title, fonts)
    # Whole words, and each section's full title heads its sheet.
    assert [s.title for s in book.worksheets] == [
        "About", "Summary", "Between whom, and about what", "How they ended",
        "Time against timescales", "Still open", "Learning",
    ]  # fmt: skip
    assert book["Time against timescales"]["A1"].value == (
        "Time taken against the procedure's timescales"
    )


def test_the_xlsx_prints_from_libreoffice_landscape_whole_and_in_one_font(files):
    pdf = soffice_convert(files("xlsx"), "pdf")
    info = pdfinfo(pdf)
    width, height = (float(x) for x in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert width > height, info["Page size"]  # landscape
    pages = int(info["Pages"])
    assert pages <= 10, pages  # was 19: every column of the wide tables on a page of its own
    text = pdftotext(pdf)
    # Headers whole (was "January t"), each column beside its labels, sheet names whole.
    assert not re.search(r"January t(?!o)|July to D(?!e)", text)
    for header in ("July to", "December 2023", "January to", "June 2024", "Median", "Share"):
        assert header in text, header
    assert "Time against timescales, page" in text
    assert "Time taken against the procedure's timescales" in text
    # One font family, bold included (bold used to fall back to a serif).
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    families = {
        line.split()[0].split("+")[-1].split("-")[0] for line in fonts.stdout.splitlines()[2:]
    }
    assert len(families) == 1 and "Serif" not in next(iter(families)), fonts.stdout
    assert len(pdf_pages_as_png(pdf)) == pages


def test_the_board_paper_is_a_tagged_pdf_in_english_with_described_charts(files):
    path = files("pdf")
    assert pdfinfo(path)["Tagged"] == "yes"
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert re.search(rb'pdfuaid:part(="1"|>1<)', root["/Metadata"].get_data())  # PDF/UA-1
    roles = structure_roles(reader)
    assert {"/Document", "/H1", "/H2", "/Table", "/TH", "/TD", "/Figure"} <= set(roles), roles
    assert all(alt for alt in roles["/Figure"]), roles["/Figure"]  # each chart described
