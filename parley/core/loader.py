"""Read and check a procedure file.

Every problem is collected, not just the first, and each names the file, the line and
what is wrong in plain English; a business manager fixing a file should never see a
traceback. The format is described for its authors in docs/procedure-format.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar

import yaml

from parley.core.durations import NO_LIMIT, Duration, DurationError, parse_duration
from parley.core.procedure import (
    EVERY_AGENCY_INVOLVED,
    SIDE_ROUTE_SIDES,
    STANDARD_ROLES,
    Adviser,
    Branch,
    Bypass,
    Cadence,
    CalendarSpec,
    Cap,
    Category,
    Choice,
    Clock,
    ClockKind,
    Condition,
    Contact,
    Debrief,
    EscalationTrigger,
    Form,
    ImmediateRisk,
    MayShorten,
    NetworkMeeting,
    Notify,
    NotifyWhen,
    OnBehalf,
    Option,
    Outcome,
    Participant,
    Priority,
    Procedure,
    Question,
    QuestionKind,
    Reporting,
    ResolutionKind,
    ResolutionMethod,
    Scope,
    Side,
    SideRoute,
    SideRouteFrom,
    Signpost,
    SignpostKind,
    Source,
    Stage,
    Step,
    StepAction,
    StepAnchor,
    Track,
)
from parley.core.roles import DEFAULT_OWN_SIGHT, PARTY_ROLE, role_table, stage_side_roles
from parley.core.roletable import Held, Role, Sight

FORMAT_VERSION = 1
# A procedure file is a few tens of kilobytes; anything much larger is not one.
MAX_FILE_BYTES = 512 * 1024
REGIONS = ("england-and-wales", "scotland", "northern-ireland")
# Document templates Parley can fill in; a procedure names one per form.
FORM_TEMPLATES = (
    "escalation-referral",
    "twsp-referral",
    "wirral-resolved-stage-2",
    "wirral-resolved-stage-3",
    "outcome-confirmation",
)
DEFAULT_TRACK = "general"

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
E = TypeVar("E")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        kind = "warning: " if self.warning else ""
        return f"{where}: {kind}{self.message}"


class ProcedureError(Exception):
    """A procedure file that was refused, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class CheckResult:
    procedure: Procedure | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.warning]

    @property
    def ok(self) -> bool:
        return self.procedure is not None and not self.errors


# --- YAML with line numbers -------------------------------------------------------------


class LMap(dict[str, Any]):
    """A mapping that remembers where it and each of its keys stood, and in which file.

    After a local file is laid over the regional one it extends, one mapping can hold keys
    from both files, so each key keeps its own file as well as its own line.
    """

    line: int = 0
    file: str = ""
    key_lines: dict[str, int]
    key_files: dict[str, str]

    def file_of(self, key: str) -> str:
        return self.key_files.get(key, self.file)


class LList(list[Any]):
    line: int = 0
    file: str = ""
    item_lines: list[int]
    item_files: list[str]


class _Duplicate(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


class _Sexagesimal(int):
    """An unquoted time such as 17:00, which YAML 1.1 reads as the number 1020.

    It keeps the text as written, so a time of day reads back as the time it looks like.
    """

    text: str

    def __new__(cls, value: int, text: str) -> _Sexagesimal:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_WHAT_A_TAG_MEANS = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
}


def _unbuildable(node: yaml.Node) -> str:
    """Why a value YAML recognised (by its look or a "!!" mark) could not be built."""
    text = node.value if isinstance(node, yaml.ScalarNode) else "this value"
    if node.tag == _TIMESTAMP:
        return (
            f'"{text}" is not a real date: write a day that exists, as YYYY-MM-DD, or put it '
            "in quotes if it is not a date"
        )
    short = node.tag.replace("tag:yaml.org,2002:", "!!")
    what = _WHAT_A_TAG_MEANS.get(node.tag)
    if what is None:
        return f'"{text}" cannot be read as "{short}"'
    return f'"{text}" is marked "{short}" but is not {what}'


class _Alias(Exception):
    def __init__(self, name: str, line: int) -> None:
        self.name, self.line = name, line


