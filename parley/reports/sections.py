"""The sections of the board's report, one function each, from the rows its queries fetched.

:func:`parley.reports.figures.report_build` runs the queries; the tallies here turn
their rows into counts (no query, no clock), and each section function turns the tallies
into the tables of one section of the board paper, in the order the paper reads:
summary, who, outcomes, time, still open. The sections write every count they show into
the report's :class:`Board`, with the sums those counts must make (for suppression,
:meth:`parley.reports.tables.Report.shared`), so a later section may show a total an
earlier one counted. Which cases each figure counts is the table in
:mod:`parley.reports.definitions`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import numpy as np

from parley.core import report as core
from parley.core.report import Period, Timing
from parley.reports.scope import Scope, Spans
from parley.reports.tables import Cell, Key, Row, Section, Table

NOT_GIVEN = ""  # the category of a case raised without one
SAFE_IN_QUERY = re.compile(r"[A-Za-z0-9_.-]*")
Sums = list[tuple[Key, list[Key]]]


@dataclass
class Board:
    """One report being written: its periods, and the counts and sums its sections write."""

    scope: Scope
    period: Period
    periods: list[Period]
    stages: list[tuple[str, int, str]]
    counts: dict[Key, int] = field(default_factory=dict)
    sums: Sums = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.periods]

    @property
    def here(self) -> str:
        return self.periods[-1].code

    @property
    def last(self) -> int:
        return len(self.periods) - 1

    def put(self, key: Key, value: int) -> Key:
        self.counts[key] = self.counts.get(key, 0) + int(value)
        return key

    def link(self, figure: str, code: str | None = None, **params: Any) -> str:
        query = {"period": code or self.here, "figure": figure}
        query.update({k: v for k, v in params.items() if v is not None})
        # The national report links thousands of figures: quote only what needs it.
        return "&".join(
            f"{k}={v}" if SAFE_IN_QUERY.fullmatch(v := str(value)) else urlencode({k: v})
            for k, value in query.items()
        )

    def count(self, key: Key, value: int, link_to: str = "") -> Cell:
        return Cell(value, key=self.put(key, value), link=link_to if value else "")

    def share(self, within: Key, late: Key) -> Cell:
        judged = self.counts.get(within, 0) + self.counts.get(late, 0)
        value = self.counts.get(within, 0) / judged if judged else None
        return Cell(value, key=("share", *within), kind="share", depends=(within, late))

    def total(self, key: Key, figure: str) -> Cell:
        return Cell(self.counts.get(key, 0), key=key, link=self.link(figure))

    def in_current(self, stage_id: str) -> bool:
        return bool(core.find_stage([self.scope.current], stage_id))


def days(value: float | None, key: Key, base: Key) -> Cell:
    return Cell(value, key=key, kind="days", depends=(base,))


def text(words: str) -> Cell:
    return Cell(None, kind="text", text=words)


# --- tallies: the fetched rows as counts ------------------------------------------------


@dataclass
class Raised:
    agency_ids: set[int]
    raising: dict[int, int]
    receiving: dict[int, int]
    pairs: dict[tuple[int, int], int]
    categories: dict[str, int]
    involved: dict[tuple[int, int], int]
    by_period: list[int]


def raised_tally(rows: list[dict[str, Any]], categories: list[Any], periods: int) -> Raised:
    """Raised: by agency, pair and category, in each period (the last is the report's)."""
    last = periods - 1
    tally = Raised(
        agency_ids={r["raising_agency_id"] for r in rows} | {r["other_agency_id"] for r in rows},
        raising=defaultdict(int),
        receiving=defaultdict(int),
        pairs=defaultdict(int),
        categories=defaultdict(int),
        involved=defaultdict(int),
        by_period=[0] * periods,
    )
    for r in rows:
        for index in range(periods):
            n = r[f"raised_{index}"]
            tally.by_period[index] += n
            tally.involved[(r["raising_agency_id"], index)] += n
            tally.involved[(r["other_agency_id"], index)] += n
        n = r[f"raised_{last}"]
        if n:
            tally.raising[r["raising_agency_id"]] += n
            tally.receiving[r["other_agency_id"]] += n
            tally.pairs[(r["raising_agency_id"], r["other_agency_id"])] += n
    for category, n in categories:
        tally.categories[category or NOT_GIVEN] += n
    return tally


@dataclass
class Ended:
    resolved_at: dict[str, int]
    withdrawn_at: dict[str, int]
    highest: dict[int, int]
    by_period: dict[str, list[int]]  # resolved, withdrawn, closed


def ended_tally(rows: list[dict[str, Any]], periods: int) -> Ended:
    """Resolved, withdrawn and closed: where each ended and how high it went."""
    last = periods - 1
    tally = Ended(
        resolved_at=defaultdict(int),
        withdrawn_at=defaultdict(int),
        highest=defaultdict(int),
        by_period={name: [0] * periods for name in ("resolved", "withdrawn", "closed")},
    )
    for r in rows:
        for index in range(periods):
            for name in tally.by_period:
                tally.by_period[name][index] += r[f"{name}_{index}"]
        if r[f"resolved_{last}"]:
            tally.resolved_at[r["stage"]] += r[f"resolved_{last}"]
            tally.highest[r["highest_stage_number"]] += r[f"resolved_{last}"]
        if r[f"withdrawn_{last}"]:
            tally.withdrawn_at[r["stage"]] += r[f"withdrawn_{last}"]
            tally.highest[r["highest_stage_number"]] += r[f"withdrawn_{last}"]
    return tally


@dataclass
class Stages:
    immediate: list[int]
    timing: dict[tuple[int, str], Timing]
    open_at: dict[tuple[int, str], int]
    overdue_at: dict[tuple[int, str], int]


def stages_tally(
    spans: Spans, board: Board, cutoffs: list[date], overdue_cutoffs: list[date]
) -> Stages:
    """Stages: time at each, immediate-risk entries, and where open cases stood."""
    scope = board.scope
    classes = sorted(set(spans.klass.tolist()))
    tally = Stages([], {}, defaultdict(int), defaultdict(int))
    has_left = ~np.isnat(spans.left)
    for index, p in enumerate(board.periods):
        start, end = np.datetime64(p.start, "D"), np.datetime64(p.end, "D")
        entered_here = (spans.entered >= start) & (spans.entered < end)
        tally.immediate.append(int(spans.count[spans.immediate & entered_here].sum()))
        left_here = has_left & (spans.left >= start) & (spans.left < end)
        cutoff = np.datetime64(cutoffs[index], "D")
        open_then = (spans.entered < cutoff) & (~has_left | (spans.left >= cutoff))
        overdue_cutoff = np.datetime64(overdue_cutoffs[index], "D")
        for stage_id, _, _ in board.stages:
            at_stage = spans.stage == (
                spans.stage_ids.index(stage_id) if stage_id in spans.stage_ids else -1
            )
            groups = []
            for klass in classes:
                chosen = at_stage & (spans.klass == klass)
                left = chosen & left_here
                limit = scope.limit(klass, stage_id)
                groups.append((limit, spans.entered[left], spans.left[left], spans.count[left]))
                waiting = chosen & open_then
                if not waiting.any():
                    continue
                tally.open_at[(index, stage_id)] += int(spans.count[waiting].sum())
                if limit is None or limit.advisory:
                    continue
                late = core.due_days(scope.calendar, spans.entered[waiting], limit) < overdue_cutoff
                tally.overdue_at[(index, stage_id)] += int(spans.count[waiting][late].sum())
            tally.timing[(index, stage_id)] = core.timing_of_arrays(
                scope.calendar, groups, scope.limit(scope.versions[0].pk, stage_id)
            )
    return tally


OverallGroups = dict[str, dict[int, list[tuple[date, date, int]]]]


def overall_tally(
    rows: list[dict[str, Any]], scope: Scope
) -> tuple[OverallGroups, dict[str, Timing]]:
    """Time overall: resolved cases, from the day they reached a formal stage."""
    groups: OverallGroups = defaultdict(lambda: defaultdict(list))
    for r in rows:
        start_day = r["formal_start_on"]
        if start_day is None:
            continue  # never reached a formal stage: no overall limit applies
        groups[r["stage"]][r["klass"]].append((start_day, r["resolved_on"], r["n"]))
    overall: dict[str, Timing] = {}
    for stage_id, by_version in groups.items():
        overall[stage_id] = core.timing_of_groups(
            scope.calendar,
            [(scope.overall(v, stage_id), rows) for v, rows in by_version.items()],
            scope.overall(scope.versions[0].pk, stage_id),
        )
    return groups, overall


# --- the sections -----------------------------------------------------------------------


def summary_section(
    board: Board,
    raised: Raised,
    ended: Ended,
    stages: Stages,
    learning: dict[str, int],
    forms_sent: dict[str, int | None] | None = None,
) -> Section:
    """Headline figures for the period and the four before it; with ``forms_sent``, the
    cases resolved where the procedure sends a form (Wirral's proformas)."""
    period, periods, codes = board.period, board.periods, board.codes
    every = range(len(periods))
    for index, code in enumerate(codes):
        within = sum(stages.timing[(index, s)].within for s, _, _ in board.stages)
        late = sum(stages.timing[(index, s)].late for s, _, _ in board.stages)
        left = sum(stages.timing[(index, s)].count for s, _, _ in board.stages)
        board.put(("within", code), within)
        board.put(("late", code), late)
        board.put(("left", code), left)
        if left == within + late:
            board.sums.append((("left", code), [("within", code), ("late", code)]))
    open_end = [sum(stages.open_at[(i, s)] for s, _, _ in board.stages) for i in every]
    overdue_end = [sum(stages.overdue_at[(i, s)] for s, _, _ in board.stages) for i in every]
    headline_specs: tuple[tuple[str, str, Any, str], ...] = (
        ("raised", "Raised", raised.by_period, "raised"),
        ("immediate", "Put on the immediate-risk route", stages.immediate, "immediate"),
        ("resolved", "Resolved", ended.by_period["resolved"], "resolved"),
        ("withdrawn", "Withdrawn", ended.by_period["withdrawn"], "withdrawn"),
        ("closed", "Closed", ended.by_period["closed"], "closed"),
        ("open_end", "Open at the end of the period", open_end, "open"),
        ("overdue_end", "Overdue at the end of the period", overdue_end, "overdue"),
        (
            "learning",
            "Policy or learning issues referred",
            [learning[f"at_{i}"] for i in every],
            "",
        ),
    )
    if forms_sent is not None:
        headline_specs = (
            *headline_specs,
            (
                "forms_sent",
                "Resolved where the procedure sends a form (for example a proforma)",
                [forms_sent[f"at_{i}"] or 0 for i in every],
                "",
            ),
        )
    rows = [
        Row(
            words,
            [
                board.count((name, code), values[i], board.link(figure, code) if figure else "")
                for i, code in enumerate(codes)
            ],
        )
        for name, words, values, figure in headline_specs
    ]
    rows.append(
        Row(
            "Stages finished within their timescale",
            [board.share(("within", code), ("late", code)) for code in codes],
        )
    )
    trend = Table(
        "trend",
        f"The {period.noun} and the {len(periods) - 1} before it",
        "Figure",
        [p.label for p in periods],
        rows,
        description=(
            f"Disagreements raised and resolved in {period.label}, compared with the "
            f"{len(periods) - 1} {period.noun}s before."
        ),
        chart="trend",
    )
    return Section(
        "summary",
        "Summary",
        [trend],
        intro=(
            f"Figures for {period.label}, with the {len(periods) - 1}"
            f" {period.noun}s before it for comparison."
        ),
    )


def who_section(board: Board, raised: Raised, names: dict[int, str]) -> Section:
    """Who raised them, with whom, about what."""
    count, link, sums = board.count, board.link, board.sums
    raised_key = ("raised", board.here)
    agency_order = sorted(raised.agency_ids, key=lambda a: names.get(a, str(a)))
    raising, receiving = raised.raising, raised.receiving
    raising_rows = [
        Row(
            names.get(a, str(a)),
            [count(("raising", str(a)), raising[a], link("raised", raising=a))],
        )
        for a in agency_order
        if raising[a]
    ]
    receiving_rows = [
        Row(
            names.get(a, str(a)),
            [count(("receiving", str(a)), receiving[a], link("raised", other=a))],
        )
        for a in agency_order
        if receiving[a]
    ]
    total_raised = Row("Total", [board.total(raised_key, "raised")], total=True)
    sums.append((raised_key, [("raising", str(a)) for a in raising]))
    sums.append((raised_key, [("receiving", str(a)) for a in receiving]))
    pair_rows = _pair_rows(board, raised, names)
    category_rows = _category_rows(board, raised.categories)
    sums.append((raised_key, [("category", c) for c in raised.categories]))
    involvement_rows = []
    for a in agency_order:
        cells = [
            count(
                ("involved", str(a), code), raised.involved[(a, i)], link("raised", code, agency=a)
            )
            for i, code in enumerate(board.codes)
        ]
        involvement_rows.append(Row(names.get(a, str(a)), cells))
        sums.append(
            (("involved", str(a), board.here), [("raising", str(a)), ("receiving", str(a))])
        )
    return Section(
        "who",
        "Between whom, and about what",
        [
            Table(
                "raising",
                "Raised by agency",
                "Agency that raised it",
                ["Raised"],
                [*raising_rows, total_raised],
                chart="",
            ),
            Table(
                "receiving",
                "Raised with agency",
                "Agency it was raised with",
                ["Raised"],
                [*receiving_rows, total_raised],
            ),
            Table(
                "pairs",
                "Between which agencies",
                "Raised by → raised with",
                ["Raised"],
                [*pair_rows, total_raised],
                chart="bars",
                description=(
                    "A challenge inside one agency (a single-agency procedure) is counted"
                    " once, as that agency inside the agency."
                ),
            ),
            Table(
                "categories",
                "What they were about",
                "Category",
                ["Raised"],
                [*category_rows, total_raised],
            ),
            Table(
                "involvement",
                "Agency involvement",
                "Agency",
                [p.label for p in board.periods],
                involvement_rows,
                description=(
                    "Disagreements each agency raised or had raised with it. A disagreement"
                    " involves two agencies, so these do not add up to the number raised."
                ),
            ),
        ],
        intro=f"Disagreements raised in {board.period.label}.",
    )


def _pair_rows(board: Board, raised: Raised, names: dict[int, str]) -> list[Row]:
    """Raised by one agency with another, most first; each pair part of its agencies' counts."""
    count, link, sums = board.count, board.link, board.sums
    raised_key = ("raised", board.here)
    raising, receiving, pairs = raised.raising, raised.receiving, raised.pairs
    pair_rows = [
        Row(
            core.between_words(names.get(a, str(a)), names.get(b, str(b))),
            [count(("pair", str(a), str(b)), n, link("raised", raising=a, other=b))],
        )
        for (a, b), n in sorted(
            pairs.items(),
            key=lambda item: (-item[1], names.get(item[0][0], ""), names.get(item[0][1], "")),
        )
    ]
    sums.append((raised_key, [("pair", str(a), str(b)) for a, b in pairs]))
    pairs_from: dict[int, list[Key]] = defaultdict(list)
    pairs_to: dict[int, list[Key]] = defaultdict(list)
    for a, b in pairs:
        pairs_from[a].append(("pair", str(a), str(b)))
        pairs_to[b].append(("pair", str(a), str(b)))
    for a in raising:
        sums.append((("raising", str(a)), pairs_from[a]))
    for b in receiving:
        sums.append((("receiving", str(b)), pairs_to[b]))
    return pair_rows


def _category_rows(board: Board, categories: dict[str, int]) -> list[Row]:
    current = board.scope.current
    rows = []
    known = [c.id for c in current.categories]
    for category_id in [*known, *sorted(c for c in categories if c not in known)]:
        if category_id == NOT_GIVEN:
            continue
        rows.append(
            Row(
                current.category_label(category_id),
                [
                    board.count(
                        ("category", category_id),
                        categories.get(category_id, 0),
                        board.link("raised", category=category_id),
                    )
                ],
            )
        )
    if categories.get(NOT_GIVEN):
        rows.append(
            Row(
                "Not given",
                [
                    board.count(
                        ("category", NOT_GIVEN),
                        categories[NOT_GIVEN],
                        board.link("raised", category="-"),
                    )
                ],
            )
        )
    return rows


def outcomes_section(board: Board, ended: Ended) -> Section:
    """How they ended: at which stage, and how high they went."""
    count, link, sums, here = board.count, board.link, board.sums, board.here
    stage_rows = []
    for stage_id, _, _ in board.stages:
        r, w = ended.resolved_at.get(stage_id, 0), ended.withdrawn_at.get(stage_id, 0)
        if not (r or w) and not board.in_current(stage_id):
            continue
        stage_rows.append(
            Row(
                board.scope.stage_label(stage_id),
                [
                    count(("resolved_at", stage_id), r, link("resolved", stage=stage_id)),
                    count(("withdrawn_at", stage_id), w, link("withdrawn", stage=stage_id)),
                ],
            )
        )
    stage_rows.append(
        Row(
            "Total",
            [
                board.total(("resolved", here), "resolved"),
                board.total(("withdrawn", here), "withdrawn"),
            ],
            total=True,
        )
    )
    sums.append((("resolved", here), [("resolved_at", s) for s in ended.resolved_at]))
    sums.append((("withdrawn", here), [("withdrawn_at", s) for s in ended.withdrawn_at]))
    concluded = ended.by_period["resolved"][board.last] + ended.by_period["withdrawn"][board.last]
    concluded_key = board.put(("concluded", here), concluded)
    sums.append((concluded_key, [("resolved", here), ("withdrawn", here)]))
    highest = ended.highest
    numbers = sorted({n for _, n, _ in board.stages})
    highest_rows = []
    for number in numbers:
        label = next(
            (f"Stage {n}: {name}" for _, n, name in board.stages if n == number), f"Stage {number}"
        )
        highest_rows.append(
            Row(
                label,
                [
                    count(
                        ("highest", str(number)),
                        highest.get(number, 0),
                        link("ended", highest=number),
                    )
                ],
            )
        )
    for number in sorted(set(highest) - set(numbers)):
        highest_rows.append(
            Row(
                f"Stage {number}",
                [count(("highest", str(number)), highest[number], link("ended", highest=number))],
            )
        )
    highest_rows.append(Row("Total", [board.total(concluded_key, "ended")], total=True))
    sums.append((concluded_key, [("highest", str(n)) for n in highest]))
    return Section(
        "outcomes",
        "How they ended",
        [
            Table(
                "ended",
                "Stage at which resolved or withdrawn",
                "Stage",
                ["Resolved", "Withdrawn"],
                stage_rows,
            ),
            Table(
                "highest",
                "Highest stage reached",
                "Highest stage",
                ["Resolved or withdrawn"],
                highest_rows,
                chart="bars",
            ),
        ],
        intro=f"Disagreements resolved or withdrawn in {board.period.label}.",
    )


TIME_COLUMNS = (
    "Timescale",
    "{finished}",
    "Within timescale",
    "Over timescale",
    "Share within",
    "Median working days",
    "Mean working days",
)


def time_section(
    board: Board, stages: Stages, overall_groups: OverallGroups, overall: dict[str, Timing]
) -> Section:
    """Time taken against the procedure's timescales: at each stage, and overall."""
    period = board.period
    return Section(
        "time",
        "Time taken against the procedure's timescales",
        [
            Table(
                "stage-time",
                "Time at each stage",
                "Stage",
                [c.format(finished="Stages finished") for c in TIME_COLUMNS],
                _stage_time_rows(board, stages),
                description=(
                    "Each stage a disagreement moved on from, or was resolved or withdrawn"
                    f" at, in {period.label}. Working days are counted from the day it"
                    " reached the stage to the day it left."
                ),
            ),
            Table(
                "overall-time",
                "Time from start to resolution",
                "Resolved at",
                [c.format(finished="Resolved") for c in TIME_COLUMNS],
                _overall_time_rows(board, overall_groups, overall),
                description=(
                    "Working days from the day a disagreement reached a formal stage to"
                    " the day it was resolved, against the procedure's overall limit or"
                    " the cumulative timescale of the stage it was resolved at."
                ),
            ),
        ],
    )


def _stage_time_rows(board: Board, stages: Stages) -> list[Row]:
    count, link, sums = board.count, board.link, board.sums
    rows = []
    for stage_id, _, _ in board.stages:
        t = stages.timing[(board.last, stage_id)]
        if t.count == 0 and not board.in_current(stage_id):
            continue
        left_key = ("stage_left", stage_id)
        within_key, late_key = ("stage_within", stage_id), ("stage_late", stage_id)
        cells = [
            text(t.limit.describe() if t.limit else "No timescale"),
            count(left_key, t.count, link("left", stage=stage_id)),
        ]
        if t.limit is not None or t.within or t.late:
            cells += [
                count(within_key, t.within, link("left", stage=stage_id, late="0")),
                count(late_key, t.late, link("left", stage=stage_id, late="1")),
                board.share(within_key, late_key),
            ]
            sums.append((left_key, [within_key, late_key]))
        else:
            cells += [Cell(None), Cell(None), Cell(None)]
        cells += [
            days(t.median_days, ("stage_median", stage_id), left_key),
            days(t.mean_days, ("stage_mean", stage_id), left_key),
        ]
        rows.append(Row(board.scope.stage_label(stage_id), cells))
    here = board.here
    sums.append((("left", here), [("stage_left", s) for s, _, _ in board.stages]))
    sums.append((("within", here), [("stage_within", s) for s, _, _ in board.stages]))
    sums.append((("late", here), [("stage_late", s) for s, _, _ in board.stages]))
    return rows


def _overall_time_rows(
    board: Board, overall_groups: OverallGroups, overall: dict[str, Timing]
) -> list[Row]:
    counts, sums = board.counts, board.sums
    rows = []
    all_within = all_late = 0
    no_limit = 0
    for stage_id, _, _ in board.stages:
        t = overall.get(stage_id)
        if t is None or t.count == 0:
            continue
        base = ("resolved_at", stage_id)
        within_key, late_key = ("overall_within", stage_id), ("overall_late", stage_id)
        cells = [
            text(t.limit.describe() if t.limit else "No overall timescale"),
            Cell(counts.get(base, 0), key=base, link=board.link("resolved", stage=stage_id)),
        ]
        if t.limit is not None:
            cells += [
                board.count(within_key, t.within),
                board.count(late_key, t.late),
                board.share(within_key, late_key),
            ]
            if t.count == counts.get(base, 0):
                sums.append((base, [within_key, late_key]))
        else:
            no_limit += t.count
            cells += [Cell(None), Cell(None), Cell(None)]
        all_within += t.within
        all_late += t.late
        cells += [
            days(t.median_days, ("overall_median", stage_id), base),
            days(t.mean_days, ("overall_mean", stage_id), base),
        ]
        rows.append(Row(board.scope.stage_label(stage_id), cells))
    if rows:
        rows.append(
            _all_resolved_row(board, overall_groups, overall, all_within, all_late, no_limit)
        )
    return rows


def _all_resolved_row(
    board: Board,
    overall_groups: OverallGroups,
    overall: dict[str, Timing],
    all_within: int,
    all_late: int,
    no_limit: int,
) -> Row:
    counts, sums, scope = board.counts, board.sums, board.scope
    board.put(("overall_within", "all"), all_within)
    board.put(("overall_late", "all"), all_late)
    sums.append((("overall_within", "all"), [("overall_within", s) for s in overall]))
    sums.append((("overall_late", "all"), [("overall_late", s) for s in overall]))
    everything = core.timing_of_groups(
        scope.calendar,
        [
            (scope.overall(v, s), rows)
            for s, by_version in overall_groups.items()
            for v, rows in by_version.items()
        ],
        None,
    )
    resolved_key = ("resolved", board.here)
    if no_limit == 0 and everything.count == counts.get(resolved_key, 0):
        sums.append((resolved_key, [("overall_within", "all"), ("overall_late", "all")]))
    row = Row(
        "All resolved",
        [
            text(""),
            board.total(resolved_key, "resolved"),
            Cell(all_within, key=("overall_within", "all")),
            Cell(all_late, key=("overall_late", "all")),
            board.share(("overall_within", "all"), ("overall_late", "all")),
            days(everything.median_days, ("overall_median", "all"), resolved_key),
            days(everything.mean_days, ("overall_mean", "all"), resolved_key),
        ],
        total=True,
    )
    # "All resolved" counts only cases that reached a formal stage.
    if everything.count != counts.get(resolved_key, 0):
        row.cells[1] = Cell(
            everything.count, key=board.put(("overall_count", "all"), everything.count)
        )
        row.label = "All resolved after reaching a formal stage"
        row.cells[5].depends = (("overall_count", "all"),)
        row.cells[6].depends = (("overall_count", "all"),)
    return row


def open_section(board: Board, stages: Stages, end_words: str) -> Section:
    """Still open: where open disagreements stood at the end, and how many were overdue."""
    count, link, here = board.count, board.link, board.here
    rows = []
    for stage_id, _, _ in board.stages:
        o = stages.open_at.get((board.last, stage_id), 0)
        d = stages.overdue_at.get((board.last, stage_id), 0)
        if not o and not board.in_current(stage_id):
            continue
        rows.append(
            Row(
                board.scope.stage_label(stage_id),
                [
                    count(("open_at", stage_id), o, link("open", stage=stage_id)),
                    count(("overdue_at", stage_id), d, link("overdue", stage=stage_id)),
                ],
            )
        )
    rows.append(
        Row(
            "Total",
            [
                board.total(("open_end", here), "open"),
                board.total(("overdue_end", here), "overdue"),
            ],
            total=True,
        )
    )
    board.sums.append((("open_end", here), [("open_at", s) for s, _, _ in board.stages]))
    board.sums.append((("overdue_end", here), [("overdue_at", s) for s, _, _ in board.stages]))
    return Section(
        "open",
        "Still open",
        [
            Table(
                "open-end",
                f"Open at {end_words}",
                "Stage",
                ["Open", "Past the stage's timescale"],
                rows,
                description=(
                    "Where open disagreements stood, and how many had run past their"
                    " stage's binding timescale."
                ),
            ),
        ],
    )
