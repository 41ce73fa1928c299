"""``parley procedures ...`` and ``parley timeline ...``: the procedure library on the command line.

These read procedure files and the working-day calendar only; they need no database.
Exit status: 0 success, 1 a refused procedure, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from parley.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, register
from parley.core.loader import CheckResult, check_file
from parley.core.planner import Deadline, Plan, calendar_for, plan
from parley.core.procedure import CHOICE_WORDS, Procedure, Stage, choices_of, condition_words
from parley.core.roles import sight_rules, table_rows

LIBRARY = Path(__file__).resolve().parent / "procedures"
DEFAULT_TIME = time(9, 0)  # "raised on DATE" with no time: the start of a working day
JSON_FORMAT_VERSION = 1


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))


def resolve(name: str) -> Path:
    """A procedure by its id in the shipped library, its file name there, or a path."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    for path in library_files():
        if path.stem == name:
            return path
        result = check_file(path)
        if result.procedure is not None and result.procedure.id == name:
            return path
    known = ", ".join(p.stem for p in library_files())
    raise UsageError(f'there is no procedure called "{name}"; the library has: {known}')


def _print_problems(result: CheckResult) -> None:
    for problem in result.problems:
        print(str(problem), file=sys.stderr if not problem.warning else sys.stdout)


# --- parley procedures ------------------------------------------------------------------