class _Loader(yaml.SafeLoader):
    """Safe YAML that builds :class:`LMap` and :class:`LList` and notes values it cannot build."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.problems: list[Problem] = []

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # An alias (*name) repeats an anchored part of the file. Nine aliases to a list of
        # nine aliases, eight deep, is a few hundred bytes that expand to 43 million values:
        # refused as it is met, before anything is built from it.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Alias(event.anchor, event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A value such as 2026-02-30 or "!!int abc" matches YAML's pattern for a date or a
        # number but cannot be built: say so at its line, and carry on to find the rest.
        deep_before = self.deep_construct
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError):
            self.recursive_objects.pop(node, None)
            self.deep_construct = deep_before
            self.problems.append(Problem(self.file, node.start_mark.line + 1, _unbuildable(node)))
            return None


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LMap:
    result = LMap()
    result.line, result.file = node.start_mark.line + 1, loader.file
    result.key_lines, result.key_files = {}, {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        if key in result:
            raise _Duplicate(key, key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        result.key_files[key] = loader.file
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.file = node.start_mark.line + 1, loader.file
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    result.item_files = [loader.file] * len(node.value)
    return result


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    value = loader.construct_yaml_int(node)
    return _Sexagesimal(value, node.value) if ":" in str(node.value) else value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _read_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    too_long = _past_the_limit(text)
    if too_long:
        message = (
            f"the file is longer than {MAX_FILE_BYTES // 1024} KB (it passes that at this "
            "line): a procedure file is a few tens of kilobytes, so this is not one"
        )
        return None, [Problem(file, too_long, message)]
    try:
        # Reading starts here: a character YAML does not allow (a NUL, a control
        # character) is refused as the loader is made, before any line is parsed.
        loader = _Loader(text, file)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        message = (
            f"this line holds a character a procedure file cannot contain "
            f"(U+{error.character:04X}, such as a null or control character)"
            if isinstance(error.character, int)
            else "this file is not text"
        )
        return None, [Problem(file, line, message)]
    try:
        data = loader.get_single_data()
    except _Duplicate as duplicate:
        message = f'"{duplicate.key}" is given twice; keep one'
        return None, [Problem(file, duplicate.line, message)]
    except _Alias as alias:
        message = (
            f'this line repeats another part of the file with a YAML alias ("*{alias.name}"): '
            "write the value out in full; Parley does not read aliases"
        )
        return None, [Problem(file, alias.line, message)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        what = error.problem or "the file is not valid YAML"
        return None, [Problem(file, line, f"this is not valid YAML: {what}")]
    except yaml.YAMLError as error:
        return None, [Problem(file, 0, f"this is not valid YAML: {error}")]
    except RecursionError:
        return None, [Problem(file, 0, "this file is nested too deeply to read")]
    finally:
        loader.dispose()
    if loader.problems:
        return None, loader.problems
    return data, []


def _past_the_limit(text: str) -> int:
    """The line at which ``text`` passes :data:`MAX_FILE_BYTES`, or 0 if it does not."""
    if len(text) * 4 <= MAX_FILE_BYTES:
        return 0  # short enough in any encoding: no need to encode it
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= MAX_FILE_BYTES:
        return 0
    kept = encoded[:MAX_FILE_BYTES].decode("utf-8", "ignore")
    return kept.count("\n") + 1


# --- merging a local procedure over the regional one it extends -------------------------


def _merge(base: Any, override: Any, base_file: str, problems: list[Problem], key: str = "") -> Any:
    """Lay ``override`` over ``base``: mappings key by key, lists of items with ids by id.

    Each key and item keeps the file and line it was written at, so a problem is reported
    against the file it is in. A ``remove: true`` for an id ``base`` does not have is noted
    in ``problems``.
    """
    if isinstance(base, LMap) and isinstance(override, LMap):
        merged = LMap(base)
        merged.line, merged.file = override.line, override.file
        merged.key_lines, merged.key_files = dict(base.key_lines), dict(base.key_files)
        for key, value in override.items():
            if key in base:
                merged[key] = _merge(base[key], value, base_file, problems, key)
            else:
                merged[key] = _without_removals(value, problems, _not_in(base_file))
            merged.key_lines[key] = override.key_lines.get(key, 0)
            merged.key_files[key] = override.file_of(key)
        return merged
    if isinstance(base, LList) and isinstance(override, LList) and _all_have_ids(override):
        items = list(base)
        lines, files = list(base.item_lines), list(base.item_files)

        def index_of(item_id: str) -> int | None:
            # Looked up each time: an inserted item moves the ones after it along.
            return next(
                (i for i, it in enumerate(items) if _has_id(it) and it["id"] == item_id), None
            )

        given: dict[str, int] = {}
        for item, line, file in zip(
            override, override.item_lines, override.item_files, strict=True
        ):
            if item["id"] in given:
                # Removed and then given again, or changed twice: which was meant is
                # anybody's guess, so the file says it once.
                problems.append(
                    Problem(
                        file,
                        line,
                        f'"{item["id"]}" is given twice under "{key}" (lines '
                        f"{given[item['id']]} and {line}): give each id once, either to change "
                        "it or to remove it",
                    )
                )
                continue
            given[item["id"]] = line
            index = index_of(item["id"])
            if index is not None:
                if _placing(item):
                    problems.append(Problem(file, line, _already_there(item["id"], base_file)))
                elif item.get("remove") is True:
                    items[index] = None
                else:
                    items[index] = _merge(items[index], item, base_file, problems)
                    lines[index], files[index] = line, file
            elif item.get("remove") is True:
                problems.append(Problem(file, line, _not_in(base_file)(item["id"])))
            else:
                at = _insert_at(item, file, line, index_of, len(items), base_file, problems)
                added = _without_removals(item, problems, _not_in(base_file))
                items.insert(at, added)
                lines.insert(at, line)
                files.insert(at, file)
        keep = [i for i, item in enumerate(items) if item is not None]
        result = LList(items[i] for i in keep)
        result.line, result.file = override.line, override.file
        result.item_lines = [lines[i] for i in keep]
        result.item_files = [files[i] for i in keep]
        return result
    return _without_removals(override, problems, _not_in(base_file))


# A new item in a local file goes at the end of its list, or before or after an item of
# the regional file's (an informal stage before the first, say).
PLACING = ("insert_before", "insert_after")


def _placing(item: LMap) -> bool:
    return any(key in item for key in PLACING)


def _already_there(item_id: str, base_file: str) -> str:
    return (
        f'"{item_id}" is in {base_file} already, so it keeps its place there: '
        '"insert_before" and "insert_after" are for an item the local file adds'
    )


def _insert_at(
    item: LMap,
    file: str,
    line: int,
    index_of: Callable[[str], int | None],
    end: int,
    base_file: str,
    problems: list[Problem],
) -> int:
    """Where a new item goes, its placing taken out of it; the end if it has none."""
    keys = [key for key in PLACING if key in item]
    if not keys:
        return end
    targets = {key: item.pop(key) for key in keys}
    if len(keys) > 1:
        problems.append(Problem(file, line, 'give "insert_before" or "insert_after", not both'))
        return end
    target = str(targets[keys[0]])
    found = index_of(target)
    if found is None:
        problems.append(
            Problem(
                file,
                line,
                f'"{item["id"]}" is to go {keys[0].replace("insert_", "")} "{target}", which '
                f"{base_file} does not have",
            )
        )
        return end
    return found if keys[0] == "insert_before" else found + 1


def _not_in(base_file: str) -> Callable[[str], str]:
    return lambda item_id: f'removes "{item_id}", which {base_file} does not have'


_NOTHING_TO_REMOVE_FROM = (
    '"remove: true" only works in a file that extends another; delete the item instead'
)


_NOTHING_TO_PLACE_AGAINST = (
    '"insert_before" and "insert_after" only work in a file that extends another: write '
    "the item where it goes instead"
)


def _without_removals(node: Any, problems: list[Problem], message: Callable[[str], str]) -> Any:
    """``node`` with every item marked ``remove: true`` taken out, each one a problem.

    Used where nothing is underneath to remove from, so the mark would otherwise be
    silently ignored and the item kept.
    """
    if isinstance(node, LMap):
        for key, value in node.items():
            node[key] = _without_removals(value, problems, message)
        return node
    if isinstance(node, LList):
        keep = []
        for index, (item, line, file) in enumerate(
            zip(node, node.item_lines, node.item_files, strict=True)
        ):
            if isinstance(item, LMap) and item.get("remove") is True:
                problems.append(Problem(file, line, message(str(item.get("id", "")))))
            elif isinstance(item, LMap) and _placing(item):
                problems.append(Problem(file, line, _NOTHING_TO_PLACE_AGAINST))
                keep.append(index)
            else:
                keep.append(index)
        result = LList(_without_removals(node[i], problems, message) for i in keep)
        result.line, result.file = node.line, node.file
        result.item_lines = [node.item_lines[i] for i in keep]
        result.item_files = [node.item_files[i] for i in keep]
        return result
    return node


def _has_id(item: Any) -> bool:
    return isinstance(item, LMap) and isinstance(item.get("id"), str)


def _all_have_ids(items: LList) -> bool:
    return bool(items) and all(_has_id(item) for item in items)


# --- reading sections -------------------------------------------------------------------


class _Reader:
    """Walks the raw mapping, turning it into the model and noting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.known_roles: dict[str, str] = dict(STANDARD_ROLES)
        self._role_refs: list[tuple[str, str, int]] = []  # role, file, line
        # Stages (by file and line) whose file says when they escalate, not the default.
        self.explicit_triggers: set[tuple[str, int]] = set()
        self.advisers: tuple[Adviser, ...] = ()  # read with the roles: they extend them

    # problem reporting -------------------------------------------------------------------
    def problem(self, where: LMap | LList, key: str | None, message: str) -> None:
        line, file = where.line, where.file
        if key is not None and isinstance(where, LMap):
            line, file = where.key_lines.get(key, where.line), where.file_of(key)
        self.problems.append(Problem(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, warning=True))

    def keys(self, node: LMap, allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        if "source" in allowed:
            allowed = (*allowed, "choice")  # whatever can cite a passage can be a choice
        for key in node:
            if key not in allowed:
                nearest = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f'; did you mean "{nearest[0]}"?' if nearest else ""
                listing = "" if nearest else f" (known: {', '.join(allowed)})"
                self.problem(node, key, f'"{key}" is not something {what} can have{hint}{listing}')

    # typed getters -----------------------------------------------------------------------
    def text(self, node: LMap, key: str, what: str, *, required: bool = False) -> str:
        value = node.get(key)
        if value is None:
            if required:
                self.problem(node, None, f'{what} needs "{key}"')
            return ""
        if isinstance(value, LMap | LList):
            self.problem(node, key, f'"{key}" of {what} should be plain text')
            return ""
        return str(value).strip()

    def ident(self, node: LMap, key: str, what: str, *, required: bool = True) -> str:
        value = self.text(node, key, what, required=required)
        if value and not _ID.match(value):
            self.problem(
                node,
                key,
                f'"{value}" is not a usable {key}: use lower-case letters, digits and '
                'hyphens, such as "stage-2"',
            )
        return value

    def flag(self, node: LMap, key: str, default: bool = False) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.problem(node, key, f'"{key}" should be yes or no, not "{value}"')
            return default
        return value

    def number(self, node: LMap, key: str, default: int, *, minimum: int = 0) -> int:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(node, key, f'"{key}" should be a whole number of at least {minimum}')
            return default
        return value

    def duration(self, node: LMap, key: str, default: Duration = NO_LIMIT) -> Duration:
        if key not in node:
            return default
        try:
            return parse_duration(node[key])
        except DurationError as error:
            self.problem(node, key, f'"{key}": {error}')
            return default

    def optional_duration(self, node: LMap, key: str) -> Duration | None:
        return self.duration(node, key) if key in node else None

    def choice(self, node: LMap, key: str, enum: type[E], default: E | None = None) -> E | None:
        value = node.get(key)
        if value is None:
            if default is None:
                self.problem(node, None, f'this needs "{key}"')
            return default
        options = [member.value for member in enum]  # type: ignore[attr-defined]
        if value not in options:
            nearest = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
            hint = f'did you mean "{nearest[0]}"? ' if nearest else ""
            self.problem(
                node,
                key,
                f'"{value}" is not a {key} Parley knows; {hint}use one of: ' + ", ".join(options),
            )
            return default
        return enum(value)  # type: ignore[call-arg]

    def mapping(self, node: LMap, key: str, what: str) -> LMap | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, LMap):
            self.problem(node, key, f'"{key}" of {what} should be a set of named settings')
            return None
        return value

    def items(self, node: LMap, key: str, what: str) -> list[LMap]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, LList):
            self.problem(node, key, f'"{key}" of {what} should be a list')
            return []
        result = []
        for item, line, file in zip(value, value.item_lines, value.item_files, strict=True):
            if isinstance(item, LMap):
                result.append(item)
            else:
                self.problems.append(
                    Problem(file, line, f'each entry of "{key}" should be a set of settings')
                )
        return result

    def ids(self, node: LMap, key: str, what: str, example: str) -> tuple[str, ...]:
        """A list of ids; one id on its own is read as a list of one, as roles are."""
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, LMap | LList) for v in value):
            self.problem(
                node, key, f'"{key}" of {what} should be an id or a list of ids, such as {example}'
            )
            return ()
        return tuple(str(v) for v in value)

    def roles(self, node: LMap, key: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(node, key, f'"{key}" should be a list of roles')
            return ()
        line, file = node.key_lines.get(key, node.line), node.file_of(key)
        for role in value:
            self._role_refs.append((str(role), file, line))
        return tuple(str(role) for role in value)

    def check_roles(self, since: int = 0) -> None:
        """The roles named since the ``since``-th, each known or declared."""
        for role, file, line in self._role_refs[since:]:
            if role not in self.known_roles:
                nearest = difflib.get_close_matches(role, list(self.known_roles), n=1, cutoff=0.6)
                hint = f'; did you mean "{nearest[0]}"?' if nearest else "."
                self.problems.append(
                    Problem(
                        file,
                        line,
                        f'"{role}" is not a role Parley knows{hint} Declare it under "roles" '
                        "if it is one of this partnership's own.",
                    )
                )

    def source(self, node: LMap) -> Source:
        return Source(
            file=node.file,
            line=node.line,
            cite=self.text(node, "source", "this"),
            choice=self.chosen(node),
        )

    def chosen(self, node: LMap) -> Choice | None:
        """The entry's ``choice``, checked; None if it has none or it is switched off."""
        value = node.get("choice")
        if value is None:
            return None
        if not isinstance(value, LMap):
            self.problem(
                node,
                "choice",
                '"choice" should be a set of named settings: "reason", and "about" or "use" '
                "if needed",
            )
            return None
        self.keys(value, CHOICE_KEYS, "a choice")
        reason = self.text(value, "reason", "a choice", required=True)
        settings = self.ids(value, "about", "a choice", "[within]")
        for setting in settings:
            if setting not in node or setting in ("choice", "source"):
                self.problem(
                    value,
                    "about",
                    f'the choice is about "{setting}", which this entry does not set: name '
                    'one of its settings, or leave "about" out if the whole entry is the choice',
                )
        if not self.flag(value, "use", True):
            return None  # switched off: _switch_off_choices has undone what it chose
        return Choice(reason=reason, settings=settings)


# A setting whose choice is switched off takes the value that says what the document
# says: nothing. A limit is none, the immediate-risk route starts where the raiser judges,
# no written confirmation, debrief or feedback is asked for.
SILENT: dict[str, Any] = {
    "within": "none",
    "start": "choose",
    "allowed_starts": [],
    "written_confirmation": False,
    "outstanding_issues": False,
    "feedback_to_raiser": "none",
    "debrief": "none",
}
CHOICE_KEYS = ("reason", "about", "use")


def _switched_off(node: Any) -> LMap | None:
    """The choice of ``node`` if it is one that is switched off (``use: false``)."""
    if not isinstance(node, LMap):
        return None
    choice = node.get("choice")
    if isinstance(choice, LMap) and choice.get("use") is False:
        return choice
    return None


def _switch_off_choices(node: Any) -> None:
    """Undo every choice a file switches off, before it is read: a chosen setting takes
    its silent value, a chosen entry of a list is dropped."""
    if isinstance(node, LMap):
        choice = _switched_off(node)
        if choice is not None:
            about = choice.get("about")
            for setting in [about] if isinstance(about, str) else about or []:
                if setting in node:
                    if setting in SILENT:
                        node[setting] = SILENT[setting]
                    else:
                        del node[setting]
        for value in node.values():
            _switch_off_choices(value)
    elif isinstance(node, LList):
        keep = [
            i
            for i, item in enumerate(node)
            if not ((choice := _switched_off(item)) is not None and not choice.get("about"))
        ]
        if len(keep) != len(node):
            items = [node[i] for i in keep]
            node.item_lines = [node.item_lines[i] for i in keep]
            node.item_files = [node.item_files[i] for i in keep]
            node[:] = items
        for item in node:
            _switch_off_choices(item)


# --- the sections -----------------------------------------------------------------------


def _names(words: str) -> tuple[str, ...]:
    """The keys a section may have, written as words: ``"id name source"``."""
    return tuple(words.split())


TOP_KEYS = _names(
    "parley id name version partnership document summary scope categories roles calendar "
    "contacts signposting immediate_risk bypass raise_on_behalf outcome forms reporting "
    "notify limits stages tracks retention_years extends source questions single_agency "
    "participants advisers side_routes"
)
STAGE_KEYS = _names(
    "id name description informal raising_side other_side kept_informed partnership_side "
    "escalate_by steps within cumulative escalate_when next notify forms resolution "
    "advisory source remove informs after may_shorten priorities meeting"
)
STEP_KEYS = _names(
    "id name by action within after only_if_agreed cumulative form advisory source remove"
)


def _read_step(r: _Reader, node: LMap, stage_id: str, previous: str | None) -> Step:
    what = f"a step of {stage_id}"
    r.keys(node, STEP_KEYS, "a step")
    step_id = r.ident(node, "id", what)
    after = r.text(node, "after", what) or (previous or "stage-start")
    clock, after = _read_clock(after, stage_id)
    after = after or previous or "stage-start"
    anchor, anchor_event = StepAnchor.PREVIOUS_STEP, ""
    if after == "stage-start":
        anchor = StepAnchor.STAGE_START
    elif after != previous:
        anchor, anchor_event = StepAnchor.EVENT, after
    side = r.choice(node, "by", Side, Side.RAISING)
    action = r.choice(node, "action", StepAction, StepAction.DISCUSS)
    return Step(
        id=step_id,
        name=r.text(node, "name", what, required=True),
        by=side or Side.RAISING,
        action=action or StepAction.DISCUSS,
        within=r.duration(node, "within"),
        anchor=anchor,
        anchor_event=anchor_event,
        only_if_agreed=r.flag(node, "only_if_agreed"),
        cumulative=r.optional_duration(node, "cumulative"),
        form=r.ident(node, "form", what, required=False),
        advisory=r.flag(node, "advisory"),
        source=r.source(node),
        clock=clock,
    )


def _read_clock(after: str, stage_id: str) -> tuple[Clock | None, str]:
    """An ``after`` naming a clock outside the step's stage (``answer:<question>``,
    ``cap:<cap>``, ``<stage>.<step>``), and what is left of it for a step of the stage."""
    kind, _, ref = after.partition(":")
    if ref and kind in (ClockKind.ANSWER.value, ClockKind.CAP.value):
        return Clock(ClockKind(kind), ref.strip()), ""
    stage, _, step = after.partition(".")
    if step and stage != stage_id:
        return Clock(ClockKind.STEP, after), ""
    return None, step or after


def _stage_clock(r: _Reader, node: LMap, what: str) -> Clock | None:
    """A stage's ``after``: where its own limit runs from, if not from reaching it."""
    after = r.text(node, "after", what)
    if not after:
        return None
    clock, rest = _read_clock(after, "")
    if clock is None:
        r.problem(
            node,
            "after",
            f'"{after}": a stage\'s limit runs from a date answered ("answer:<question id>"), '
            'a step ("<stage id>.<step id>") or the end of a cap ("cap:<cap id>")',
        )
    return clock


RESOLUTION_KEYS = _names(
    "kind description chaired_by convene_within decide_within panel_agencies "
    "include_parties_where_possible binding source"
)


def _read_resolution(r: _Reader, node: LMap) -> ResolutionMethod:
    r.keys(node, RESOLUTION_KEYS, "a way of resolving")
    chaired_by = r.roles(node, "chaired_by")
    return ResolutionMethod(
        kind=r.choice(node, "kind", ResolutionKind) or ResolutionKind.AGREEMENT,
        description=r.text(node, "description", "a way of resolving"),
        chaired_by=chaired_by[0] if chaired_by else "",
        convene_within=r.duration(node, "convene_within"),
        decide_within=r.duration(node, "decide_within"),
        panel_agencies=r.number(node, "panel_agencies", 0),
        include_parties_where_possible=r.flag(node, "include_parties_where_possible"),
        binding=r.flag(node, "binding"),
        source=r.source(node),
    )


def _read_notify(r: _Reader, node: LMap, default_when: NotifyWhen) -> Notify:
    r.keys(node, ("who", "when", "why", "source", "with_forms", "only_if"), "a notification")
    who = r.roles(node, "who")
    if not who:
        r.problem(node, None, 'a notification needs "who": the role to tell')
    return Notify(
        who=who[0] if who else "",
        when=r.choice(node, "when", NotifyWhen, default_when) or default_when,
        why=r.text(node, "why", "a notification"),
        with_forms=r.flag(node, "with_forms"),
        only_if=_read_condition(r, node, "only_if", "a notification"),
        source=r.source(node),
    )


def _read_condition(r: _Reader, node: LMap, key: str, what: str) -> Condition:
    """A condition on the raiser's answers: ``{question-id: answer, ...}``, every pair to
    hold. A yes-no answer written bare (``yes``) is read by YAML as true: it means "yes"."""
    value = node.get(key)
    if value is None:
        return ()
    if not isinstance(value, LMap) or not value:
        r.problem(
            node,
            key,
            f'"{key}" of {what} should name a question and the answer it needs, such as '
            "{subject: child} or {reviewing-officer: yes}",
        )
        return ()
    pairs: list[tuple[str, str]] = []
    for question, answer in value.items():
        if isinstance(answer, bool):
            answer = "yes" if answer else "no"
        if answer is None or isinstance(answer, LMap | LList):
            r.problem(
                value,
                question,
                f'the answer to "{question}" should be one answer: "yes" or "no", or the id '
                "of one of its options",
            )
            continue
        pairs.append((str(question), str(answer).strip()))
    return tuple(pairs)


def _read_next(r: _Reader, node: LMap, what: str) -> tuple[str | None, tuple[Branch, ...]]:
    """A stage's ``next``: a stage id; ``none`` for the top of a ladder; or a list of ways
    up, each ``{when: {question: answer}, stage: id}``, the last ``{stage: id}`` alone,
    where a case goes when no condition holds."""
    value = node.get("next")
    if not isinstance(value, LList):
        text = r.text(node, "next", what)
        return (None if text in ("", "none") else text), ()
    entries = r.items(node, "next", what)
    branches: list[Branch] = []
    for index, entry in enumerate(entries):
        r.keys(entry, ("when", "stage", "source"), "a way up")
        last = index == len(entries) - 1
        if last and "when" in entry:
            r.problem(
                entry,
                "when",
                f"the last way up from {what} is where a case goes when no condition holds: "
                'leave out its "when"',
            )
        elif not last and "when" not in entry:
            r.problem(
                entry,
                None,
                f'a way up from {what} needs "when" (only the last one, where a case goes '
                "otherwise, leaves it out)",
            )
        when = _read_condition(r, entry, "when", "a way up")
        branches.append(Branch(r.ident(entry, "stage", "a way up"), when, r.source(entry)))
    if len(branches) < 2:
        r.problem(
            node,
            "next",
            f'"next" of {what} lists the ways up: give at least one with "when", then the '
            "stage a case goes to otherwise; for one stage, write its id",
        )
    otherwise = branches[-1].stage if branches and not branches[-1].when else None
    return otherwise or None, tuple(branches)


def _read_stage(r: _Reader, node: LMap, number: int, track_id: str) -> Stage:
    r.keys(node, STAGE_KEYS, "a stage")
    place = f"stage {number}" if number else "the informal stage"
    stage_id = r.ident(node, "id", f"{place} of {track_id}")
    what = f'stage "{stage_id}"' if stage_id else "a stage"
    steps: list[Step] = []
    previous: str | None = None
    for step_node in r.items(node, "steps", what):
        step = _read_step(r, step_node, stage_id, previous)
        steps.append(step)
        previous = step.id
    triggers: set[EscalationTrigger] = set()
    raw_triggers = node.get("escalate_when")
    if raw_triggers is not None:
        values = raw_triggers if isinstance(raw_triggers, list) else [raw_triggers]
        options = [trigger.value for trigger in EscalationTrigger]
        for value in values:
            if value in options:
                triggers.add(EscalationTrigger(value))
            else:
                nearest = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
                hint = f' Did you mean "{nearest[0]}"?' if nearest else ""
                r.problem(
                    node,
                    "escalate_when",
                    f'"{value}" is not a reason to escalate Parley knows.{hint} '
                    f"Use: {', '.join(options)}",
                )
        r.explicit_triggers.add((node.file, node.line))
    else:
        triggers = set(EscalationTrigger)
    above, branches = _read_next(r, node, what)
    return Stage(
        id=stage_id,
        number=number,
        name=r.text(node, "name", what, required=True),
        description=r.text(node, "description", what),
        raising_side=r.roles(node, "raising_side"),
        other_side=r.roles(node, "other_side"),
        kept_informed=r.roles(node, "kept_informed"),
        partnership_side=r.roles(node, "partnership_side"),
        escalate_by=r.roles(node, "escalate_by"),
        steps=tuple(steps),
        within=_stage_within(r, node),
        cumulative=r.optional_duration(node, "cumulative"),
        informal=r.flag(node, "informal"),
        escalate_when=frozenset(triggers),
        next=above,
        branches=branches,
        notify=tuple(_read_notify(r, n, NotifyWhen.ENTRY) for n in r.items(node, "notify", what)),
        forms=r.ids(node, "forms", what, "[referral]"),
        resolution=tuple(_read_resolution(r, n) for n in r.items(node, "resolution", what)),
        advisory=r.flag(node, "advisory"),
        informs=r.text(node, "informs", what),
        may_shorten=_read_may_shorten(r, node, what),
        priorities=_read_priorities(r, node, what),
        meeting=_read_meeting(r, node, what),
        source=r.source(node),
        clock=_stage_clock(r, node, what),
    )


SHORTEN_SIDES = (Side.RAISING, Side.OTHER, Side.PARTNERSHIP)


def _read_may_shorten(r: _Reader, node: LMap, what: str) -> MayShorten | None:
    """``may_shorten: {by: [raising, other], source: ...}``: who may shorten the stage's
    limit for one case; ``by`` left out, whoever holds the stage on any side."""
    shorten = r.mapping(node, "may_shorten", what)
    if shorten is None:
        return None
    r.keys(shorten, ("by", "source"), "may_shorten")
    within = str(node.get("within") or "none").strip().lower()
    if within == "none" and "priorities" not in node:  # a priority has its own limit
        r.problem(
            node,
            "may_shorten",
            f'{what} has no time limit to shorten: give it a "within" or take out "may_shorten"',
        )
    raw = shorten.get("by", [side.value for side in SHORTEN_SIDES])
    values = raw if isinstance(raw, list) else [raw]
    sides: set[Side] = set()
    for value in values:
        if value in {side.value for side in SHORTEN_SIDES}:
            sides.add(Side(value))
        else:
            r.problem(
                shorten,
                "by",
                f'"{value}" is not a side: "by" of may_shorten lists the sides whose people '
                'may shorten the limit, from "raising", "other" and "partnership"',
            )
    return MayShorten(by=frozenset(sides), source=r.source(shorten))


def _stage_within(r: _Reader, node: LMap) -> Duration:
    """A stage's limit: its ``within``, or, left out, its default priority's."""
    if "within" in node or not isinstance(node.get("priorities"), list):
        return r.duration(node, "within")
    for item in node["priorities"]:
        if isinstance(item, dict) and item.get("default") is True and "within" in item:
            try:
                return parse_duration(item["within"])
            except DurationError:
                return NO_LIMIT  # said where the priority is read
    return NO_LIMIT


def _same(a: Duration, b: Duration) -> bool:
    return (a.unit, a.amount) == (b.unit, b.amount)


def _read_priorities(r: _Reader, node: LMap, what: str) -> tuple[Priority, ...]:
    """``priorities``: the priorities a case may be given at this stage, each with the time
    limit it sets; exactly one is the ``default``, whose limit is the stage's ``within``."""
    priorities = []
    for item in r.items(node, "priorities", what):
        r.keys(item, ("id", "label", "within", "default", "source"), "a priority")
        priorities.append(
            Priority(
                id=r.ident(item, "id", "a priority"),
                label=r.text(item, "label", "a priority", required=True),
                within=r.duration(item, "within"),
                default=r.flag(item, "default"),
                source=r.source(item),
            )
        )
    if not priorities:
        return ()
    defaults = [p for p in priorities if p.default]
    if len(defaults) != 1:
        r.problem(
            node,
            "priorities",
            f'{what}: mark exactly one priority "default: true", the one a case has until '
            "someone gives it another",
        )
    elif "within" in node and not _same(r.duration(node, "within"), defaults[0].within):
        r.problem(
            node,
            "within",
            f'{what}: "within" must be the default priority\'s limit '
            f'("{defaults[0].within}"), or be left out',
        )
    return tuple(priorities)


def _read_track(
    r: _Reader, node: LMap, track_id: str, name: str, stage_nodes: list[LMap], *, own: bool
) -> Track:
    """One ladder; ``own`` when ``node`` is a track of its own, not the whole procedure."""
    stages = []
    formal = 0
    for stage_node in stage_nodes:
        # Formal stages are numbered from 1, as the documents number them; an informal stage
        # before them is 0 (Bedfordshire's "Stage 1" follows its informal stage).
        informal = stage_node.get("informal") is True
        formal += 0 if informal else 1
        stages.append(_read_stage(r, stage_node, 0 if informal else formal, track_id))
    linked = []
    for index, stage in enumerate(stages):
        if stage.next is None and index + 1 < len(stages) and "next" not in stage_nodes[index]:
            stage = _replace(stage, next=stages[index + 1].id)
        linked.append(stage)
    linked = _numbered_by_route(linked)
    caps: list[Cap] = []
    limits = r.mapping(node, "limits", f'track "{track_id}"') if "limits" in node else None
    if limits is not None and own:
        r.keys(limits, ("caps", "source", "overall"), "a track's limits")
        if "overall" in limits:
            r.problem(
                limits,
                "overall",
                '"overall" cannot be given for one track: put it under "limits" at the top of '
                "the file, where it covers every track",
            )
    if limits is not None:
        for cap_node in r.items(limits, "caps", "limits"):
            r.keys(cap_node, ("id", "stages", "within", "advisory", "source"), "a cap")
            cap_stages = cap_node.get("stages")
            if not isinstance(cap_stages, list) or not all(isinstance(s, str) for s in cap_stages):
                r.problem(
                    cap_node,
                    "stages",
                    '"stages" of a cap should be a list of stage ids, such as [stage-1, stage-2], '
                    "or of steps, such as [stage-1.discuss, stage-1.reply]",
                )
                cap_stages = []
            caps.append(
                Cap(
                    id=r.ident(cap_node, "id", "a cap"),
                    stages=tuple(cap_stages),
                    within=r.duration(cap_node, "within"),
                    advisory=r.flag(cap_node, "advisory"),
                    source=r.source(cap_node),
                )
            )
    return Track(
        id=track_id,
        name=name,
        description=r.text(node, "description", f'track "{track_id}"') if own else "",
        stages=tuple(linked),
        caps=tuple(caps),
    )


def _replace(stage: Stage, **changes: Any) -> Stage:
    return dataclasses.replace(stage, **changes)


def _numbered_by_route(stages: list[Stage]) -> list[Stage]:
    """Where a stage's ``next`` chooses between stages, those stages are the same rung: a
    joint procedure's last stage goes to the children's or the adults' board chair, and
    either is its stage 4. So a ladder with such a choice numbers each formal stage by how
    many formal stages a case climbs to reach it (the fewest), not by where it is written."""
    if not any(stage.branches for stage in stages):
        return stages
    by_id = {stage.id: stage for stage in stages}
    numbers: dict[str, int] = {}
    queue = [(stages[0], 0)]
    while queue:
        stage, below = queue.pop(0)
        if stage.id in numbers:
            continue
        number = 0 if stage.informal else below + 1
        numbers[stage.id] = number
        queue.extend((by_id[s], number) for s in stage.next_stages if s in by_id)
    return [_replace(s, number=numbers[s.id]) if s.id in numbers else s for s in stages]


SIDE_ROUTE_KEYS = ("id", "name", "description", "may_start", "from", "stages", "source")
SIDE_STAGE_KEYS: tuple[str, ...] = ("id", "name", "description", "raising_side", "other_side")
SIDE_STAGE_KEYS += ("partnership_side", "within", "advisory", "source")


def _with_side_routes(r: _Reader, raw: LMap, procedure: Procedure) -> Procedure:
    """The procedure with its side routes, read after its ladder; their stages' ids are
    the procedure's own (a side route's deadlines are keyed by them)."""
    named = len(r._role_refs)
    routes = _read_side_routes(r, raw)
    r.check_roles(since=named)
    ladder = {stage.id for track in procedure.tracks for stage in track.stages}
    seen: set[str] = set()
    for route in routes:
        if route.id in seen:
            r.problems.append(
                Problem(
                    route.source.file, route.source.line, f'two side routes are called "{route.id}"'
                )
            )
        seen.add(route.id)
        for stage in route.stages:
            if stage.id in ladder or stage.id in seen:
                r.problems.append(
                    Problem(
                        stage.source.file,
                        stage.source.line,
                        f'stage "{stage.id}" of side route "{route.id}" has the id of another '
                        "stage: give it its own",
                    )
                )
            seen.add(stage.id)
    return dataclasses.replace(procedure, side_routes=routes)


def _read_side_routes(r: _Reader, raw: LMap) -> tuple[SideRoute, ...]:
    """The short routes out of the ladder a party can start from a case (``side_routes``):
    each with its own stages, one after another, each with a time limit."""
    routes: list[SideRoute] = []
    for node in r.items(raw, "side_routes", "the procedure"):
        r.keys(node, SIDE_ROUTE_KEYS, "a side route")
        route_id = r.ident(node, "id", "a side route")
        what = f'side route "{route_id}"'
        stages: list[Stage] = []
        for number, stage_node in enumerate(r.items(node, "stages", what), start=1):
            r.keys(stage_node, SIDE_STAGE_KEYS, "a stage of a side route")
            stage_id = r.ident(stage_node, "id", f"stage {number} of {what}")
            stage_what = f'stage "{stage_id}" of {what}'
            stage = Stage(
                id=stage_id,
                number=number,
                name=r.text(stage_node, "name", stage_what, required=True),
                description=r.text(stage_node, "description", stage_what),
                raising_side=r.roles(stage_node, "raising_side"),
                other_side=r.roles(stage_node, "other_side"),
                partnership_side=r.roles(stage_node, "partnership_side"),
                steps=(),
                within=r.duration(stage_node, "within"),
                advisory=r.flag(stage_node, "advisory"),
                source=r.source(stage_node),
            )
            if not stage.roles:
                r.problem(
                    stage_node,
                    None,
                    f'{stage_what} needs to say who acts: "partnership_side", "raising_side" '
                    'or "other_side"',
                )
            stages.append(stage)
        if not stages:
            r.problem(node, None, f'{what} needs "stages": at least one')
        linked = [
            _replace(s, next=stages[i + 1].id) if i + 1 < len(stages) else s
            for i, s in enumerate(stages)
        ]
        may_start = r.ids(node, "may_start", what, "[raising, other]")
        for value in may_start:
            if value not in SIDE_ROUTE_SIDES:
                r._role_refs.append(
                    (value, node.file_of("may_start"), node.key_lines.get("may_start", node.line))
                )
        if not may_start:
            r.problem(
                node,
                None,
                f'{what} needs "may_start": the roles, or the sides of the case (raising, '
                "other, partnership), who may start it",
            )
        routes.append(
            SideRoute(
                id=route_id,
                name=r.text(node, "name", what, required=True),
                description=r.text(node, "description", what),
                stages=tuple(linked),
                may_start=may_start,
                start_from=r.choice(node, "from", SideRouteFrom, SideRouteFrom.ANY_STAGE)
                or SideRouteFrom.ANY_STAGE,
                source=r.source(node),
            )
        )
    return tuple(routes)


def _read_calendar(r: _Reader, node: LMap | None) -> CalendarSpec:
    if node is None:
        return CalendarSpec()
    r.keys(
        node, ("region", "end_of_day", "closures", "timezone", "calendar_days_end"), "the calendar"
    )
    region = r.text(node, "region", "the calendar") or "england-and-wales"
    if region not in REGIONS:
        nearest = difflib.get_close_matches(region, REGIONS, n=1, cutoff=0.4)
        hint = f'did you mean "{nearest[0]}"? ' if nearest else ""
        r.problem(node, "region", f'"{region}" is not a region; {hint}use one of {REGIONS}')
        region = "england-and-wales"
    end_of_day = time(17, 0)
    raw_end = r.text(node, "end_of_day", "the calendar")
    if raw_end:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw_end)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            end_of_day = time(int(match[1]), int(match[2]))
        else:
            r.problem(node, "end_of_day", f'"{raw_end}" is not a time of day such as "17:00"')
    closures: list[tuple[date, str]] = []
    seen: dict[date, int] = {}
    for closure in r.items(node, "closures", "the calendar"):
        r.keys(closure, ("date", "name"), "a closure day")
        day = closure.get("date")
        if not isinstance(day, date):
            r.problem(closure, "date", "a closure day needs a date written as YYYY-MM-DD")
            continue
        line = closure.key_lines.get("date", closure.line)
        if day in seen:
            r.problem(
                closure,
                "date",
                f"the closure day {day.isoformat()} is given twice (lines {seen[day]} and "
                f"{line}): give each day once",
            )
            continue
        seen[day] = line
        closures.append((day, r.text(closure, "name", "a closure day") or "Closure day"))
    return CalendarSpec(
        region=region,
        end_of_day=end_of_day,
        closures=tuple(closures),
        timezone=r.text(node, "timezone", "the calendar") or "Europe/London",
        calendar_days_end=_read_calendar_days_end(r, node),
    )


