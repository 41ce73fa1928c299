"""Charts drawn on the server as SVG: no JavaScript, the same on the page and in the PDF.

Each chart is an image named by its title and described by its figures in words
(``role="img"``, ``<title>``, ``<desc>``); the page puts the table of its figures next to
it, so nothing is only in the picture. Every bar is labelled in words beside it, never by
its colour alone (WCAG 2.2, 1.4.1). A hidden figure (in anything shared) gets no bar,
only its words ("<5"). Charts are drawn at their own width, in pixels: on a small screen
the page scrolls them sideways rather than shrinking their text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

from parley.reports.tables import Cell, Report, Table

WIDTH = 640
COLOURS = ("#1d70b8", "#00703c", "#f47738")  # GOV.UK blue, green and orange
TEXT = "#0b0c0c"
FONT = 'font-family="Arial, Helvetica, sans-serif"'
MAX_BARS = 12


@dataclass(frozen=True)
class Series:
    name: str
    cells: Sequence[Cell]


def _value(cell: Cell) -> float:
    number = cell.number
    return float(number) if isinstance(number, int | float) else 0.0


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> SafeString:
    heading = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="parley-chart parley-picture" '
        f'role="img" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return mark_safe(heading + "".join(body) + "</svg>")  # noqa: S308 - every text is escaped


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    cells: Sequence[Cell],
    threshold: int,
) -> SafeString:
    """Horizontal bars, a label above each and its figure before it: for stages and
    agency pairs. The figure comes first so that it is in sight however narrow the
    window, with the bar running on to the right."""
    top = max((_value(c) for c in cells), default=0.0) or 1.0
    row, figure = 44, 56  # the figure's column, wide enough for "1,234" or "<5"
    body: list[str] = []
    for index, (label, cell) in enumerate(zip(labels, cells, strict=True)):
        y = 8 + index * row
        body.append(
            f'<text x="0" y="{y + 12}" {FONT} font-size="13" fill="{TEXT}">{escape(label)}</text>'
        )
        words = cell.display(threshold, short=True)
        body.append(
            f'<text x="0" y="{y + 32}" {FONT} font-size="13" fill="{TEXT}">{escape(words)}</text>'
        )
        width = 0.0 if cell.hidden else (WIDTH - figure) * _value(cell) / top
        if width:
            body.append(
                f'<rect x="{figure}" y="{y + 18}" width="{width:.1f}" height="18" '
                f'fill="{COLOURS[0]}"/>'
            )
    return _svg(chart_id, title, desc, 16 + row * max(1, len(labels)), body)


def grouped_bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    threshold: int,
) -> SafeString:
    """For each period, a bar for each series, each named in words before it ("Raised:
    12"): for trends. Horizontal, so that a period's name and each bar's words have the
    chart's whole width however many periods there are, and the words are in sight
    however narrow the window, with the bars running on to the right."""
    values = [_value(c) for s in series for c in s.cells]
    top = max(values, default=0.0) or 1.0
    bar, gap, heading, words_width = 18, 6, 22, 130
    group = heading + len(series) * (bar + gap) + 12
    body: list[str] = []
    for g, label in enumerate(labels):
        y = 8 + g * group
        body.append(
            f'<text x="0" y="{y + 14}" {FONT} font-size="14" font-weight="bold" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        for index, s in enumerate(series):
            cell = s.cells[g]
            top_y = y + heading + index * (bar + gap)
            words = f"{s.name}: {cell.display(threshold, short=True)}"
            body.append(
                f'<text x="0" y="{top_y + 14}" {FONT} font-size="13" '
                f'fill="{TEXT}">{escape(words)}</text>'
            )
            width = 0.0 if cell.hidden else (WIDTH - words_width) * _value(cell) / top
            if width:
                colour = COLOURS[index % len(COLOURS)]
                body.append(
                    f'<rect x="{words_width}" y="{top_y}" width="{width:.1f}" height="{bar}" '
                    f'fill="{colour}"/>'
                )
    return _svg(chart_id, title, desc, 8 + group * max(1, len(labels)), body)


def chart_for(table: Table, report: Report, prefix: str = "chart") -> SafeString | None:
    """The chart a table asks for, if any, drawn from the same cells as the table."""
    chart_id = f"{prefix}-{table.id}"
    if table.chart == "trend":
        rows = {row.label: row for row in table.rows}
        chosen = [rows[name] for name in ("Raised", "Resolved") if name in rows]
        if not chosen:
            return None
        labels = [p.label for p in report.periods]
        desc = "; ".join(
            f"{row.label}: "
            + ", ".join(
                f"{cell.display(report.threshold)} in {label}"
                for label, cell in zip(labels, row.cells, strict=True)
            )
            for row in chosen
        )
        return grouped_bar_chart(
            chart_id,
            "Disagreements raised and resolved,"
            f" {report.periods[0].label} to {report.period.label}",
            desc,
            labels,
            [Series(row.label, row.cells) for row in chosen],
            report.threshold,
        )
    if table.chart == "bars":
        rows = [row for row in table.rows if not row.total][:MAX_BARS]
        if not rows:
            return None
        desc = "; ".join(f"{row.label}: {row.cells[0].display(report.threshold)}" for row in rows)
        more = len([r for r in table.rows if not r.total]) - len(rows)
        if more > 0:
            desc += f"; and {more} more in the table"
        return bar_chart(
            chart_id,
            table.title,
            desc,
            [row.label for row in rows],
            [row.cells[0] for row in rows],
            report.threshold,
        )
    return None
