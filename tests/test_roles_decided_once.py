"""What a role means is decided once, in the roles table (parley.core.roles): no module
keeps its own collection of role names to decide who sees, acts, or opens a page."""

from __future__ import annotations

import ast
from pathlib import Path

from parley.core.roletable import STANDARD_ROLES

ROOT = Path(__file__).resolve().parents[1] / "parley"
# Data, not rules: the demo's people, the generator's cast, the table itself.
ALLOWED = {"core/roles.py", "cases/demo.py", "reports/generate.py"}


def test_no_module_keeps_its_own_list_of_roles() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        if where in ALLOWED or "/migrations/" in where:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Set | ast.List | ast.Tuple):
                names = [
                    e.value
                    for e in node.elts
                    if isinstance(e, ast.Constant) and e.value in STANDARD_ROLES
                ]
                if len(names) >= 2:
                    found.append(f"{where}:{node.lineno} {names}")
    assert found == []
