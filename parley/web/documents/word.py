"""A filled-in form as a Word document, for agencies that must edit it.

The same :class:`FormDocument` as the PDF: each section a Word heading and a table whose
cells are the form's fields (labels shaded, answers editable), A4, Arial, the protective
marking in the header and footer, and "Page N of M" from Word's own fields.
"""

from __future__ import annotations

import io
from datetime import UTC

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from parley.web.documents.model import FormDocument, Grid, Row

FONT = "Arial"
LABEL_SHADE = "E6E6E6"
# Label, answer, label, answer: the same proportions as the PDF.
COLUMNS = (Mm(39), Mm(50), Mm(39), Mm(50))


def docx_bytes(form: FormDocument) -> bytes:
    document = Document()
    _page(document, form)
    _styles(document)
    _properties(document, form)

    partnership = document.add_paragraph()
    run = partnership.add_run(form.partnership)
    run.bold = True
    run.font.size = Pt(13)
    document.add_heading(form.title, level=1)
    if form.banner:
        banner = _table(document, 1)
        cell = banner.rows[0].cells[0]
        _text(cell, form.banner, bold=True)
    meta = _table(document, 4)
    _label_answer(meta.rows[0].cells, "Reference", form.reference, "Prepared on", form.date)
    if form.send_to:
        cells = meta.add_row().cells
        _label(cells[0], "Send to")
        _text(cells[1].merge(cells[3]), form.send_to)

    for section in form.sections:
        if section.heading:
            document.add_heading(section.heading, level=2)
        if section.intro:
            document.add_paragraph(section.intro)
        table: Table | None = None
        for part in section.parts:
            if isinstance(part, Grid):
                _grid(document, part)
                table = None
                continue
            if table is None:
                table = _table(document, 4, rows=0)
            _row(table, part)

    if form.notes:
        document.add_heading("About this form", level=2)
        for note in form.notes:
            document.add_paragraph(note)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the page, styles and properties ---------------------------------------------------


def _page(document: WordDocument, form: FormDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin = section.bottom_margin = Mm(20)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run(form.marking).bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(form.marking).bold = True
    numbers = section.footer.add_paragraph()
    numbers.alignment = WD_ALIGN_PARAGRAPH.CENTER
    numbers.add_run(f"{form.reference}    Page ")
    _field(numbers, "PAGE")
    numbers.add_run(" of ")
    _field(numbers, "NUMPAGES")


def _styles(document: WordDocument) -> None:
    for name, size in (("Normal", 10), ("Heading 1", 17), ("Heading 2", 12), ("Title", 17)):
        style = document.styles[name]
        font = style.font  # type: ignore[attr-defined]
        font.name = FONT
        font.size = Pt(size)
        font.color.rgb = RGBColor(0, 0, 0)
        # Word keeps a separate font for East Asian text; without this it is not Arial.
        fonts = style.element.rPr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
        if fonts is not None:
            for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attribute), FONT)
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(theme), None)
        if name.startswith("Heading"):
            font.bold = True
            font.italic = False


def _properties(document: WordDocument, form: FormDocument) -> None:
    # No personal data in the file's properties: they travel unseen with the file.
    properties = document.core_properties
    properties.title = f"{form.title} {form.reference}"
    properties.subject = form.title
    properties.author = form.partnership
    properties.last_modified_by = "Parley"
    properties.comments = ""
    properties.keywords = form.marking
    properties.category = form.marking
    if form.prepared_at is not None:
        properties.created = properties.modified = form.prepared_at.astimezone(UTC)


# --- tables ------------------------------------------------------------------------------


def _table(document: WordDocument, columns: int, rows: int = 1) -> Table:
    table = document.add_table(rows=rows, cols=columns)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = COLUMNS if columns == 4 else tuple(Mm(178 / columns) for _ in range(columns))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    return table


def _row(table: Table, part: Row) -> None:
    fields = part.fields
    if len(fields) == 1 and fields[0].wide:
        field = fields[0]
        label = _new_row(table)
        _label(label[0].merge(label[3]), field.label, field.hint)
        answer = _new_row(table)
        _text(answer[0].merge(answer[3]), field.value, lines=field.lines)
    elif len(fields) == 1:
        field = fields[0]
        cells = _new_row(table)
        _label(cells[0], field.label, field.hint)
        _text(cells[1].merge(cells[3]), field.value, lines=field.lines)
    else:
        cells = _new_row(table)
        first, second = fields[0], fields[1]
        _label_answer(cells, first.label, first.value, second.label, second.value)


def _new_row(table: Table) -> list[_Cell]:
    cells = table.add_row().cells
    for cell, width in zip(cells, COLUMNS, strict=True):
        cell.width = width
    return list(cells)


def _label_answer(cells: tuple[_Cell, ...] | list[_Cell], *pairs: str) -> None:
    for index in range(0, len(pairs), 2):
        _label(cells[index], pairs[index])
        _text(cells[index + 1], pairs[index + 1])


def _grid(document: WordDocument, grid: Grid) -> None:
    table = _table(document, len(grid.columns))
    for cell, column in zip(table.rows[0].cells, grid.columns, strict=True):
        _label(cell, column)
    _repeat_header(table)
    if not grid.rows:
        cells = table.add_row().cells
        _text(cells[0].merge(cells[-1]), grid.empty)
    for values in grid.rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            if index == 0:
                _label(cell, value)
            else:
                _text(cell, value)


def _label(cell: _Cell, text: str, hint: str = "") -> None:
    _shade(cell)
    paragraph = cell.paragraphs[0]
    paragraph.add_run(text).bold = True
    if hint:
        small = cell.add_paragraph().add_run(hint)
        small.font.size = Pt(9)


def _text(cell: _Cell, text: str, *, bold: bool = False, lines: int = 1) -> None:
    """The answer, a paragraph per line; empty answers keep room to write by hand."""
    paragraphs = text.split("\n") if text.strip() else [""] * max(lines, 1)
    first = cell.paragraphs[0]
    for index, words in enumerate(paragraphs):
        paragraph = first if index == 0 else cell.add_paragraph()
        if words:
            paragraph.add_run(words).bold = bold


def _shade(cell: _Cell) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shade = OxmlElement("w:shd")
    shade.set(qn("w:val"), "clear")
    shade.set(qn("w:color"), "auto")
    shade.set(qn("w:fill"), LABEL_SHADE)
    properties.append(shade)


def _repeat_header(table: Table) -> None:
    """Repeat a grid's column headings on each page it runs over."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)


def _field(paragraph: Paragraph, code: str) -> None:
    """A Word field such as PAGE or NUMPAGES, which Word fills in as it lays out the pages."""

    def mark(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    mark("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    paragraph.add_run()._r.append(instruction)
    mark("separate")
    paragraph.add_run("1")  # shown until Word updates the field
    mark("end")