CALENDAR_DAYS_ENDS = ("next-working-day", "as-counted")


def _read_calendar_days_end(r: _Reader, node: LMap) -> str:
    """Where a limit in calendar days ends when its last day is not a working day."""
    value = r.text(node, "calendar_days_end", "the calendar")
    if value and value not in CALENDAR_DAYS_ENDS:
        r.problem(
            node,
            "calendar_days_end",
            f'"{value}" is not a way for calendar days to end: use "next-working-day" (a '
            "limit that ends on a weekend or bank holiday moves to the next working day) or "
            '"as-counted" (it ends on the day counted, whatever day that is)',
        )
        return ""
    return value


def _read_procedure(r: _Reader, raw: LMap, file: str) -> Procedure | None:
    r.keys(raw, TOP_KEYS, "a procedure")
    _switch_off_choices(raw)
    fmt = raw.get("parley")
    if fmt != FORMAT_VERSION:
        key = "parley" if "parley" in raw else None
        r.problem(raw, key, f'start the file with "parley: {FORMAT_VERSION}" (the format version)')
    role_specs = _read_roles(r, raw)

    scope = _read_scope(r, raw)
    tracks = _read_tracks(r, raw)
    overall, advisory = _read_limits(r, raw)
    immediate = _read_immediate(r, raw)
    bypass = _read_bypass(r, raw)
    on_behalf = _read_on_behalf(r, raw)
    outcome = _read_outcome(r, raw)
    forms = _read_forms(r, raw)
    reporting = _read_reporting(r, raw)
    signposts = _read_signposts(r, raw)
    contacts = _read_contacts(r, raw)
    categories = _read_categories(r, raw)
    notify = tuple(
        _read_notify(r, n, NotifyWhen.RAISED) for n in r.items(raw, "notify", "the procedure")
    )
    version = _read_version(r, raw)
    r.check_roles()
    procedure = Procedure(
        id=r.ident(raw, "id", "the procedure"),
        name=r.text(raw, "name", "the procedure", required=True),
        version=version,
        partnership=r.text(raw, "partnership", "the procedure", required=True),
        document=r.text(raw, "document", "the procedure"),
        summary=r.text(raw, "summary", "the procedure"),
        scope=scope,
        tracks=tracks,
        categories=categories,
        roles={k: v for k, v in r.known_roles.items() if k not in STANDARD_ROLES},
        role_specs=role_specs,
        calendar=_read_calendar(r, r.mapping(raw, "calendar", "the procedure")),
        contacts=contacts,
        signposting=signposts,
        immediate_risk=immediate,
        bypass=bypass,
        on_behalf=on_behalf,
        outcome=outcome,
        forms=forms,
        reporting=reporting,
        notify=notify,
        overall=overall,
        advisory=advisory,
        retention_years=r.number(raw, "retention_years", 7, minimum=1),
        source_file=file,
    )
    procedure = _with_questions(r, raw, procedure)
    procedure = _with_participants(r, raw, _read_single_agency(r, raw, procedure))
    procedure = _with_partnership_sides(procedure)
    _check_consistency(r, procedure, raw)
    return _with_side_routes(r, raw, procedure)


