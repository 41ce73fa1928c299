"""What each figure of the board's report counts: the one table that the report
(:mod:`parley.reports.sections`), the lists of cases behind a figure
(:mod:`parley.reports.behind`) and docs/reports.md all read.

``link`` is the figure's name in the link to the cases behind it (``?figure=raised``);
``behind`` ends the heading of that list ("Disagreements raised"); a figure without a
list of its own has neither. docs/reports.md shows this table as
:func:`definitions_markdown` writes it (``tests/reports/test_definitions.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    counts: str
    link: str = ""
    behind: str = ""


FIGURES = (
    Figure(
        "Raised, by the agency that raised it, the agency it was raised with, the pair of"
        " agencies and the procedure's own categories",
        "disagreements raised in the period",
        "raised",
        "raised",
    ),
    Figure(
        "Resolved, with the stage at which",
        "the resolution fell in the period",
        "resolved",
        "resolved",
    ),
    Figure("Withdrawn", "the withdrawal fell in the period", "withdrawn", "withdrawn"),
    Figure("Closed", "the closure fell in the period", "closed", "closed"),
    Figure(
        "Highest stage reached",
        "disagreements resolved or withdrawn in the period, by the highest stage each reached",
        "ended",
        "resolved or withdrawn",
    ),
    Figure(
        "Time at each stage, in working days against the stage's limit, with the share"
        " within it, the median and the mean",
        "stages left in the period (moved on, resolved or withdrawn), from the day reached"
        " to the day left",
        "left",
        "that finished a stage",
    ),
    Figure(
        "Time overall",
        "cases resolved in the period, from the day they reached a formal stage (after any"
        " informal conversation) to the day resolved, against the procedure's overall"
        " limit where it has one",
    ),
    Figure(
        "Immediate risk",
        "cases put on the immediate-risk route in the period",
        "immediate",
        "put on the immediate-risk route",
    ),
    Figure(
        "Open at the end",
        "open at the end of the period (or today, for a period not yet over)",
        "open",
        "open at the end of the period",
    ),
    Figure(
        "Overdue at the end",
        "open at the end of the period (or today), and past their stage's limit by then",
        "overdue",
        "past their stage's timescale at the end of the period",
    ),
    Figure(
        "Learning",
        "policy, procedure and training issues referred from cases in the period, and the"
        " learning log (below)",
    ),
)

# The heading of each list of cases behind a figure, by the figure's name in its link.
BEHIND_WORDS = {figure.link: figure.behind for figure in FIGURES if figure.link}


def definitions_markdown() -> str:
    """The table of docs/reports.md's "What each figure counts"."""
    lines = ["| Figure | Counts | Cases behind it |", "| --- | --- | --- |"]
    for figure in FIGURES:
        behind = f"`?figure={figure.link}`" if figure.link else "no list"
        lines.append(f"| **{figure.name}** | {figure.counts} | {behind} |")
    return "\n".join(lines) + "\n"
