"""A procedure's flowchart, drawn on the server as SVG, like the ones at the end of the leaflets.

One model (:func:`flowchart_of`) gives both the picture and the same content as a list of
sentences, so a screen reader user gets everything the picture shows. Per track, from
left to right: the immediate-risk entry, the informal stage, the ladder of formal stages
top to bottom (each box with its time limit), and "resolved → written confirmation".
Every text is escaped; nothing is fetched.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from parley.core.procedure import (
    CHOICE_WORDS,
    Procedure,
    ResolutionKind,
    Stage,
    Track,
    condition_words,
)
from parley.web.documents.wording import role_list, stage_title

RESOLUTION_WORDS = {
    ResolutionKind.CHAIR_DECIDES: "the chair decides",
    ResolutionKind.RESOLUTION_PANEL: "a resolution panel decides",
    ResolutionKind.DISPUTE_RESOLUTION_MEETING: "a dispute resolution meeting",
    ResolutionKind.CONFLICT_RESOLUTION_MEETING: "a conflict resolution meeting",
    ResolutionKind.BINDING_DECISION: "a final and binding decision",
    ResolutionKind.AGREEMENT: "agreement recorded",
}


# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartStage:
    id: str
    title: str
    limit: str
    cumulative: str
    who: str
    resolves: str  # how the top of the ladder ends it; empty below the top
    # Where a stage's next is chosen by the raiser's answers: each way in words ("if the
    # answer to “…” is “An adult”, Stage 4: …"), the last "otherwise, …".
    routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartTrack:
    name: str
    informal: ChartStage | None
    stages: tuple[ChartStage, ...]  # the formal ladder, top to bottom
    risk_targets: tuple[str, ...]  # stage ids the immediate-risk route enters at
    risk_text: str
    outcome_text: str


@dataclass(frozen=True)
class Flowchart:
    procedure_id: str
    title: str
    tracks: tuple[ChartTrack, ...]
    bypass: str


def route_words(procedure: Procedure, track: Track, stage: Stage) -> tuple[str, ...]:
    """The ways up from ``stage`` chosen by the raiser's answers, in words, in order."""
    words = []
    for branch in stage.branches:
        if not track.has_stage(branch.stage):
            continue
        above = track.stage(branch.stage)
        title = stage_title(above.number, above.name, informal=above.informal)
        if branch.when:
            words.append(f"{title} {condition_words(procedure, branch.when)}")
        else:
            words.append(f"otherwise, {title}")
    return tuple(words)


def _chart_stage(procedure: Procedure, stage: Stage, track: Track | None = None) -> ChartStage:
    limit = stage.within.describe() if stage.within.is_limited else "no fixed timescale"
    cumulative = f"{stage.cumulative.describe()} in all" if stage.cumulative else ""
    methods = [RESOLUTION_WORDS.get(m.kind, m.kind.value) for m in stage.resolution]
    sides = role_list(procedure, dict.fromkeys((*stage.raising_side, *stage.other_side)))
    return ChartStage(
        id=stage.id,
        title=stage_title(stage.number, stage.name, informal=stage.informal),
        limit=limit[:1].upper() + limit[1:],
        cumulative=cumulative,
        who=sides,
        resolves=("Ends with " + " or ".join(methods)) if methods and stage.next is None else "",
        routes=route_words(procedure, track, stage) if track is not None else (),
    )