def _read_scope(r: _Reader, raw: LMap) -> frozenset[Scope]:
    scope_values = raw.get("scope") or []
    scope: set[Scope] = set()
    for value in scope_values if isinstance(scope_values, list) else [scope_values]:
        try:
            scope.add(Scope(value))
        except ValueError:
            options = ", ".join(s.value for s in Scope)
            r.problem(raw, "scope", f'"{value}" is not a scope; use one or more of: {options}')
    if not scope:
        r.problem(raw, None, 'the procedure needs a "scope": children, adults or channel')
    return frozenset(scope)


def _read_tracks(r: _Reader, raw: LMap) -> tuple[Track, ...]:
    tracks: list[Track] = []
    if "stages" in raw and "tracks" in raw:
        r.problem(raw, "tracks", 'give either "stages" or "tracks", not both')
    if "tracks" in raw:
        for track_node in r.items(raw, "tracks", "the procedure"):
            r.keys(track_node, ("id", "name", "description", "stages", "limits"), "a track")
            track_id = r.ident(track_node, "id", "a track")
            stage_nodes = r.items(track_node, "stages", track_id)
            if not stage_nodes:
                r.problem(track_node, None, f'track "{track_id}" needs at least one stage')
            name = r.text(track_node, "name", "a track", required=True)
            tracks.append(_read_track(r, track_node, track_id, name, stage_nodes, own=True))
    else:
        stage_nodes = r.items(raw, "stages", "the procedure")
        if not stage_nodes:
            r.problem(raw, None, 'the procedure needs "stages": at least one')
        tracks.append(_read_track(r, raw, DEFAULT_TRACK, "Escalation", stage_nodes, own=False))
    return tuple(tracks)


