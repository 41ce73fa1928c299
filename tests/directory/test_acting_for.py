"""A role held in one agency acting for another with no escalation officer of its own,
written in the directory file's ``acting_for`` column: imported, exported, and checked."""

from __future__ import annotations

import html
from typing import Any

from parley.cases.models import Agency, Partnership, RoleAssignment
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


def test_a_role_acting_for_another_agency_is_added_on_a_page_and_shown_on_the_persons_page(
    partnership: Partnership, signed_in: Any
) -> None:
    icb = Agency.objects.create(partnership=partnership, name="Demoshire ICB", kind="icb")
    surgery = Agency.objects.create(partnership=partnership, name="Riverside Surgery")
    client = signed_in("ari.admin")
    assert "Acting for another agency" in client.get("/directory/roles/add/").content.decode()
    form = {
        "name": "Gil Lead",
        "email": "gil@icb.example",
        "role": "safeguarding-lead",
        "agency": str(icb.pk),
        "acting_for": str(surgery.pk),
    }
    response = client.post("/directory/roles/add/", form)

    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(person__email="gil@icb.example")
    assert (assignment.agency, assignment.acts_for) == (icb, surgery)
    person_page = html.unescape(client.get(response["Location"]).content.decode())
    assert "acting for Riverside Surgery" in person_page
    refused = client.post("/directory/roles/add/", {**form, "acting_for": str(icb.pk)})
    assert refused.status_code == 200
    assert "acts for it already" in html.unescape(refused.content.decode())
