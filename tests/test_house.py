"""The house in order: what a read of the whole code should not find (docs/architecture.md).

Pure reads of the source with ``ast`` and ``tokenize``: no database, no Django.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARLEY = ROOT / "parley"


def sources(under: Path = PARLEY) -> Iterator[Path]:
    for path in sorted(under.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_every_adr_cited_exists() -> None:
    written = {p.name[:4] for p in (ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")}
    cited = re.compile(r"docs/adr/(\d{4})|\bADR (\d{1,4})\b")
    missing = []
    places = [*sources(), *(ROOT / "docs").rglob("*.md"), ROOT / "Makefile", ROOT / "README.md"]
    for path in places:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in cited.finditer(line):
                adr = (match.group(1) or match.group(2)).zfill(4)
                if adr not in written:
                    missing.append(f"{path.relative_to(ROOT)}:{number} cites ADR {adr}")
    assert not missing


TIMING = re.compile(r"\b\d+(?:\.\d+)? (?:ms|s)\b")


def comments_and_docstrings(path: Path) -> Iterator[tuple[int, str]]:
    text = path.read_text()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                words = first.value.value
                if isinstance(words, str):
                    yield first.lineno, words


def test_no_measured_timings_in_comments_or_docstrings() -> None:
    """A time measured once goes stale in the code: docs/performance.md keeps them, in
    "Measurements behind choices in the code", and the code points there."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {match.group(0)}"
        for path in sources()
        for line, words in comments_and_docstrings(path)
        for match in TIMING.finditer(words)
    ]
    assert not found


# Kept though nothing calls them yet: the one door's bypass beside its siblings (ADR 0006).
UNCALLED_ON_PURPOSE = {"disagreement_bypass"}


def test_no_function_is_defined_and_never_used() -> None:
    """A module-level function or class that nothing in parley/, tests/ or bench/ names
    (other than its own definition) is dead. Registered ones (a decorator: commands,
    receivers, tasks) and Django apps are called by name from elsewhere."""
    texts = {
        path: path.read_text()
        for under in (PARLEY, ROOT / "tests", ROOT / "bench")
        for path in under.rglob("*.py")
    }
    templates = "\n".join(p.read_text() for p in PARLEY.rglob("jinja2/**/*.*") if p.is_file())
    named = Counter(re.findall(r"\w+", "\n".join(texts.values()) + templates))
    dead = []
    for path in sources():
        for node in ast.parse(texts[path]).body:
            if not isinstance(node, ast.FunctionDef | ast.ClassDef) or node.decorator_list:
                continue
            if node.name.endswith("Config") or node.name in UNCALLED_ON_PURPOSE:
                continue
            if named[node.name] < 2:
                dead.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not dead


def function_lengths(under: Path = PARLEY) -> list[tuple[int, str]]:
    """Every function's length in lines (``def`` to its last line, decorators aside)."""
    found = []
    for path in sources(under):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                found.append((length, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)


def test_no_function_is_a_hundred_lines_long() -> None:
    """A newcomer reads a function whole: the board report's build, once 751 lines, is a
    function for each section of the paper (parley/reports/sections.py), and the loader's
    reading of a file, once 277, one for each part of it."""
    long = {where: length for length, where in function_lengths() if length >= 100}
    assert long == {}


def import_circles() -> list[list[str]]:
    """Modules of parley/ that import each other, directly or round a longer loop (any
    import: at the top, inside a function, or for type checking only)."""
    import grimp

    graph = grimp.build_graph("parley", cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            component = []
            while (popped := stack.pop()) != module:
                component.append(popped)
            if component:
                circles.append(sorted([module, *component]))

    for module in sorted(modules):
        if module not in order:
            visit(module)
    return circles


CIRCLES_FOR_NOW: list[list[str]] = []


def test_no_import_circle() -> None:
    """Rooms import only the rooms below them (the layers contract of pyproject.toml,
    checked by lint-imports); within and between rooms no two modules import each other."""
    assert sorted(import_circles()) == sorted(CIRCLES_FOR_NOW)


# Formatted by ruff alone, with no line kept out by hand.
FORMATTED_WHOLLY = ("parley",)


def test_no_line_kept_out_of_the_formatter() -> None:
    kept = [
        f"{path.relative_to(ROOT)}:{number}"
        for under in FORMATTED_WHOLLY
        for path in ([ROOT / under] if under.endswith(".py") else sources(ROOT / under))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "# fmt: skip" in line
    ]
    assert kept == []


# Each piece written by hand where a maintained library does the same work, and the library
# each decision weighed: an ADR names it in its title and says whether it was adopted, and
# if not, what it cannot do here, measured.
HAND_WRITTEN_BESIDE_A_LIBRARY = {
    "the GOV.UK components": "govuk-frontend-jinja",
    "the strict templates": "Environment.getattr",
    "the Content-Security-Policy": "django-csp",
    "the sign-in lockout": "django-axes",
    "the API and its OpenAPI document": "django-ninja",
}


def test_each_hand_written_piece_beside_a_maintained_library_has_its_adr() -> None:
    titles = [p.read_text().splitlines()[0] for p in (ROOT / "docs" / "adr").glob("[0-9]*-*.md")]
    missing = [
        f"{piece}: no ADR titled with {library}"
        for piece, library in HAND_WRITTEN_BESIDE_A_LIBRARY.items()
        if not any(library in title for title in titles)
    ]
    assert missing == []


def test_no_module_builds_on_jinjas_internal_code_generator() -> None:
    """Jinja's compiler is not its public interface: the strict templates use the
    environment's documented hooks (docs/adr/0009)."""
    internal = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sources()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith(("jinja2.compiler", "jinja2.nodes"))
        or isinstance(node, ast.ImportFrom)
        and node.module == "jinja2"
        and any(alias.name in {"compiler", "nodes"} for alias in node.names)
    ]
    assert internal == []


# Parts of Django that are not its public API, which the prepared reads once relied on
# (docs/adr/0014): the query compiler, how querysets build instances, private cursors.
DJANGO_INTERNALS = {
    "get_compiler",
    "klass_info",
    "get_related_populators",
    "RelatedPopulator",
    "ModelIterable",
    "ValuesListIterable",
    "_iterable_class",
    "_prepare_cursor",
    "ServerBindingCursor",
    "sql_with_params",
    "adapt_datetimefield_value",
}


def test_no_module_reads_through_djangos_internals() -> None:
    """The prepared reads and the raw reads beside them use Django's documented API: an
    execute wrapper, ``connection.cursor()``, ``Model.from_db``, fields' own conversions."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} {name}"
        for path in sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for name in (
            [node.attr]
            if isinstance(node, ast.Attribute)
            else [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django")
            else []
        )
        if name in DJANGO_INTERNALS
    ]
    assert found == []


def test_pages_build_no_prepared_reads_and_no_access_scoping() -> None:
    """Prepared reads and their access scoping live in parley/cases/reads.py, by name
    (ADR 0013): no module of parley/web imports parley.dbprepared or calls Sight.q_of."""
    found = []
    for path in sources(PARLEY / "web"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("parley.dbprepared")
                or isinstance(node, ast.Import)
                and any(a.name.startswith("parley.dbprepared") for a in node.names)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports parley.dbprepared")
            elif isinstance(node, ast.Attribute) and node.attr == "q_of":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls Sight.q_of")
    assert not found, "\n".join(found)