def _read_limits(r: _Reader, raw: LMap) -> tuple[Duration, bool]:
    limits = r.mapping(raw, "limits", "the procedure")
    overall, advisory = NO_LIMIT, False
    if limits is not None:
        r.keys(limits, ("overall", "advisory", "caps", "source"), "the limits")
        if "tracks" in raw and "caps" in limits:
            r.problem(
                limits,
                "caps",
                'with "tracks", a cap goes under its own track\'s "limits", not under "limits" '
                "at the top of the file",
            )
        overall = r.duration(limits, "overall")
        advisory = r.flag(limits, "advisory")
    return overall, advisory


def _read_immediate(r: _Reader, raw: LMap) -> ImmediateRisk | None:
    immediate: ImmediateRisk | None = None
    immediate_node = r.mapping(raw, "immediate_risk", "the procedure")
    if immediate_node is not None:
        r.keys(
            immediate_node,
            ("within", "start", "allowed_starts", "notify", "guidance", "source"),
            "the immediate-risk route",
        )
        immediate = ImmediateRisk(
            within=r.duration(immediate_node, "within", parse_duration("same working day")),
            start=r.text(immediate_node, "start", "the immediate-risk route", required=True),
            allowed_starts=r.ids(
                immediate_node, "allowed_starts", "the immediate-risk route", "[stage-2, stage-3]"
            ),
            notify=r.roles(immediate_node, "notify"),
            guidance=r.text(immediate_node, "guidance", "the immediate-risk route"),
            source=r.source(immediate_node),
        )
        if immediate_node.get("allowed_starts") == []:
            # Read as "every stage" it would be the opposite of what is written.
            r.problem(
                immediate_node,
                "allowed_starts",
                '"allowed_starts" is empty, so no stage could be chosen: list the stages the '
                "person raising it may choose from, or leave it out to allow every stage",
            )
    return immediate


def _read_bypass(r: _Reader, raw: LMap) -> Bypass:
    bypass = Bypass()
    bypass_node = r.mapping(raw, "bypass", "the procedure")
    if bypass_node is not None:
        r.keys(
            bypass_node,
            ("allowed", "reason_required", "by", "from_stages", "to_stages", "source"),
            "bypass",
        )
        bypass = Bypass(
            allowed=r.flag(bypass_node, "allowed"),
            reason_required=r.flag(bypass_node, "reason_required", True),
            by=r.roles(bypass_node, "by"),
            from_stages=r.ids(bypass_node, "from_stages", "bypass", "[stage-3]"),
            to_stages=r.ids(bypass_node, "to_stages", "bypass", "[stage-5]"),
            source=r.source(bypass_node),
        )
    return bypass


def _read_on_behalf(r: _Reader, raw: LMap) -> OnBehalf:
    on_behalf = OnBehalf()
    behalf_node = r.mapping(raw, "raise_on_behalf", "the procedure")
    if behalf_node is not None:
        r.keys(behalf_node, ("allowed", "by", "source"), "raising on another's behalf")
        on_behalf = OnBehalf(
            allowed=r.flag(behalf_node, "allowed"),
            by=r.roles(behalf_node, "by"),
            source=r.source(behalf_node),
        )
    return on_behalf


def _read_outcome(r: _Reader, raw: LMap) -> Outcome:
    outcome = Outcome()
    outcome_node = r.mapping(raw, "outcome", "the procedure")
    if outcome_node is not None:
        r.keys(
            outcome_node,
            _names(
                "written_confirmation outstanding_issues feedback_to_raiser feedback_by debrief "
                "learning_to records_kept_by source"
            ),
            "the outcome",
        )
        outcome = Outcome(
            written_confirmation=r.flag(outcome_node, "written_confirmation", True),
            outstanding_issues=r.flag(outcome_node, "outstanding_issues", True),
            feedback_to_raiser=None
            if outcome_node.get("feedback_to_raiser") == "none"
            else r.choice(outcome_node, "feedback_to_raiser", NotifyWhen, NotifyWhen.EVERY_STAGE)
            or NotifyWhen.EVERY_STAGE,
            feedback_by=r.text(outcome_node, "feedback_by", "the outcome") or Outcome.feedback_by,
            debrief=r.choice(outcome_node, "debrief", Debrief, Debrief.OPTIONAL)
            or Debrief.OPTIONAL,
            learning_to=r.text(outcome_node, "learning_to", "the outcome"),
            records_kept_by=r.text(outcome_node, "records_kept_by", "the outcome"),
            source=r.source(outcome_node),
        )
    return outcome


def _read_forms(r: _Reader, raw: LMap) -> tuple[Form, ...]:
    forms = []
    for form_node in r.items(raw, "forms", "the procedure"):
        r.keys(
            form_node,
            (
                "id",
                "name",
                "template",
                "from_stage",
                "within",
                "send_to",
                "addressee",
                "when",
                "source",
            ),
            "a form",
        )
        template = r.text(form_node, "template", "a form", required=True)
        if template and template not in FORM_TEMPLATES:
            nearest = difflib.get_close_matches(template, FORM_TEMPLATES, n=1, cutoff=0.5)
            hint = f'did you mean "{nearest[0]}"? ' if nearest else ""
            words = f'"{template}" is not a form Parley can fill in; {hint}use one of: '
            r.problem(form_node, "template", words + ", ".join(FORM_TEMPLATES))
        when = r.text(form_node, "when", "a form") or "entry"
        if when not in ("entry", "resolved-at"):
            r.problem(form_node, "when", f'"{when}" should be "entry" or "resolved-at"')
        forms.append(
            Form(
                id=r.ident(form_node, "id", "a form"),
                name=r.text(form_node, "name", "a form", required=True),
                template=template,
                from_stage=r.text(form_node, "from_stage", "a form"),
                within=r.duration(form_node, "within"),
                send_to=r.roles(form_node, "send_to"),
                addressee=r.text(form_node, "addressee", "a form"),
                when=when,
                source=r.source(form_node),
            )
        )
    return tuple(forms)


def _read_reporting(r: _Reader, raw: LMap) -> tuple[Reporting, ...]:
    reporting = []
    for report_node in r.items(raw, "reporting", "the procedure"):
        r.keys(report_node, ("cadence", "to", "by", "includes", "source"), "a report")
        cadence = r.choice(report_node, "cadence", Cadence, Cadence.ANNUAL)
        reporting.append(
            Reporting(
                cadence=cadence or Cadence.ANNUAL,
                to=r.text(report_node, "to", "a report", required=True),
                by=r.text(report_node, "by", "a report"),
                includes=r.text(report_node, "includes", "a report"),
                source=r.source(report_node),
            )
        )
    return tuple(reporting)


def _read_signposts(r: _Reader, raw: LMap) -> tuple[Signpost, ...]:
    signposts = []
    for sign_node in r.items(raw, "signposting", "the procedure"):
        r.keys(sign_node, ("kind", "advice", "contact", "source"), "a signpost")
        kind = r.choice(sign_node, "kind", SignpostKind)
        signposts.append(
            Signpost(
                kind=kind or SignpostKind.SYSTEM_ISSUE,
                advice=r.text(sign_node, "advice", "a signpost", required=True),
                contact=r.text(sign_node, "contact", "a signpost"),
                source=r.source(sign_node),
            )
        )
    return tuple(signposts)


def _read_contacts(r: _Reader, raw: LMap) -> tuple[Contact, ...]:
    contacts = []
    for contact_node in r.items(raw, "contacts", "the procedure"):
        r.keys(
            contact_node,
            ("name", "role", "agency", "phone", "email", "address", "purpose"),
            "a contact",
        )
        contacts.append(
            Contact(
                name=r.text(contact_node, "name", "a contact", required=True),
                role=r.text(contact_node, "role", "a contact"),
                agency=r.text(contact_node, "agency", "a contact"),
                phone=r.text(contact_node, "phone", "a contact"),
                email=r.text(contact_node, "email", "a contact"),
                purpose=r.text(contact_node, "purpose", "a contact"),
                address=r.text(contact_node, "address", "a contact"),
            )
        )
    return tuple(contacts)


def _read_categories(r: _Reader, raw: LMap) -> tuple[Category, ...]:
    categories = []
    for category_node in r.items(raw, "categories", "the procedure"):
        r.keys(category_node, ("id", "label", "source"), "a category")
        categories.append(
            Category(
                id=r.ident(category_node, "id", "a category"),
                label=r.text(category_node, "label", "a category", required=True),
                source=r.source(category_node),
            )
        )
    return tuple(categories)


def _read_version(r: _Reader, raw: LMap) -> str:
    version = raw.get("version")
    if version is None or version == "":
        r.problem(raw, None, 'the procedure needs a "version", such as "2024-1"')
    elif not isinstance(version, str):
        # YAML reads version: 1.10 as the number 1.1, and 2026-01-01 as a date.
        r.problem(
            raw,
            "version",
            'write the version in quotes, such as version: "2026-1", so that it is read '
            "exactly as written",
        )
    return str(version or "")


QUESTION_KEYS = ("id", "text", "kind", "options", "hint", "required", "names", "source")


def _with_questions(r: _Reader, raw: LMap, procedure: Procedure) -> Procedure:
    return dataclasses.replace(procedure, questions=_read_questions(r, raw))


def _read_questions(r: _Reader, raw: LMap) -> tuple[Question, ...]:
    """The questions the person raising a disagreement answers (``questions``)."""
    questions: list[Question] = []
    for node in r.items(raw, "questions", "the procedure"):
        r.keys(node, QUESTION_KEYS, "a question")
        question_id = r.ident(node, "id", "a question")
        kind = r.choice(node, "kind", QuestionKind) or QuestionKind.YES_NO
        options: list[Option] = []
        for option in r.items(node, "options", f'question "{question_id}"'):
            r.keys(option, ("id", "label"), "an option")
            options.append(
                Option(
                    id=r.ident(option, "id", "an option"),
                    label=r.text(option, "label", "an option", required=True),
                )
            )
        if kind is QuestionKind.CHOICE and len(options) < 2:
            r.problem(
                node, None, f'question "{question_id}" is a choice: give at least 2 "options"'
            )
        if kind is not QuestionKind.CHOICE and "options" in node:
            r.problem(
                node, "options", f'only a choice question has "options", not a {kind.value} one'
            )
        if question_id in {q.id for q in questions}:
            r.problem(node, "id", f'two questions are called "{question_id}"')
        questions.append(
            Question(
                id=question_id,
                text=r.text(node, "text", "a question", required=True),
                kind=kind,
                options=tuple(options),
                hint=r.text(node, "hint", "a question"),
                required=r.flag(node, "required"),
                names=r.text(node, "names", "a question"),
                source=r.source(node),
            )
        )
    return tuple(questions)


