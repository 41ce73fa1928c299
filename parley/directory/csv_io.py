"""Reading and writing the directory as CSV: the file's shape, nothing about the database.

One row per role a person holds (docs/directory.md). Row numbers are counted as a
spreadsheet shows them: the column headings are row 1, the first person row 2.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

COLUMNS: tuple[str, ...] = (
    "agency",
    "agency_type",
    "team",
    "name",
    "email",
    "job_title",
    "phone",
    "role",
    "procedures",
    "acting_for",
)
REQUIRED: tuple[str, ...] = ("name", "email", "role")

# Headings people write for the same column; compared after normalising (see heading_key).
ALIASES: dict[str, str] = {
    "e_mail": "email",
    "email_address": "email",
    "organisation": "agency",
    "agency_name": "agency",
    "type": "agency_type",
    "agency_kind": "agency_type",
    "title": "job_title",
    "job": "job_title",
    "telephone": "phone",
    "phone_number": "phone",
    "tel": "phone",
    "procedure": "procedures",
    "full_name": "name",
    "acts_for": "acting_for",
}

MAX_BYTES = 2 * 1024 * 1024
MAX_CELL = 1000

# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED = ("+", "-")
_PLAIN_NUMBER = re.compile(r"[+\-]?[\d\s().]*")
_SPACES = re.compile(r"\s+")
# Characters no text file has: a "CSV" with them is something else renamed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


BOM = "\ufeff"


class NotACsv(Exception):
    """The upload is not a text CSV file; the message says what it is and what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file, with where it is. ``row`` 0: the file as a whole."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Sheet:
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def tidy(text: str) -> str:
    """One line, single spaces, no spaces at either end."""
    return _SPACES.sub(" ", text).strip()


def heading_key(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().casefold()).strip("_")
    return ALIASES.get(key, key)


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word`` (compared without case), if any is close."""
    options = {choice.casefold(): choice for choice in choices}
    found = difflib.get_close_matches(word.casefold(), list(options), n=1, cutoff=0.6)
    return options[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    suggestion = nearest(word, choices)
    return f"; did you mean '{suggestion}'?" if suggestion else ""


# --- reading ----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an uploaded file, or NotACsv saying why it is not a CSV file."""
    if len(data) > MAX_BYTES:
        raise NotACsv("The selected file must be smaller than 2MB")
    if not data.strip():
        raise NotACsv("The selected file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise NotACsv(
            "The selected file is a spreadsheet workbook, not a CSV: in your spreadsheet, "
            "choose Save as, then 'CSV UTF-8 (comma delimited)', and upload that file"
        )
    if data.startswith(b"%PDF") or data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data:
        raise NotACsv("The selected file must be a CSV, saved from a spreadsheet as CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # A spreadsheet saved as plain "CSV" on Windows is in this encoding.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise NotACsv(
                "The selected file must be a CSV saved as text: in your spreadsheet, choose "
                "Save as, then 'CSV UTF-8 (comma delimited)'"
            ) from None
    if _CONTROL.search(text):
        raise NotACsv("The selected file must be a CSV, saved from a spreadsheet as CSV")
    return text


def _unguard(value: str) -> str:
    """Undo :func:`_guard`: a leading apostrophe before a formula character goes."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=@+-\t\r":
        return value[1:]
    return value


def _delimiter(text: str) -> str:
    """A comma, unless the headings are separated by semicolons or tabs instead.

    Spreadsheets set to some European languages save "CSV" with semicolons, and a table
    copied out of one is separated by tabs.
    """
    first = next((line for line in text.splitlines() if line.strip()), "")

    def known(delimiter: str) -> int:
        return sum(heading_key(cell) in COLUMNS for cell in first.split(delimiter))

    return max((",", ";", "\t"), key=known)  # max keeps the first of equals: the comma


def read(text: str) -> Sheet:
    """The rows of a directory file, with every problem of its shape."""
    text = text.removeprefix(BOM)
    sheet = Sheet()
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as error:
        sheet.problems.append(
            Problem(0, "", f"The file cannot be read as CSV ({error}): save it again as CSV")
        )
        return sheet
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    if not records:
        sheet.problems.append(Problem(0, "", "The file has no column headings and no rows"))
        return sheet
    header, *body = records
    known: list[str] = []
    for cell in header:
        key = heading_key(cell)
        if not cell.strip():
            known.append("")
        elif key in COLUMNS:
            if key in known:
                sheet.problems.append(
                    Problem(1, key, f"Row 1: the column '{cell.strip()}' appears more than once")
                )
            known.append(key)
        else:
            sheet.problems.append(
                Problem(
                    1,
                    cell.strip(),
                    f"Row 1: '{cell.strip()}' is not a column{did_you_mean(key, COLUMNS)}",
                )
            )
            known.append("")
    sheet.columns = [c for c in known if c]
    for column in REQUIRED:
        if column not in sheet.columns:
            sheet.problems.append(
                Problem(1, column, f"Row 1: the file has no '{column}' column; add one")
            )
    for index, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(known) and any(cell.strip() for cell in record[len(known) :]):
            sheet.problems.append(
                Problem(
                    index,
                    "",
                    f"Row {index} has more cells than there are column headings: "
                    "check for a comma in a name or job title, and put that cell in quotes",
                )
            )
        values = {}
        for column, cell in zip(known, record, strict=False):
            if not column:
                continue
            value = _unguard(cell.strip())
            if len(value) > MAX_CELL:
                sheet.problems.append(
                    Problem(
                        index,
                        column,
                        f"Row {index}: the {column.replace('_', ' ')} is too long "
                        f"({len(value):,} characters)",
                    )
                )
                value = value[:MAX_CELL]
            values[column] = value
        sheet.rows.append(Row(index, values))
    return sheet


# --- writing ----------------------------------------------------------------------------


def _guard(value: str) -> str:
    """Stop a spreadsheet running a cell as a formula; a phone number stays as it is."""
    if value.startswith(_FORMULA_START):
        return "'" + value
    if value.startswith(_SIGNED) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write(rows: Iterable[Sequence[str]], columns: Sequence[str] = COLUMNS) -> str:
    # Starts with the byte-order mark, which tells Excel and LibreOffice the file is
    # UTF-8: without it they read names with accents as other characters.
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_guard(cell) for cell in row])
    return out.getvalue()