def _chart_track(procedure: Procedure, track: Track) -> ChartTrack:
    informal = track.stages[0] if track.stages and track.stages[0].informal else None
    formal = list(track.ladder_from(track.first_stage()))
    if any(stage.branches for stage in formal):
        # Where a way up is chosen by the answers, every way's stages, as they are written.
        formal = list(track.formal_stages())
    risk = procedure.immediate_risk
    targets: tuple[str, ...] = ()
    risk_text = ""
    if risk is not None:
        if risk.raiser_chooses:
            options = risk.allowed_starts or tuple(s.id for s in track.stages)
            targets = tuple(s for s in options if track.has_stage(s))
            where = "at the stage you judge right"
        else:
            targets = (risk.start,) if track.has_stage(risk.start) else ()
            where = "at " + (
                stage_title(
                    track.stage(risk.start).number,
                    track.stage(risk.start).name,
                    informal=track.stage(risk.start).informal,
                )
                if targets
                else risk.start
            )
        # A rule the document does not give says so where it is drawn.
        chosen = f" ({CHOICE_WORDS})"
        risk_text = (
            f"Immediate risk of significant harm: escalate {risk.within.describe()}"
            + (chosen if risk.source.chosen("within") else "")
            + f", starting {where}"
            + (chosen if risk.source.chosen("start") else "")
        )
    outcome = procedure.outcome
    outcome_text = (
        "Resolved: written confirmation of the agreed outcome"
        + (" and how outstanding issues will be pursued" if outcome.outstanding_issues else "")
        + (f" ({CHOICE_WORDS})" if outcome.source.chosen("written_confirmation") else "")
        if outcome.written_confirmation
        else "Resolved: the outcome is recorded"
    )
    return ChartTrack(
        name=track.name,
        informal=_chart_stage(procedure, informal) if informal else None,
        stages=tuple(_chart_stage(procedure, s, track) for s in formal),
        risk_targets=targets,
        risk_text=risk_text,
        outcome_text=outcome_text,
    )


def flowchart_of(procedure: Procedure) -> Flowchart:
    bypass = ""
    if procedure.bypass.allowed:
        who = role_list(procedure, procedure.bypass.by) or "either side"
        bypass = f"A stage can be bypassed, with a reason, by: {who}."
    return Flowchart(
        procedure_id=procedure.id,
        title=f"Flowchart of the {procedure.name}",
        tracks=tuple(_chart_track(procedure, t) for t in procedure.tracks),
        bypass=bypass,
    )


# --- the same content as sentences ---------------------------------------------------------


def flowchart_sentences(chart: Flowchart) -> list[str]:
    """The flowchart in words, in reading order: for the list under the picture."""
    sentences: list[str] = []
    several = len(chart.tracks) > 1
    for track in chart.tracks:
        prefix = f"{track.name}: " if several else ""
        first = track.stages[0].title if track.stages else ""
        sentences.append(f"{prefix}A disagreement is raised and starts at {first}.")
        if track.informal is not None:
            informal = track.informal
            sentences.append(
                f"{prefix}Or, if you choose, it starts at the {_lower(informal.title)} "
                f"({_lower(informal.limit)}); if that does not resolve it, it goes to {first}."
            )
        if track.risk_text:
            sentences.append(f"{prefix}{track.risk_text}.")
        for index, stage in enumerate(track.stages):
            limit = _lower(stage.limit) + (f", {stage.cumulative}" if stage.cumulative else "")
            words = f"{prefix}{stage.title} ({limit})."
            if stage.who:
                words += f" Who acts: {stage.who}."
            if stage.routes:
                words += " If it is not resolved, it goes to " + "; ".join(stage.routes) + "."
            elif index + 1 < len(track.stages) and not stage.resolves:
                words += f" If it is not resolved, it goes to {track.stages[index + 1].title}."
            elif stage.resolves:
                words += f" {stage.resolves}."
            sentences.append(words)
        sentences.append(f"{prefix}At any stage, when it is {_lower(track.outcome_text)}.")
    if chart.bypass:
        sentences.append(chart.bypass)
    return sentences


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- the picture ------------------------------------------------------------------------------

FONT = "Arial, Helvetica, sans-serif"
INK = "#0b0c0c"
BLUE = "#1d70b8"
RED = "#d4351c"
GREEN = "#00703c"
LINE = 18  # px between lines of 14px text
PAD = 10
MAIN_W, SIDE_W, RISK_W, GAP = 250, 170, 170, 46
ROW_GAP = 46


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float
    lines: tuple[tuple[str, bool], ...]  # (text, bold)
    stroke: str = INK
    fill: str = "#ffffff"
    text_fill: str = INK
    dashed: bool = False
    rounded: bool = False

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _wrap(text: str, width: float, bold: bool = False) -> list[str]:
    # Arial at 14px averages about 7px a character, bold about 7.8px.
    per_char = 7.8 if bold else 7.0
    return textwrap.wrap(text, max(8, int((width - 2 * PAD) / per_char))) or [""]