def _read_single_agency(r: _Reader, raw: LMap, procedure: Procedure) -> Procedure:
    """``single_agency: true``: a challenge inside one agency (the format's section "A
    challenge inside one agency")."""
    return dataclasses.replace(procedure, single_agency=r.flag(raw, "single_agency"))


ROLE_KEYS = ("id", "label", "sight", "held", "may_act", "source")

# The participants a procedure may name: only the person the disagreement is about.
PARTICIPANTS = {"subject": "the person the disagreement is about, or their representative"}
PARTICIPANT_KEYS = ("label", "told", "views", "source", "choice")
TOLD_WHEN = (NotifyWhen.RAISED, NotifyWhen.ENTRY, NotifyWhen.OUTCOME)


def _with_participants(r: _Reader, raw: LMap, procedure: Procedure) -> Procedure:
    """The procedure with those beyond the two sides: its participants and advisers."""
    return dataclasses.replace(
        procedure, participants=_read_participants(r, raw), advisers=r.advisers
    )


def _read_participants(r: _Reader, raw: LMap) -> tuple[Participant, ...]:
    """``participants``: people the disagreement is about, who are not users of Parley but
    are told of it and whose views are recorded (the child or their representative)."""
    node = r.mapping(raw, "participants", "the procedure")
    if node is None:
        return ()
    found: list[Participant] = []
    for key, value in node.items():
        if key not in PARTICIPANTS:
            r.problem(node, key, f'"{key}" is not a participant Parley knows; use "subject"')
            continue
        if not isinstance(value, LMap):
            r.problem(node, key, f'"{key}" should be a set of named settings, such as "label"')
            continue
        r.keys(value, PARTICIPANT_KEYS, f'the participant "{key}"')
        told: list[NotifyWhen] = []
        options = ", ".join(w.value for w in TOLD_WHEN)
        for when in r.ids(value, "told", f'the participant "{key}"', "[raised, outcome]"):
            if when in {w.value for w in TOLD_WHEN}:
                told.append(NotifyWhen(when))
            else:
                r.problem(value, "told", f'"{when}" is not when someone is told; use: {options}')
        found.append(
            Participant(
                id=key,
                label=r.text(value, "label", f'the participant "{key}"') or PARTICIPANTS[key],
                told=tuple(told),
                views=r.flag(value, "views"),
                source=r.source(value),
            )
        )
    return tuple(found)


def _read_advisers(r: _Reader, raw: LMap, role_specs: dict[str, Role]) -> tuple[Adviser, ...]:
    """``advisers``: roles that may be consulted at any stage without being a stage. Each
    extends the roles table as a partnership-wide role that sees only the cases it was
    asked about (adding to ``role_specs``), unless the procedure declares it itself."""
    found: list[Adviser] = []
    for node in r.items(raw, "advisers", "the procedure"):
        r.keys(node, ("role", "label", "source", "choice"), "an adviser")
        role = r.ident(node, "role", "an adviser")
        if not role:
            continue
        if role in STANDARD_ROLES:
            r.problem(
                node, "role", f'"{role}" acts at stages already: an adviser needs a role of its own'
            )
            continue
        if any(a.role == role for a in found):
            r.problem(node, "role", f'the adviser "{role}" is listed twice')
            continue
        declared = role_specs.get(role)
        label = r.text(node, "label", "an adviser") or (
            declared.label if declared else role.replace("-", " ").capitalize()
        )
        if role not in role_specs:
            r.known_roles[role] = label
            role_specs[role] = Role(
                id=role,
                label=label,
                sight=Sight.NONE,
                held=Held.PARTNERSHIP,
                source=r.text(node, "source", "an adviser"),
            )
        found.append(Adviser(role=role, label=label, source=r.source(node)))
    return tuple(found)


def _read_meeting(r: _Reader, node: LMap, what: str) -> NetworkMeeting | None:
    """A stage's ``meeting``: the stage is a meeting of every agency involved."""
    meeting = r.mapping(node, "meeting", what)
    if meeting is None:
        return None
    r.keys(meeting, ("of", "source", "choice"), "a meeting")
    of = r.text(meeting, "of", "a meeting") or EVERY_AGENCY_INVOLVED
    if of != EVERY_AGENCY_INVOLVED:
        r.problem(meeting, "of", f'a meeting is "of: {EVERY_AGENCY_INVOLVED}"; "{of}" is not')
    return NetworkMeeting(of=EVERY_AGENCY_INVOLVED, source=r.source(meeting))


def _read_roles(r: _Reader, raw: LMap) -> dict[str, Role]:
    """The procedure's own roles, as rows of the roles table (parley.core.roles)."""
    specs: dict[str, Role] = {}
    for role_node in r.items(raw, "roles", "the procedure"):
        r.keys(role_node, ROLE_KEYS, "a role")
        role_id = r.ident(role_node, "id", "a role")
        if not role_id:
            continue
        if role_id in STANDARD_ROLES:
            r.problem(
                role_node,
                "id",
                f'"{role_id}" is one of the roles Parley knows already: use it without '
                "declaring it, or give this partnership's own role another id",
            )
            continue
        label = r.text(role_node, "label", "a role") or role_id
        r.known_roles[role_id] = label
        specs[role_id] = Role(
            id=role_id,
            label=label,
            sight=r.choice(role_node, "sight", Sight, DEFAULT_OWN_SIGHT) or DEFAULT_OWN_SIGHT,
            held=r.choice(role_node, "held", Held, Held.EITHER) or Held.EITHER,
            may_act=r.flag(role_node, "may_act", True),
            source=r.text(role_node, "source", "a role"),
        )
    r.advisers = _read_advisers(r, raw, specs)
    return specs


def _with_partnership_sides(procedure: Procedure) -> Procedure:
    """Each stage's partnership side, where the file does not give it: the roles held
    partnership-wide that chair the stage's ways of resolving or that it names on a side
    (Bedfordshire's Channel Chair discusses the response at stage 1)."""
    table = role_table(procedure)

    def held(role: str, *ways: Held) -> bool:
        spec = table.get(role)
        return spec is not None and spec.may_act and spec.held in ways

    tracks = []
    for track in procedure.tracks:
        stages = []
        for stage in track.stages:
            if not stage.partnership_side:
                chairs = [m.chaired_by for m in stage.resolution if m.chaired_by]
                wide = tuple(
                    dict.fromkeys(
                        [
                            *(r for r in chairs if held(r, Held.PARTNERSHIP, Held.EITHER)),
                            *(r for r in stage.raising_side if held(r, Held.PARTNERSHIP)),
                            *(r for r in stage.other_side if held(r, Held.PARTNERSHIP)),
                        ]
                    )
                )
                stage = _replace(stage, partnership_side=wide)
            stages.append(stage)
        tracks.append(dataclasses.replace(track, stages=tuple(stages)))
    return dataclasses.replace(procedure, tracks=tuple(tracks))


# --- consistency ------------------------------------------------------------------------


def _check_consistency(r: _Reader, procedure: Procedure, raw: LMap) -> None:
    all_stage_ids: set[str] = set()
    for track in procedure.tracks:
        _check_track(r, procedure, track)
        _check_clocks(r, procedure, track)
        all_stage_ids.update(stage.id for stage in track.stages)
    _check_single_agency(r, procedure, raw)
    track_ids = [track.id for track in procedure.tracks]
    for track_id in {t for t in track_ids if track_ids.count(t) > 1}:
        r.problem(raw, "tracks", f'two tracks are called "{track_id}"')

    rule = procedure.bypass
    for stage_id in (*rule.from_stages, *rule.to_stages):
        if stage_id not in all_stage_ids:
            r.problems.append(
                Problem(
                    rule.source.file,
                    rule.source.line,
                    f'bypass names "{stage_id}", which is not a stage'
                    + _suggest(stage_id, all_stage_ids),
                )
            )
    risk = procedure.immediate_risk
    if risk is not None:
        starts = [risk.start] if risk.start != "choose" else []
        for start in (*starts, *risk.allowed_starts):
            if start not in all_stage_ids:
                r.problems.append(
                    Problem(
                        risk.source.file,
                        risk.source.line,
                        f'the immediate-risk route starts at "{start}", which is not a stage'
                        + _suggest(start, all_stage_ids),
                    )
                )
    for form in procedure.forms:
        if form.from_stage and form.from_stage not in all_stage_ids:
            r.problems.append(
                Problem(
                    form.source.file,
                    form.source.line,
                    f'form "{form.id}" is used from "{form.from_stage}", which is not a stage'
                    + _suggest(form.from_stage, all_stage_ids),
                )
            )
    form_ids = {form.id for form in procedure.forms}
    for track in procedure.tracks:
        for stage in track.stages:
            for form_id in (*stage.forms, *(step.form for step in stage.steps if step.form)):
                if form_id not in form_ids:
                    r.problems.append(
                        Problem(
                            stage.source.file,
                            stage.source.line,
                            f'stage "{stage.id}" uses form "{form_id}", which is not listed '
                            'under "forms"' + _suggest(form_id, form_ids),
                        )
                    )
    _check_ways_up(r, procedure, raw)
    _check_conditions(r, procedure)
    if procedure.overall.is_limited:
        for track in procedure.tracks:
            total = sum(_stage_days(stage) for stage in track.formal_stages())
            if procedure.overall.working_day_equivalent() < total and not procedure.advisory:
                r.warn(
                    raw.file_of("limits"),
                    raw.key_lines.get("limits", 0),
                    f"the overall limit of {procedure.overall.describe()} is shorter than the "
                    f"{total} working days the stages of {track.name} allow between them; "
                    "cases that use every stage in full will run over it",
                )


def _check_ways_up(r: _Reader, procedure: Procedure, raw: LMap) -> None:
    """Every way up the ladder the file gives can be taken, and every stage below the top
    has one: the escalation triggers, the bypass and the immediate-risk route."""
    risk = procedure.immediate_risk
    for track in procedure.tracks:
        for stage in track.stages:
            where = (stage.source.file, stage.source.line)
            if stage.next is not None and not stage.escalate_when:
                r.problems.append(
                    Problem(
                        *where,
                        f'stage "{stage.id}" goes next to "{stage.next}", but "escalate_when" '
                        "is empty, so no case could ever leave it: give at least one of "
                        + ", ".join(t.value for t in EscalationTrigger)
                        + ", or leave it out to allow them all",
                    )
                )
            if (
                EscalationTrigger.DEADLINE_PASSED in stage.escalate_when
                and where in r.explicit_triggers
                and not _can_be_overdue(procedure, track, stage)
            ):
                r.problems.append(
                    Problem(
                        *where,
                        f'stage "{stage.id}" escalates when "deadline-passed", but nothing at '
                        "that stage has a binding time limit, so no deadline can ever pass: "
                        'give the stage or one of its steps a "within", or take '
                        "deadline-passed out",
                    )
                )
    rule, bypass_node = procedure.bypass, raw.get("bypass")
    if rule.allowed and isinstance(bypass_node, LMap):
        for target in rule.to_stages:
            _check_bypass_target(r, procedure, bypass_node, target)
    risk_node = raw.get("immediate_risk")
    if risk is not None and isinstance(risk_node, LMap) and len(procedure.tracks) > 1:
        first = procedure.tracks[0]
        starts = [("start", risk.start)] if not risk.raiser_chooses else []
        starts += [("allowed_starts", s) for s in risk.allowed_starts]
        for key, start in starts:
            other = next((t for t in procedure.tracks[1:] if t.has_stage(start)), None)
            if first.has_stage(start) or other is None:
                continue  # on the first track, or not a stage at all (refused elsewhere)
            r.problem(
                risk_node,
                key,
                f"the immediate-risk route {'starts' if key == 'start' else 'may start'} at "
                f'"{start}", which is a stage of "{other.id}", not of the first track, '
                f'"{first.id}": a case at immediate risk is raised on the first track, so '
                "the route must start on it",
            )


