"""A filled-in form as plain data: one definition read by both the PDF and the DOCX writer.

A form is sections of boxed fields, as council forms are laid out: each field a label
and an answer, two to a row where the original pairs them (Date of Birth | NHS Number),
or a label across the whole width with the answer below it for long answers. A section
can also hold a small table (the stages a disagreement went through).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# UK Government Security Classifications: safeguarding case data is OFFICIAL, marked
# OFFICIAL-SENSITIVE as councils do for personal data about children and adults at risk.
MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class Field:
    label: str
    value: str = ""
    hint: str = ""  # smaller words under the label, as the original prints them
    wide: bool = False  # the label across the whole width, the answer below it
    lines: int = 1  # room left for writing by hand when the answer is empty


@dataclass(frozen=True)
class Row:
    """One or two fields side by side."""

    fields: tuple[Field, ...]
    is_grid = False  # lets a template tell a row from a grid


@dataclass(frozen=True)
class Grid:
    """A small table: the stages gone through, the parties."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "None recorded."
    is_grid = True


Part = Row | Grid


@dataclass(frozen=True)
class Section:
    heading: str
    parts: tuple[Part, ...]
    intro: str = ""


@dataclass(frozen=True)
class FormDocument:
    template: str
    partnership: str
    title: str
    reference: str
    date: str
    sections: tuple[Section, ...]
    banner: str = ""  # an instruction printed under the title, e.g. "FORMAL ESCALATION FORM ..."
    notes: tuple[str, ...] = ()  # printed at the end, under "About this form"
    marking: str = MARKING
    send_to: str = ""
    prepared_at: datetime | None = None

    def fields(self) -> list[Field]:
        """Every field, in order: what the tests check both files against."""
        found: list[Field] = []
        for section in self.sections:
            for part in section.parts:
                if isinstance(part, Row):
                    found.extend(part.fields)
        return found


def row(*fields: Field) -> Row:
    return Row(tuple(fields))


def wide(label: str, value: str = "", *, hint: str = "", lines: int = 4) -> Row:
    return Row((Field(label, value, hint=hint, wide=True, lines=lines),))


def pair(label: str, value: str, other_label: str, other_value: str) -> Row:
    return Row((Field(label, value), Field(other_label, other_value)))


def one(label: str, value: str = "", *, lines: int = 1) -> Row:
    return Row((Field(label, value, lines=lines),))


def signed(date_value: str = "") -> Row:
    """The "Date | Signature" row the TWSP form puts under each answer: room to sign."""
    return Row((Field("Date", date_value, lines=2), Field("Signature", "", lines=2)))