@register("procedures")
def procedures_command(argv: list[str]) -> int:
    parser = _Parser(prog="parley procedures", description="The procedure library.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="list the shipped procedures")
    check = sub.add_parser("check", help="check procedure files and list every problem")
    check.add_argument("files", nargs="+")
    show = sub.add_parser("show", help="show a procedure's ladder in readable text")
    show.add_argument("name")
    load = sub.add_parser(
        "load", help="check a procedure file and publish it as a partnership's new version"
    )
    load.add_argument("file")
    load.add_argument("--partnership", required=True, help="the partnership's short name")
    load.add_argument("--dry-run", action="store_true", help="check it; publish nothing")
    load.add_argument("--by", help="your username, for the audit trail")
    try:
        args = parser.parse_args(argv)
        if args.action == "list":
            return _list()
        if args.action == "load":
            # The one of these commands that needs the database, so Django.
            from parley.cases.cli import load as load_file

            return load_file(
                file=args.file, partnership=args.partnership, dry_run=args.dry_run, by=args.by
            )
        if args.action == "check":
            return _check(args.files)
        return _show(resolve(args.name))
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE


def _list() -> int:
    for path in library_files():
        result = check_file(path)
        if result.procedure is None:
            print(f"{path.stem:<24} (refused: run 'parley procedures check {path.stem}')")
            continue
        p = result.procedure
        scope = ", ".join(sorted(s.value for s in p.scope))
        print(f"{p.id:<24} {p.name} — {p.partnership} (version {p.version}; {scope})")
    return EXIT_OK


def _check(files: Sequence[str]) -> int:
    status = EXIT_OK
    for name in files:
        path = Path(name)
        if not path.exists():
            try:
                path = resolve(name)
            except UsageError as error:
                print(error, file=sys.stderr)
                status = max(status, EXIT_USAGE)
                continue
        result = check_file(path)
        _print_problems(result)
        if result.ok and result.procedure is not None:
            count = len(result.warnings)
            suffix = f" ({count} warning{'s' if count != 1 else ''})" if count else ""
            procedure = result.procedure
            print(f"{path.name}: ok — {procedure.name}, version {procedure.version}{suffix}")
        else:
            errors = len(result.errors)
            print(
                f"{path.name}: refused — {errors} problem{'s' if errors != 1 else ''}",
                file=sys.stderr,
            )
            status = max(status, EXIT_FAILURE)
    return status


def ladder_text(procedure: Procedure) -> str:
    lines = [f"{procedure.name} (version {procedure.version})", procedure.partnership]
    lines.append("Scope: " + ", ".join(sorted(s.value for s in procedure.scope)))
    if procedure.overall.is_limited:
        lines.append(f"Overall limit: {procedure.overall.describe()}")
    for track in procedure.tracks:
        if len(procedure.tracks) > 1:
            lines += ["", f"Track: {track.name}"]
        ladder = list(track.ladder_from(track.stages[0]))
        if any(stage.branches for stage in ladder):
            ladder = list(track.stages)  # every way up the answers may choose, as written
        for stage in ladder:
            limit = stage.within.describe() if stage.within.is_limited else "no fixed timescale"
            cumulative = f"; cumulative {stage.cumulative.describe()}" if stage.cumulative else ""
            lines += ["", f"{_stage_title(stage)}: {stage.name} — {limit}{cumulative}"]
            if stage.raising_side:
                lines.append("  Raising side: " + _roles(procedure, stage.raising_side))
            if stage.other_side:
                lines.append("  Other side:   " + _roles(procedure, stage.other_side))
            if stage.partnership_side:
                lines.append("  For the partnership: " + _roles(procedure, stage.partnership_side))
            if stage.escalate_by:
                lines.append("  Only these move it up: " + _roles(procedure, stage.escalate_by))
            if stage.kept_informed:
                lines.append("  Kept informed: " + _roles(procedure, stage.kept_informed))
            for step in stage.steps:
                condition = " (if agreed)" if step.only_if_agreed else ""
                lines.append(f"  - {step.name}{condition}: {step.within.describe()}")
            for method in stage.resolution:
                lines.append(f"  Resolves by: {method.kind.value} — {method.description}")
            for branch in stage.branches:
                when = condition_words(procedure, branch.when) if branch.when else "otherwise"
                lines.append(f"  Goes next to: {track.stage(branch.stage).name}, {when}")
            if stage.next and not stage.branches:
                lines.append(f"  Goes next to: {track.stage(stage.next).name}")
    for route in procedure.side_routes:
        lines += ["", f"Side route: {route.name} (from {route.start_from.value})"]
        lines.append("  Started by: " + ", ".join(route.may_start))
        for side_stage in route.stages:
            limit = side_stage.within.describe() if side_stage.within.is_limited else "no limit"
            lines.append(f"  {side_stage.number}. {side_stage.name} — {limit}")
    if procedure.immediate_risk:
        risk = procedure.immediate_risk
        start = "the raiser's choice of stage" if risk.raiser_chooses else risk.start
        lines += ["", f"Immediate risk: {risk.within.describe()}, starting at {start}"]
        lines += [
            f"  {label}: {risk.source.choice_words(setting)}"
            for setting, label in (("within", "Time limit"), ("start", "Starting stage"))
            if risk.source.chosen(setting)
        ]
    lines.append(f"Bypass: {'allowed' if procedure.bypass.allowed else 'not allowed'}")
    choices = choices_of(procedure)
    if choices:
        lines += ["", f"Where the document is silent ({CHOICE_WORDS}):"]
        lines += [
            f"  {what}. {source.choice.reason.strip()}" for what, source in choices if source.choice
        ]
    lines += ["", "Who sees and acts (the roles table):"]
    lines += [f"  {line}" for line in roles_text(procedure)]
    return "\n".join(lines)


def roles_text(procedure: Procedure) -> list[str]:
    """Each role the roles table knows, as it applies to this procedure: where it acts,
    which of this procedure's cases it sees, or that it only looks (parley.core.roles)."""
    rules = sight_rules(procedure)
    lines = []
    for row in table_rows(procedure):
        where = ", ".join(f"stage {a.number or 'informal'} ({a.side.value})" for a in row.acts_at)
        if not row.role.may_act:
            acts = "only looks"
        elif not row.acts_at:
            acts = "acts at no stage of this procedure"
        else:
            acts = f"acts at {where}"
        lines.append(
            f"{procedure.role_label(row.role.id)} ({row.role.id}): {acts}; "
            f"sees {sight_words(row.role.id, row.role.sight.value, rules)}"
        )
    return lines


def sight_words(role: str, sight: str, rules: Any) -> str:
    """Which of a procedure's cases a role sees, in words."""
    if sight == "own":
        return "the cases they raised or are named in"
    if sight == "none":
        return "no case"
    parts = []
    if role in rules.whole:
        parts.append("every case, held partnership-wide")
    sides = [n for n in (rules.raising.get(role), rules.other.get(role)) if n is not None]
    if sides:
        parts.append(f"their agency's cases from stage {min(sides)}, held in an agency")
    if role in rules.anywhere and role not in rules.whole:
        parts.append(f"every case from stage {rules.anywhere[role]}, held partnership-wide")
    if role in rules.urgent and role not in rules.whole:
        parts.append("every case on the immediate-risk route, held partnership-wide")
    return "; ".join(parts) or "none of this procedure's cases"


def _stage_title(stage: Stage) -> str:
    """The stage as the document numbers it, such as "Stage 2"; an informal stage is 0."""
    return f"Stage {stage.number}" if stage.number else "Informal stage"


def _roles(procedure: Procedure, roles: Sequence[str]) -> str:
    return ", ".join(procedure.role_label(role) for role in roles)


def _show(path: Path) -> int:
    result = check_file(path)
    if result.procedure is None:
        _print_problems(result)
        return EXIT_FAILURE
    print(ladder_text(result.procedure))
    return EXIT_OK


# --- parley timeline --------------------------------------------------------------------


def _parse_when(value: str, zone: ZoneInfo) -> datetime:
    try:
        if "T" in value or " " in value:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
        return datetime.combine(date.fromisoformat(value), DEFAULT_TIME, tzinfo=zone)
    except ValueError:
        raise UsageError(
            f'"{value}" is not a date: write it as YYYY-MM-DD, such as 2026-12-22, '
            "or with a time as 2026-12-22T15:00"
        ) from None


@register("timeline")
def timeline_command(argv: list[str]) -> int:
    parser = _Parser(
        prog="parley timeline",
        description="If a disagreement is raised on DATE and every stage runs to its limit, "
        "what is due when.",
    )
    parser.add_argument("name", help="a procedure id from the library, or a file")
    parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD[THH:MM]")
    parser.add_argument("--immediate-risk", action="store_true")
    parser.add_argument("--track")
    parser.add_argument("--start-stage")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    try:
        args = parser.parse_args(argv)
        path = resolve(args.name)
        result = check_file(path)
        if result.procedure is None:
            _print_problems(result)
            return EXIT_FAILURE
        procedure = result.procedure
        zone = ZoneInfo(procedure.calendar.timezone)
        raised = _parse_when(args.start, zone)
        if args.track and args.track not in {t.id for t in procedure.tracks}:
            tracks = ", ".join(t.id for t in procedure.tracks)
            raise UsageError(f'"{args.track}" is not a track of {procedure.id}: use {tracks}')
        track = procedure.track(args.track)
        if args.start_stage and not track.has_stage(args.start_stage):
            stages = ", ".join(s.id for s in track.stages)
            raise UsageError(f'"{args.start_stage}" is not a stage: use one of {stages}')
        if args.immediate_risk and procedure.immediate_risk is None:
            raise UsageError(f"{procedure.id} has no immediate-risk route")
        if (
            args.immediate_risk
            and procedure.immediate_risk is not None
            and procedure.immediate_risk.raiser_chooses
            and not args.start_stage
        ):
            raise UsageError(
                f"{procedure.id} leaves the starting stage to the raiser on the immediate-risk "
                "route: add --start-stage"
            )
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    the_plan = plan(
        procedure,
        calendar_for(procedure),
        raised,
        track=args.track,
        immediate_risk=args.immediate_risk,
        start_stage=args.start_stage,
    )
    if args.format == "json":
        print(json.dumps(plan_json(the_plan), indent=2, ensure_ascii=False))
    else:
        print(plan_text(the_plan))
    return EXIT_OK


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def plan_text(the_plan: Plan) -> str:
    procedure = the_plan.procedure
    zone = ZoneInfo(procedure.calendar.timezone)
    route = " on the immediate-risk route" if the_plan.immediate_risk else ""
    lines = [
        f"{procedure.name} (version {procedure.version})",
        f"If raised {_when(the_plan.raised_at, zone)}{route}, and every stage runs to its limit:",
    ]
    for planned in the_plan.stages:
        stage = planned.stage
        lines.append("")
        if planned.entered_at is None:
            lines.append(
                f"{_stage_title(stage)}: {stage.name} — cannot be dated "
                "(an earlier stage has no fixed timescale)"
            )
            continue
        limit = stage.within.describe() if stage.within.is_limited else "no fixed timescale"
        lines.append(f"{_stage_title(stage)}: {stage.name} — {limit}")
        for deadline in planned.deadlines:
            if deadline.kind.value != "step":
                continue
            lines.append(f"  {deadline.label}")
            lines.append(f"    by {_when(deadline.due, zone)} — {deadline.explanation.sentence()}")
            if deadline.source.startswith(CHOICE_WORDS):
                lines.append(f"    {deadline.source}")
        if not planned.deadlines:
            lines.append("  No fixed timescale: resolve as quickly as possible.")
        if planned.cumulative_working_days is not None and planned.ends_at is not None:
            lines.append(
                f"  Stage ends by {_when(planned.ends_at, zone)}: "
                f"{planned.cumulative_working_days} working days since raised"
            )
    if the_plan.overall is not None:
        lines += [
            "",
            f"Overall limit ({the_plan.overall.rule}): {_when(the_plan.overall.due, zone)}",
        ]
    return "\n".join(lines)


def _deadline_json(deadline: Deadline, zone: ZoneInfo) -> dict[str, Any]:
    local = deadline.due.astimezone(zone)
    return {
        "id": deadline.step or deadline.key,
        "name": deadline.label,
        "by": deadline.by.value,
        "limit": deadline.rule,
        "latest_date": local.date().isoformat(),
        "latest": local.isoformat(),
        "advisory": deadline.advisory,
        "explanation": deadline.explanation.sentence(),
        "skipped": [
            {"date": s.day.isoformat(), "reason": s.reason} for s in deadline.explanation.skipped
        ],
    }


def plan_json(the_plan: Plan) -> dict[str, Any]:
    procedure = the_plan.procedure
    zone = ZoneInfo(procedure.calendar.timezone)
    stages = []
    for planned in the_plan.stages:
        stage = planned.stage
        step_deadlines = [d for d in planned.deadlines if d.kind.value == "step"]
        stages.append(
            {
                "id": stage.id,
                "number": stage.number,
                "name": stage.name,
                "informal": stage.informal,
                "limit": stage.within.describe(),
                "cumulative_limit": stage.cumulative.describe() if stage.cumulative else None,
                "entered": planned.entered_at.astimezone(zone).isoformat()
                if planned.entered_at
                else None,
                "ends": planned.ends_at.astimezone(zone).isoformat() if planned.ends_at else None,
                "cumulative_working_days": planned.cumulative_working_days,
                "steps": [_deadline_json(d, zone) for d in step_deadlines],
            }
        )
    return {
        "format": JSON_FORMAT_VERSION,
        "procedure": {"id": procedure.id, "name": procedure.name, "version": procedure.version},
        "raised": the_plan.raised_at.astimezone(zone).isoformat(),
        "immediate_risk": the_plan.immediate_risk,
        "track": the_plan.track.id,
        "stages": stages,
        "overall": _deadline_json(the_plan.overall, zone) if the_plan.overall else None,
    }