def _lines(*parts: tuple[str, bool], width: float) -> tuple[tuple[str, bool], ...]:
    lines: list[tuple[str, bool]] = []
    for text, bold in parts:
        if text:
            lines.extend((line, bold) for line in _wrap(text, width, bold))
    return tuple(lines)


def _height(lines: tuple[tuple[str, bool], ...]) -> float:
    return len(lines) * LINE + 2 * PAD


def _stage_lines(stage: ChartStage, width: float) -> tuple[tuple[str, bool], ...]:
    limit = stage.limit + (f" ({stage.cumulative})" if stage.cumulative else "")
    routes = tuple(
        ("O" + way[1:] if way.startswith("otherwise") else f"Then {way}", False)
        for way in stage.routes
    )
    return _lines(
        (stage.title, True), (limit, False), (stage.resolves, False), *routes, width=width
    )


@dataclass
class _Drawing:
    boxes: list[_Box]
    arrows: list[tuple[list[tuple[float, float]], bool]]  # points, dashed
    labels: list[tuple[float, float, str, str]]  # x, y, text, anchor
    width: float = 0
    height: float = 0


def _layout_track(track: ChartTrack, x0: float, y0: float, drawing: _Drawing) -> float:
    """Lay one track out from (x0, y0); returns the x where the next track may start."""
    has_risk = bool(track.risk_text and track.risk_targets)
    risk_x = x0
    informal_x = risk_x + (RISK_W + GAP if has_risk else 0)
    main_x = informal_x + (SIDE_W + GAP if track.informal else 0)
    outcome_x = main_x + MAIN_W + GAP + 30
    y = y0
    start = _Box(
        main_x + MAIN_W / 2 - 90,
        y,
        180,
        36,
        (("Disagreement raised", True),),
        stroke=BLUE,
        fill=BLUE,
        text_fill="#ffffff",
        rounded=True,
    )
    drawing.boxes.append(start)
    informal_box = None
    if track.informal is not None:
        lines = _stage_lines(track.informal, SIDE_W) + (("Optional", False),)
        informal_box = _Box(informal_x, y, SIDE_W, _height(lines), lines, dashed=True)
        drawing.boxes.append(informal_box)
        # From the start, "or, if you choose", into the informal stage.
        drawing.arrows.append(([(start.x, start.mid_y), (informal_box.right, start.mid_y)], True))
        drawing.labels.append(
            ((start.x + informal_box.right) / 2, start.mid_y - 6, "or choose", "middle")
        )
        y = max(start.bottom, informal_box.bottom) + ROW_GAP
    else:
        y = start.bottom + ROW_GAP
    stage_boxes: dict[str, _Box] = {}
    previous: _Box | None = None
    ended = False  # the box above is a top stage: this one is another way's, not above it
    for stage in track.stages:
        lines = _stage_lines(stage, MAIN_W)
        box = _Box(main_x, y, MAIN_W, _height(lines), lines)
        drawing.boxes.append(box)
        stage_boxes[stage.id] = box
        above = previous or start
        cx = main_x + MAIN_W / 2
        if not ended:
            drawing.arrows.append(([(cx, above.bottom), (cx, box.y)], False))
        if previous is not None and not ended:
            drawing.labels.append(
                (cx + 8, (previous.bottom + box.y) / 2 + 5, "Not resolved", "start")
            )
        previous, ended = box, bool(stage.resolves)
        y = box.bottom + ROW_GAP
    if informal_box is not None and track.stages:
        # "Not resolved" from the informal stage joins the arrow into the first formal
        # stage just above it, so it crosses no other line.
        first = stage_boxes[track.stages[0].id]
        ix = informal_box.x + informal_box.w / 2
        join = first.y - 14
        drawing.arrows.append(
            ([(ix, informal_box.bottom), (ix, join), (main_x + MAIN_W / 2 - 2, join)], False)
        )
        drawing.labels.append((ix + 6, informal_box.bottom + 16, "Not resolved", "start"))
    if informal_box is not None and track.informal is not None:
        stage_boxes[track.informal.id] = informal_box
    bottom = y - ROW_GAP
    # Resolved at any stage: one box on the right, an arrow from each stage.
    if track.stages:
        top = stage_boxes[track.stages[0].id].y
        lines = _lines((track.outcome_text, True), width=SIDE_W)
        height = max(_height(lines), bottom - top)
        outcome = _Box(outcome_x, top, SIDE_W, height, lines, stroke=GREEN)
        drawing.boxes.append(outcome)
        for stage in track.stages:
            box = stage_boxes[stage.id]
            drawing.arrows.append(([(box.right, box.mid_y), (outcome.x, box.mid_y)], False))
            drawing.labels.append(
                ((box.right + outcome.x) / 2, box.mid_y - 6, "Resolved", "middle")
            )
        bottom = max(bottom, outcome.bottom)
    # The immediate-risk entry on the left, an arrow to each stage it may start at.
    if has_risk:
        targets = [stage_boxes[t] for t in track.risk_targets if t in stage_boxes]
        if targets:
            lines = _lines((track.risk_text, True), width=RISK_W)
            top = min(t.y for t in targets)
            height = max(_height(lines), max(t.bottom for t in targets) - top)
            risk = _Box(risk_x, top, RISK_W, height, lines, stroke=RED)
            drawing.boxes.append(risk)
            for target in targets:
                level = target.mid_y + (8 if target is not informal_box else 0)
                level = min(max(level, risk.y + 8), risk.bottom - 8)
                drawing.arrows.append(([(risk.right, level), (target.x, level)], False))
            bottom = max(bottom, risk.bottom)
    drawing.height = max(drawing.height, bottom)
    return outcome_x + SIDE_W


