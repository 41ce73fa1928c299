"""Each shipped procedure has a page listing every rule of its document, with where Parley
keeps it and the test that shows it (docs/procedures/<id>.md); the tables name only tests
that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "docs" / "procedures"
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
HEADER = ["Kind", "Rule", "Passage", "Where in Parley", "Status", "Test"]
STATUSES = {"Yes", "Choice", "Gap", "Gap (in progress)"}
KINDS = {
    "principle", "stage", "step", "limit", "route", "record", "form", "field", "told",
    "report", "learning", "signposting", "contact", "category", "role",
}  # fmt: skip
# What every document has, and so every table must cover.
EVERY_TABLE = {"principle", "stage", "limit", "route", "record", "told", "learning"}
TEST = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")


def rows(procedure_id: str) -> list[dict[str, str]]:
    lines = (TABLES / f"{procedure_id}.md").read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if line.startswith("| ")]
    header = [cell.strip() for cell in table[0].strip()[1:-1].split("|")]
    assert header == HEADER
    found = []
    for line in table[1:]:
        if line.startswith("| ---"):
            continue
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        assert len(cells) == len(HEADER), line
        found.append(dict(zip(HEADER, cells, strict=True)))
    return found


def defined(path: str, name: str) -> bool:
    file = ROOT / path
    return (
        file.is_file()
        and re.search(rf"^def {name}\(", file.read_text(encoding="utf-8"), re.MULTILINE) is not None
    )


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_every_row_is_yes_a_choice_or_a_stated_gap(procedure_id: str) -> None:
    table = rows(procedure_id)

    assert len(table) >= 25
    assert {row["Status"] for row in table} <= STATUSES
    assert {row["Kind"] for row in table} <= KINDS
    assert {row["Kind"] for row in table} >= EVERY_TABLE
    for row in table:
        assert row["Rule"], row
        if row["Status"] in ("Yes", "Choice"):
            assert TEST.search(row["Test"]), f"{row['Rule']}: names no test"
        if row["Status"] == "Gap":
            assert row["Where in Parley"], f"{row['Rule']}: a gap says why"


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_every_test_a_table_names_exists(procedure_id: str) -> None:
    named = [m for row in rows(procedure_id) for m in TEST.findall(row["Test"])]
    missing = [f"{path}::{name}" for path, name in named if not defined(path, name)]

    assert named and missing == []


def test_a_table_naming_a_test_that_does_not_exist_is_caught() -> None:
    assert defined("tests/core/test_procedure_tables.py", "rows")
    assert not defined("tests/core/test_loader.py", "test_that_was_never_written")
    assert not defined("tests/core/no_such_file.py", "test_anything")


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_every_choice_of_the_procedure_file_has_a_choice_row(procedure_id: str) -> None:
    from parley.core.loader import load_file
    from parley.core.procedure import choices_of

    choices = choices_of(load_file(ROOT / "parley" / "procedures" / f"{procedure_id}.yaml"))
    choice_rows = [row for row in rows(procedure_id) if row["Status"] == "Choice"]

    assert bool(choices) == bool(choice_rows)