def _check_conditions(r: _Reader, procedure: Procedure) -> None:
    """Every condition on the raiser's answers (a way up's ``when``, a notification's
    ``only_if``) asks one of the procedure's questions, for an answer it can have."""
    stages = [s for t in procedure.tracks for s in t.stages]
    stages += [s for route in procedure.side_routes for s in route.stages]
    found = [(b.when, b.source) for s in stages for b in s.branches]
    found += [(n.only_if, n.source) for s in stages for n in s.notify]
    found += [(n.only_if, n.source) for n in procedure.notify]
    questions = {q.id: q for q in procedure.questions}
    for condition, source in found:
        for question_id, answer in condition:
            question = questions.get(question_id)
            if question is None:
                message = (
                    f'the condition asks about "{question_id}", which is not one of the '
                    'procedure\'s "questions"' + _suggest(question_id, questions)
                )
            elif question.kind is QuestionKind.DATE:
                message = (
                    f'the condition asks about "{question_id}", a date: only a yes-no or a '
                    "choice question can choose a route or a notification"
                )
            elif question.kind is QuestionKind.YES_NO and answer not in ("yes", "no"):
                message = f'the answer to "{question_id}" is "yes" or "no", not "{answer}"'
            elif question.kind is QuestionKind.CHOICE and answer not in {
                o.id for o in question.options
            }:
                options = ", ".join(o.id for o in question.options)
                message = (
                    f'"{answer}" is not an answer to "{question_id}": its options are '
                    f"{options}" + _suggest(answer, [o.id for o in question.options])
                )
            else:
                continue
            r.problems.append(Problem(source.file, source.line, message))


def _can_be_overdue(procedure: Procedure, track: Track, stage: Stage) -> bool:
    """Whether a binding deadline can ever fall due while a case is at ``stage``."""
    binding = not (stage.advisory or procedure.advisory)
    if binding and stage.within.is_limited:
        return True
    if any(s.within.is_limited and not s.advisory for s in stage.steps) and binding:
        return True
    if procedure.overall.is_limited and not procedure.advisory and not stage.informal:
        return True
    if any(stage.id in cap.stages and not cap.advisory for cap in track.caps):
        return True
    risk = procedure.immediate_risk
    # The immediate-risk route gives the stage it starts at a limit of its own.
    return risk is not None and (risk.raiser_chooses or risk.start == stage.id) and binding


def _ladder_ids(track: Track, stage: Stage) -> list[str]:
    """The stages up from ``stage``, stopping at a loop or a missing stage (both refused
    elsewhere) rather than going round for ever."""
    ids: list[str] = []
    current: str | None = stage.id
    while current is not None and current not in ids and track.has_stage(current):
        ids.append(current)
        current = track.stage(current).next
    return ids


def _check_bypass_target(r: _Reader, procedure: Procedure, node: LMap, target: str) -> None:
    """A bypass must go past the next stage from at least one stage it may start from."""
    rule = procedure.bypass
    for track in procedure.tracks:
        if not track.has_stage(target):
            continue
        starts = [s for s in track.stages if not rule.from_stages or s.id in rule.from_stages]
        if any(target in _ladder_ids(track, start)[2:] for start in starts):
            return
        just_next = [s.id for s in starts if s.next == target]
        why = f' ("{target}" is the very next stage after "{just_next[0]}")' if just_next else ""
        r.problem(
            node,
            "to_stages",
            f'bypass goes to "{target}", but no stage it may start from is two or more stages '
            f"below it{why}: bypassing means going past the next stage; people reach the "
            "next stage by escalating",
        )
        return


def _suggest(value: str, options: Iterable[str]) -> str:
    nearest = difflib.get_close_matches(value, list(options), n=1, cutoff=0.5)
    return f'; did you mean "{nearest[0]}"?' if nearest else ""


def _step_ends(stage: Stage) -> list[int]:
    """When each step can end, in working days from the start of its stage.

    A step ends its limit after the end of the step it runs from: the step before it, the
    stage's start, or the step named by ``after``. So a step that runs from an earlier step
    runs alongside the ones between, and does not add to them (the planner dates steps
    the same way).
    """
    ends: list[int] = []
    end_of: dict[str, int] = {}
    for step in stage.steps:
        if step.anchor is StepAnchor.STAGE_START:
            start = 0
        elif step.anchor is StepAnchor.EVENT:
            start = end_of.get(step.anchor_event, 0)
        else:
            start = ends[-1] if ends else 0
        ends.append(start + step.within.working_day_equivalent())
        end_of.setdefault(step.id, ends[-1])
    return ends


def _is_member(track: Track, member: str) -> bool:
    """Whether a cap's member is a stage of the track, or ``<stage>.<step>`` one of its steps."""
    stage_id, _, step_id = member.partition(".")
    if not track.has_stage(stage_id):
        return False
    return not step_id or any(step.id == step_id for step in track.stage(stage_id).steps)


def _all_limited(track: Track, cap: Cap) -> bool:
    """Whether every part of a cap is whole stages with a limit of their own or on every
    step: a stage with no limit allows unlimited time, so a cap over it always applies, and
    a cap over steps is not compared with its stages."""
    if any("." in member for member in cap.stages):
        return False
    return all(
        (stage := track.stage(member)).within.is_limited
        or (bool(stage.steps) and all(step.within.is_limited for step in stage.steps))
        for member in cap.stages
    )


def _check_clocks(r: _Reader, procedure: Procedure, track: Track) -> None:
    """Every ``after`` that names a clock names a date question, a step or a cap that is
    there."""
    caps = {cap.id for cap in track.caps}
    for stage in track.stages:
        owners = [(stage.clock, stage.source, f'stage "{stage.id}"')]
        owners += [(step.clock, step.source, f'step "{step.id}"') for step in stage.steps]
        for clock, source, who in owners:
            if clock is None:
                continue
            problem = ""
            if clock.kind is ClockKind.ANSWER:
                question = next((q for q in procedure.questions if q.id == clock.ref), None)
                if question is None:
                    problem = f'"{clock.ref}" is not one of the file\'s questions'
                elif question.kind is not QuestionKind.DATE:
                    problem = f'question "{clock.ref}" is not a date question'
            elif clock.kind is ClockKind.CAP and clock.ref not in caps:
                problem = f'"{clock.ref}" is not a cap of this track' + _suggest(clock.ref, caps)
            elif clock.kind is ClockKind.STEP and not _is_member(track, clock.ref):
                problem = f'"{clock.ref}" is not a step of this track, written <stage id>.<step id>'
            if problem:
                r.problems.append(
                    Problem(source.file, source.line, f"{who} runs from {clock}: {problem}")
                )


def _stage_days(stage: Stage) -> int:
    """How many working days a stage takes when it runs to its limits."""
    if stage.within.is_limited:
        return stage.within.working_day_equivalent()
    return max(_step_ends(stage), default=0)


def _check_track(r: _Reader, procedure: Procedure, track: Track) -> None:
    ids = [stage.id for stage in track.stages]
    reported: set[str] = set()
    for stage in track.stages:
        if ids.count(stage.id) > 1 and stage.id not in reported:
            reported.add(stage.id)
            r.problems.append(
                Problem(
                    stage.source.file,
                    stage.source.line,
                    f'two stages of "{track.id}" are called "{stage.id}"',
                )
            )
    known = set(ids)
    for stage in track.stages:
        file, line = stage.source.file, stage.source.line
        ways: list[tuple[str | None, str, int]] = [
            (b.stage, b.source.file, b.source.line) for b in stage.branches
        ]
        for above, at_file, at_line in ways or [(stage.next, file, line)]:
            if above is not None and above not in known:
                r.problems.append(
                    Problem(
                        at_file,
                        at_line,
                        f'stage "{stage.id}" goes next to "{above}", which is not a stage of '
                        f"this {'track' if len(procedure.tracks) > 1 else 'procedure'}"
                        + _suggest(above, known - {stage.id}),
                    )
                )
        step_ids = [step.id for step in stage.steps]
        for step_id in {s for s in step_ids if step_ids.count(s) > 1}:
            r.problems.append(
                Problem(file, line, f'stage "{stage.id}" has two steps called "{step_id}"')
            )
        for index, step in enumerate(stage.steps):
            if step.anchor is not StepAnchor.EVENT:
                continue
            _check_step_start(r, stage, step, step_ids[:index], step_ids)
        if not stage.raising_side and not stage.other_side and not stage.kept_informed:
            r.problems.append(
                Problem(file, line, f'stage "{stage.id}" needs to say who acts: "raising_side"')
            )
        _check_who_acts(r, procedure, stage)
        if (
            stage.within.is_limited
            and stage.steps
            and all(s.within.is_limited for s in stage.steps)
        ):
            steps_total = max(_step_ends(stage))
            if steps_total != stage.within.working_day_equivalent():
                r.problems.append(
                    Problem(
                        file,
                        line,
                        f'stage "{stage.id}" is given {stage.within.describe()}, but its steps '
                        f"add up to {steps_total} working days",
                    )
                )
    seen = _check_ladder(r, track)
    unreachable = [s for s in track.stages if s.id not in seen]
    for stage in unreachable:
        r.warn(stage.source.file, stage.source.line, f'no stage leads to "{stage.id}"')
    for cap in track.caps:
        missing = [s for s in cap.stages if not _is_member(track, s)]
        for stage_id in missing:
            r.problems.append(
                Problem(
                    cap.source.file,
                    cap.source.line,
                    f'cap "{cap.id}" covers "{stage_id}", which is not a stage'
                    + _suggest(stage_id, known),
                )
            )
        if not missing and cap.within.is_limited and _all_limited(track, cap):
            parts = sum(_stage_days(track.stage(s)) for s in cap.stages)
            if cap.within.working_day_equivalent() > parts:
                r.warn(
                    cap.source.file,
                    cap.source.line,
                    f'cap "{cap.id}" ({cap.within.describe()}) is longer than its stages '
                    f"allow between them ({parts} working days), so it never applies",
                )


SIDE_KEYS = {
    Side.RAISING: "raising_side",
    Side.OTHER: "other_side",
    Side.PARTNERSHIP: "partnership_side",
}


def _check_single_agency(r: _Reader, procedure: Procedure, raw: LMap) -> None:
    """In a procedure inside one agency, the stages tell the two sides apart by role: a
    role held in the agency may not stand on both sides of one stage (the parties, who
    are named people, may), and someone must be able to raise it."""
    if not procedure.single_agency:
        return
    for track in procedure.tracks:
        raisers = {role for stage in track.stages for role in stage.raising_side} - {PARTY_ROLE}
        if not raisers:
            r.problem(
                raw,
                "single_agency",
                f"{_track_words(procedure, track)} is inside one agency, so its stages must name "
                'on "raising_side" the role that raises it, such as [reviewing-officer]',
            )
        for stage in track.stages:
            both = (set(stage.raising_side) & set(stage.other_side)) - {PARTY_ROLE}
            if both:
                r.problems.append(
                    Problem(
                        stage.source.file,
                        stage.source.line,
                        f'stage "{stage.id}" names {", ".join(sorted(both))} on both sides, but '
                        "the procedure is inside one agency, where the sides are told apart by "
                        "role: name each role on one side only",
                    )
                )


def _track_words(procedure: Procedure, track: Track) -> str:
    return f'track "{track.id}"' if len(procedure.tracks) > 1 else "the procedure"


