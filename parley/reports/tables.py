"""A report as tables of cells, so the page, the PDF, the CSV and the XLSX say the same.

Every count has a key; the report knows which counts add up to which, so that
:meth:`Report.shared` can hide the small ones and anything that would give them away
(:func:`parley.core.report.suppress`). Shares and day counts hide with the counts behind
them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parley.core.report import Hidden, Period, hidden_words, share_shown, suppress

Key = tuple[str, ...]
# The figures a board looks at first: when something must be hidden to protect a small
# count, a breakdown's total goes before one of these.
HEADLINE = frozenset(
    {"raised", "resolved", "withdrawn", "closed", "immediate", "open_end", "overdue_end"}
)


@dataclass
class Cell:
    value: int | float | None
    key: Key | None = None  # a count taking part in suppression
    kind: str = "count"  # count | share | days | text
    link: str = ""  # the query string of the case list behind a count
    depends: tuple[Key, ...] = ()  # share: (within, late); days: (count,)
    text: str = ""  # kind "text"
    hidden: Hidden | None = None

    def display(self, threshold: int, *, short: bool = False) -> str:
        if self.kind == "text":
            return self.text
        if self.hidden is not None:
            if self.kind == "count":
                return hidden_words(self.hidden, threshold, short=short)
            return "[c]" if short else "not shown"
        if self.value is None:
            return "–"
        if self.kind == "share":
            return f"{round(float(self.value) * 100)}%"
        if self.kind == "days":
            return f"{float(self.value):.1f}".removesuffix(".0")
        return f"{int(self.value):,}"

    @property
    def number(self) -> int | float | None:
        """The value as shared: nothing when hidden."""
        return None if self.hidden is not None else self.value


@dataclass
class Row:
    label: str
    cells: list[Cell]
    note: str = ""
    total: bool = False


@dataclass
class Table:
    id: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[Row]
    description: str = ""
    chart: str = ""  # "" | "trend" | "bars"


@dataclass
class Section:
    id: str
    title: str
    tables: list[Table]
    intro: str = ""


@dataclass
class LearningRow:
    summary: str  # written for sharing
    issue: str  # as referred: on screen only
    topic: str
    referred_on: datetime
    referred_to: str
    decision: str
    done_on: Any
    follow_up_due: Any
    overdue: bool
    reference: str  # on screen only
    item_id: int | None


@dataclass
class Report:
    title: str
    procedure_id: str
    procedure_name: str
    partnership_name: str
    reporting_to: str
    period: Period
    periods: tuple[Period, ...]
    threshold: int
    generated_at: datetime
    sections: list[Section]
    counts: dict[Key, int]
    sums: list[tuple[Key, list[Key]]]
    learning: list[LearningRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_shared: bool = False

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def table(self, table_id: str) -> Table:
        for table in self.tables():
            if table.id == table_id:
                return table
        raise KeyError(table_id)

    def cells(self) -> list[Cell]:
        return [cell for table in self.tables() for row in table.rows for cell in row.cells]

    def figures(self) -> dict[str, int | float | None]:
        """Every figure by its key, exact: what the tests check against a slow count."""
        found: dict[str, int | float | None] = {"|".join(k): v for k, v in self.counts.items()}
        for cell in self.cells():
            if cell.key is not None and cell.kind != "count":
                found["|".join(cell.key)] = cell.value
        return found

    def shared(self) -> Report:
        """A copy safe to share: small counts and what would give them away are hidden,
        and the learning log keeps only what was written for sharing."""
        hidden = suppress(
            self.counts, self.sums, self.threshold, keep=lambda key: key[0] in HEADLINE
        )
        shared = copy.deepcopy(self)
        shared.is_shared = True
        for cell in shared.cells():
            if cell.kind == "count" and cell.key is not None:
                cell.hidden = hidden.get(cell.key)
            elif cell.kind == "share" and cell.depends:
                within, late = (self.counts.get(k, 0) for k in cell.depends[:2])
                if any(k in hidden for k in cell.depends) or not share_shown(
                    within, late, self.threshold
                ):
                    cell.hidden = Hidden.SECONDARY
            elif (
                cell.kind == "days"
                and cell.depends
                and cell.value is not None
                and self.counts.get(cell.depends[0], 0) < self.threshold
            ):
                cell.hidden = Hidden.SECONDARY
            cell.link = ""
        for item in shared.learning:
            item.issue = ""
            item.reference = ""
            item.item_id = None
        return shared
