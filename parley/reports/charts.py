"""Charts drawn on the server as SVG: no JavaScript, the same on the page and in the PDF.

Each chart is an image with a title and a description (``role="img"``, ``<title>``,
``<desc>``); the page puts the table of its figures next to it, so nothing is only in the
picture. A hidden figure (in anything shared) gets no bar, only its words ("<5").
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
        f'<svg xmlns="http://www.w3.org/2000/svg" class="parley-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
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
    """Horizontal bars, a label above each: for stages and agency pairs."""
    top = max((_value(c) for c in cells), default=0.0) or 1.0
    row = 44
    body: list[str] = []
    for index, (label, cell) in enumerate(zip(labels, cells, strict=True)):
        y = 8 + index * row
        body.append(
            f'<text x="0" y="{y + 12}" {FONT} font-size="13" fill="{TEXT}">{escape(label)}</text>'
        )
        width = 0.0 if cell.hidden else (WIDTH - 80) * _value(cell) / top
        if width:
            body.append(
                f'<rect x="0" y="{y + 18}" width="{width:.1f}" height="18" fill="{COLOURS[0]}"/>'
            )
        words = cell.display(threshold, short=True)
        body.append(
            f'<text x="{width + 6:.1f}" y="{y + 32}" {FONT} font-size="13" '
            f'fill="{TEXT}">{escape(words)}</text>'
        )
    return _svg(chart_id, title, desc, 16 + row * max(1, len(labels)), body)


def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    threshold: int,
) -> SafeString:
    """Columns for each period, side by side for each series: for trends."""
    height, base, top_margin = 260, 220, 40
    values = [_value(c) for s in series for c in s.cells]
    top = max(values, default=0.0) or 1.0
    group = WIDTH / max(1, len(labels))
    bar = min(40.0, (group - 16) / max(1, len(series)))
    body: list[str] = []
    for index, s in enumerate(series):
        x = 8 + index * 170
        body.append(
            f'<rect x="{x}" y="6" width="14" height="14" fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{x + 20}" y="18" {FONT} font-size="13" fill="{TEXT}">{escape(s.name)}</text>'
        )
    for g, label in enumerate(labels):
        x0 = g * group + (group - bar * len(series)) / 2
        for index, s in enumerate(series):
            cell = s.cells[g]
            h = 0.0 if cell.hidden else (base - top_margin - 18) * _value(cell) / top
            x = x0 + index * bar
            if h:
                colour = COLOURS[index % len(COLOURS)]
                body.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar - 4:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"/>'
                )
            body.append(
                f'<text x="{x + (bar - 4) / 2:.1f}" y="{base - h - 4:.1f}" {FONT} font-size="12" '
                f'text-anchor="middle" fill="{TEXT}">{escape(cell.display(threshold, short=True))}'
                "</text>"
            )
        body.append(
            f'<text x="{g * group + group / 2:.1f}" y="{base + 18}" {FONT} font-size="12" '
            f'text-anchor="middle" fill="{TEXT}">{escape(label)}</text>'
        )
    body.append(f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{TEXT}"/>')
    return _svg(chart_id, title, desc, height, body)


def chart_for(table: Table, report: Report, prefix: str = "chart") -> SafeString | None:
    """The chart a table asks for, if any, drawn from the same cells as the table."""
    chart_id = f"{prefix}-{table.id}"
    if table.chart == "trend":
        rows = {row.label: row for row in table.rows}
        chosen = [rows[name] for name in ("Raised", "Resolved") if name in rows]
        if not chosen:
            return None
        labels = [p.code for p in report.periods]
        desc = "; ".join(
            f"{row.label}: "
            + ", ".join(
                f"{label} {cell.display(report.threshold)}"
                for label, cell in zip(labels, row.cells, strict=True)
            )
            for row in chosen
        )
        return column_chart(
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
