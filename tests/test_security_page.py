"""Every test docs/security.md names as the backing of a guarantee exists: a promise
whose test was renamed or removed is found here, not by a reader."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)?)`|`::(\w+)`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_test_the_security_page_names_exists() -> None:
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    missing, named = [], 0
    for line in page.splitlines():
        current: Path | None = None
        for match in NAMED.finditer(line):
            file, test, bare = match.groups()
            if file:
                current = ROOT / file
                if not current.exists():
                    missing.append(file)
                    continue
                test = test.removeprefix("::")
            elif current is not None:
                test = bare  # "::name" after a file names a test in that file
            else:
                missing.append(f"::{bare} with no file before it")
                continue
            if test:
                named += 1
                if current.exists() and test not in _tests_in(current):
                    missing.append(f"{current.relative_to(ROOT)}::{test}")
    assert named > 20
    assert missing == []