def _check_who_acts(r: _Reader, procedure: Procedure, stage: Stage) -> None:
    """Every step has someone to take it, and only roles that may act are named to act."""
    file, line = stage.source.file, stage.source.line
    table = role_table(procedure)
    for key, roles in (
        ("raising_side", stage.raising_side),
        ("other_side", stage.other_side),
        ("partnership_side", stage.partnership_side),
        ("escalate_by", stage.escalate_by),
    ):
        for role in roles:
            spec = table.get(role)
            if spec is not None and not spec.may_act:
                r.problems.append(
                    Problem(
                        file,
                        line,
                        f'stage "{stage.id}" names "{role}" under "{key}", but that role only '
                        "looks: it cannot act at a stage (keep it informed instead)",
                    )
                )
    for step in stage.steps:
        sides = (Side.RAISING, Side.OTHER) if step.by is Side.BOTH else (step.by,)
        for side in sides:
            if not stage_side_roles(stage, side):
                r.problems.append(
                    Problem(
                        step.source.file,
                        step.source.line,
                        f'step "{step.id}" of stage "{stage.id}" is for the {side.value} side, '
                        f'but the stage names no one on that side: add "{SIDE_KEYS[side]}"',
                    )
                )
                break
    acting = {*stage.raising_side, *stage.other_side, *stage.partnership_side}
    for role in stage.escalate_by:
        if role not in acting:
            r.problems.append(
                Problem(
                    file,
                    line,
                    f'stage "{stage.id}" lets "{role}" escalate it, but does not name that role '
                    "on a side of the stage",
                )
            )


def _check_step_start(
    r: _Reader, stage: Stage, step: Step, earlier: list[str], step_ids: list[str]
) -> None:
    """A step can run from the stage's start or from an earlier step of its stage only."""
    where = (step.source.file, step.source.line)
    after = step.anchor_event
    if after in earlier:
        return
    if after == step.id:
        message = (
            f'step "{step.id}" starts from itself: use "stage-start" or an earlier step of '
            "the stage"
        )
    elif after in step_ids:
        message = (
            f'step "{step.id}" runs from "{after}", which comes after it: use "stage-start" '
            "or an earlier step of the stage"
        )
    else:
        message = (
            f'step "{step.id}" runs from "{after}", which is not a step of stage '
            f'"{stage.id}" (use a step id, or "stage-start")' + _suggest(after, earlier)
        )
    r.problems.append(Problem(*where, message))


def _check_ladder(r: _Reader, track: Track) -> list[str]:
    """Follow the ladder from the first stage: no loops, and cumulative limits add up.

    The running total counts each formal stage for its own limit (or, without one, for its
    longest run of steps); a step's cumulative limit is the total before its stage plus
    when the step ends within it. Returns the stages reached, in order.
    """
    reached: list[str] = []
    ways: list[tuple[Stage, list[str], int]] = [(track.stages[0], [], 0)] if track.stages else []
    while ways:
        start, below, running = ways.pop(0)
        # A stage whose next chooses between stages: each other way is followed too.
        for seen in _check_ladder_from(r, track, start, below, running, ways):
            if seen not in reached:
                reached.append(seen)
    return reached


def _check_ladder_from(
    r: _Reader,
    track: Track,
    start: Stage,
    below: list[str],
    running: int,
    ways: list[tuple[Stage, list[str], int]],
) -> list[str]:
    """One way up the ladder from ``start``, with the stages and total below it; the other
    ways a stage's ``next`` may go are added to ``ways``."""
    seen = list(below)
    current: Stage | None = start
    while current is not None:
        stage = current
        if stage.id in seen:
            r.problems.append(
                Problem(
                    stage.source.file,
                    stage.source.line,
                    f"the stages go round in a loop: {' → '.join([*seen, stage.id])}",
                )
            )
            return seen
        seen.append(stage.id)
        if not stage.informal:
            for step, end in zip(stage.steps, _step_ends(stage), strict=True):
                declared = step.cumulative
                if declared is not None and declared.working_day_equivalent() != running + end:
                    r.problems.append(
                        Problem(
                            step.source.file,
                            step.source.line,
                            f'step "{step.id}" says the cumulative limit is '
                            f"{declared.describe()}, but the limits up to and including it "
                            f"add up to {running + end} working days",
                        )
                    )
            running += _stage_days(stage)
            declared = stage.cumulative
            if declared is not None and declared.working_day_equivalent() != running:
                r.problems.append(
                    Problem(
                        stage.source.file,
                        stage.source.line,
                        f'stage "{stage.id}" says the cumulative limit is '
                        f"{declared.describe()}, but the stage limits up to and "
                        f"including it add up to {running} working days",
                    )
                )
        if stage.next is None and not stage.resolution:
            r.warn(
                stage.source.file,
                stage.source.line,
                f'stage "{stage.id}" is the top of the ladder but does not say how it '
                'resolves ("resolution")',
            )
        for branch in stage.branches:
            if branch.stage != stage.next and track.has_stage(branch.stage):
                ways.append((track.stage(branch.stage), list(seen), running))
        current = track.stage(stage.next) if stage.next and track.has_stage(stage.next) else None
    return seen


# --- entry points -----------------------------------------------------------------------


def check_text(
    text: str,
    file: str = "<procedure>",
    *,
    base_dir: Path | None = None,
    bases: Mapping[str, str] | None = None,
    _depth: int = 0,
) -> CheckResult:
    """Check a procedure file. A file that ``extends`` another finds it beside it in
    ``base_dir``, or, given ``bases`` (names to texts: the versions a partnership has
    published), there and nowhere else.

    The same text (with the same bases) is read once per process: a procedure is
    immutable, and reading one costs tens of milliseconds (docs/performance.md). A file
    read from a folder is read afresh each time, as the files beside it may change."""
    if base_dir is not None:
        return _check(text, file, base_dir, bases, _depth)
    kept = _checked(text, file, None if bases is None else tuple(sorted(bases.items())), _depth)
    return CheckResult(kept.procedure, list(kept.problems))


@functools.lru_cache(maxsize=64)
def _checked(
    text: str, file: str, bases: tuple[tuple[str, str], ...] | None, depth: int
) -> CheckResult:
    return _check(text, file, None, None if bases is None else dict(bases), depth)


def _check(
    text: str,
    file: str,
    base_dir: Path | None,
    bases: Mapping[str, str] | None,
    _depth: int,
) -> CheckResult:
    raw, problems = _read_yaml(text, file)
    if problems:
        return _result(None, problems)
    if not isinstance(raw, LMap):
        return _result(
            None, [Problem(file, 1, "a procedure file should be a set of named settings")]
        )
    if "extends" in raw:
        raw, problems = _extend(raw, file, base_dir, _depth, bases)
    else:
        raw = _without_removals(raw, problems, lambda _id: _NOTHING_TO_REMOVE_FROM)
    if problems:
        return _result(None, problems)
    reader = _Reader()
    try:
        procedure = _read_procedure(reader, raw, file)
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # pragma: no cover
        # Defence in depth: a shape nobody foresaw is still a plain message, not a traceback.
        reader.problems.append(Problem(file, 0, f"this file could not be read: {error!r}"))
        procedure = None
    return _result(procedure, reader.problems)


def _result(procedure: Procedure | None, problems: list[Problem]) -> CheckResult:
    """The outcome, problems in file and line order; refused if any problem is an error."""
    result = CheckResult(procedure, sorted(problems, key=lambda p: (p.file, p.line)))
    if result.errors:
        result.procedure = None
    return result


def extends_of(text: str) -> str | None:
    """The name of the file a procedure file extends, if it is readable and says one."""
    raw, problems = _read_yaml(text, "")
    target = raw.get("extends") if isinstance(raw, LMap) and not problems else None
    return target.strip() if isinstance(target, str) and target.strip() else None


def base_names(name: str) -> tuple[str, ...]:
    """The names an ``extends`` may give a file by: as written, and without ``.yaml``."""
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else name
    return (name, stem, f"{stem}.yaml")


def _extend(
    raw: LMap,
    file: str,
    base_dir: Path | None,
    depth: int,
    bases: Mapping[str, str] | None = None,
) -> tuple[LMap, list[Problem]]:
    """``raw`` laid over the file it extends, or the problems that stop that."""
    line = raw.key_lines.get("extends", 0)
    target = raw["extends"]
    if not isinstance(target, str) or not target.strip():
        message = (
            '"extends" should be the name of the file this one changes, such as '
            '"pennine-regional.yaml"'
        )
        return raw, [Problem(file, line, message)]
    if depth > 3:
        return raw, [Problem(file, line, "procedures extend too deeply")]
    if bases is not None:
        name = next((n for n in base_names(target.strip()) if n in bases), None)
        if name is None:
            message = (
                f'it extends "{target}", which this partnership has not published: publish '
                "that file first"
            )
            return raw, [Problem(file, line, message)]
        return _laid_over(raw, bases[name], name, None, depth, bases)
    try:
        folder = Path(base_dir or ".").resolve()
        candidates = [(folder / target).resolve(), (folder / f"{target}.yaml").resolve()]
    except (OSError, ValueError):  # such as a name with a NUL character in it
        return raw, [Problem(file, line, f'it extends "{target}", which is not a usable name')]
    # Only a file beside this one, or in a folder inside this one's: never an absolute path
    # or ".." out of it, so a procedure cannot read files it has no business with.
    if not all(path.is_relative_to(folder) for path in candidates):
        message = (
            f'it extends "{target}", which is outside the folder this file is in: a file can '
            "only extend one in the same folder, or in a folder inside it"
        )
        return raw, [Problem(file, line, message)]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        return raw, [Problem(file, line, f'it extends "{target}", but there is no such file')]
    path, name = found, found.relative_to(folder).as_posix()
    try:
        base_text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        message = f'it extends "{target}", but {name} cannot be read: it is not saved as UTF-8 text'
        return raw, [Problem(file, line, message)]
    except OSError as error:
        message = f'it extends "{target}", but {name} cannot be read ({error.strerror or error})'
        return raw, [Problem(file, line, message)]
    return _laid_over(raw, base_text, name, path.parent, depth, None)


def _laid_over(
    raw: LMap,
    base_text: str,
    name: str,
    folder: Path | None,
    depth: int,
    bases: Mapping[str, str] | None,
) -> tuple[LMap, list[Problem]]:
    base_raw, problems = _read_yaml(base_text, name)
    if problems:
        return raw, problems
    if not isinstance(base_raw, LMap):
        return raw, [Problem(name, 1, "a procedure file should be a set of named settings")]
    if "extends" in base_raw:
        base_raw, problems = _extend(base_raw, name, folder, depth + 1, bases)
        if problems:
            return raw, problems
    else:
        base_raw = _without_removals(base_raw, problems, lambda _id: _NOTHING_TO_REMOVE_FROM)
    override = LMap(raw)
    override.line, override.file = raw.line, raw.file
    override.key_lines, override.key_files = dict(raw.key_lines), dict(raw.key_files)
    del override["extends"]
    merged = _merge(base_raw, override, name, problems)
    return merged, problems


def check_file(path: Path | str) -> CheckResult:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CheckResult(None, [Problem(str(path), 0, "there is no such file")])
    except (OSError, UnicodeDecodeError) as error:
        return CheckResult(None, [Problem(str(path), 0, f"the file cannot be read: {error}")])
    return check_text(text, path.name, base_dir=path.parent)


def load_file(path: Path | str) -> Procedure:
    result = check_file(path)
    if result.procedure is None:
        raise ProcedureError(result.errors or result.problems)
    return result.procedure


def load_text(text: str, file: str = "<procedure>") -> Procedure:
    result = check_text(text, file)
    if result.procedure is None:
        raise ProcedureError(result.errors or result.problems)
    return result.procedure
