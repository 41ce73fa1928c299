"""A role held in one agency acting for another with no escalation officer of its own,
written in the directory file's ``acting_for`` column: imported, exported, and checked."""

from __future__ import annotations

from parley.cases.models import Partnership, RoleAssignment
from parley.directory import csv_io
from parley.directory.services import directory_export, directory_import

HEADER = "agency,agency_type,team,name,email,job_title,phone,role,procedures,acting_for\n"
ROWS = (
    HEADER
    + "Riverside Surgery,Other,,Pam Practice,pam@surgery.example,,,Practitioner,,\n"
    + "Northshire ICB,Integrated care board,,Gil Lead,gil@icb.example,,,"
    + "safeguarding-lead,,Riverside Surgery\n"
    + "Northshire ICB,Integrated care board,,Gil Lead,gil@icb.example,,,"
    + "safeguarding-lead,,\n"
)


def test_a_role_acting_for_an_agency_is_imported_beside_the_same_role_held_for_its_own(
    partnership: Partnership,
) -> None:
    report = directory_import(partnership=partnership, text=ROWS, dry_run=False)

    assert not report.problems, report.problems
    held = {
        (a.agency.name, a.acts_for.name if a.acts_for else "")
        for a in RoleAssignment.objects.filter(person__email="gil@icb.example")
    }
    assert held == {("Northshire ICB", "Riverside Surgery"), ("Northshire ICB", "")}
    assert any("acting for Riverside Surgery" in change.text for change in report.changes)
    exported = directory_export(partnership=partnership)
    again = directory_import(partnership=partnership, text=exported, dry_run=True)
    assert not again.problems and not again.changes
    assert "Riverside Surgery" in [row.get("acting_for") for row in csv_io.read(exported).rows]


def test_acting_for_needs_an_agency_of_its_own_and_one_that_exists(
    partnership: Partnership,
) -> None:
    text = (
        HEADER
        + ",,,Gil Lead,gil@icb.example,,,business-manager,,Riverside Surgery\n"
        + "Northshire ICB,,,Ivy Board,ivy@icb.example,,,line-manager,,Northshire ICB\n"
        + "Northshire ICB,,,Al Lead,al@icb.example,,,line-manager,,Nowhere Surgery\n"
    )
    report = directory_import(partnership=partnership, text=text, dry_run=True)

    assert [p.message for p in report.problems] == [
        "Row 2: a role acting for another agency is held in one: enter the agency",
        "Row 3: a role held in Northshire ICB acts for it already: leave it blank",
        "Row 4: 'Nowhere Surgery' is not an agency here: add a row for it, or check its name",
    ]