def flowchart_svg(chart: Flowchart, *, element_id: str = "flowchart") -> str:
    """The flowchart as an inline SVG element (also a valid standalone SVG document)."""
    drawing = _Drawing(boxes=[], arrows=[], labels=[])
    x = 10.0
    heading_room = 30 if len(chart.tracks) > 1 else 0
    headings: list[tuple[float, str]] = []
    for track in chart.tracks:
        headings.append((x, track.name))
        x = _layout_track(track, x, 10 + heading_room, drawing) + 60
    width = x - 50
    height = drawing.height + 12
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    description = " ".join(flowchart_sentences(chart))
    # Drawn at its own size, not shrunk to the window: on a small screen the page puts it
    # in a region that scrolls, so its text stays 12 to 16 pixels. Its name is the title;
    # the whole chart in words is its description, not part of its name.
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(element_id)} role="img" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" focusable="false" '
        f'class="parley-picture" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="14">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
        "<defs>"
        f'<marker id="{element_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        f'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker>'
        "</defs>",
    ]
    for hx, name in headings if heading_room else []:
        out.append(
            f'<text x="{hx:.0f}" y="22" font-size="16" font-weight="bold" fill="{INK}">'
            f"{escape(name)}</text>"
        )
    for points, dashed in drawing.arrows:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"{dash} '
            f'marker-end="url(#{element_id}-arrow)"/>'
        )
    for box in drawing.boxes:
        out.append(_box_svg(box))
    for lx, ly, text, anchor in drawing.labels:
        out.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _box_svg(box: _Box) -> str:
    dash = ' stroke-dasharray="8 5"' if box.dashed else ""
    radius = ' rx="18"' if box.rounded else ' rx="3"'
    width = 2 if box.stroke == INK else 3  # coloured borders a little heavier, to be seen
    parts = [
        f'<g><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}"'
        f'{radius} fill="{box.fill}" stroke="{box.stroke}" stroke-width="{width}"{dash}/>'
    ]
    text_height = len(box.lines) * LINE
    top = box.y + (box.h - text_height) / 2 + 14
    centre = box.x + box.w / 2
    for index, (line, bold) in enumerate(box.lines):
        weight = ' font-weight="bold"' if bold else ""
        parts.append(
            f'<text x="{centre:.1f}" y="{top + index * LINE:.1f}" text-anchor="middle"'
            f'{weight} fill="{box.text_fill}">{escape(line)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
