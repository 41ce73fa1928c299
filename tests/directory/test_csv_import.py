"""Importing and exporting the directory as CSV: every problem first, then all or nothing."""

from __future__ import annotations

import pytest

from parley.audit.models import AuditEntry
from parley.cases.models import Agency, Partnership, Person, RoleAssignment
from parley.directory import csv_io
from parley.directory.models import RoleTeam, Team
from parley.directory.services import directory_export, directory_import
from tests.directory.conftest import EXAMPLES

HEADER = "agency,agency_type,team,name,email,job_title,phone,role,procedures\n"


def counts() -> tuple[int, int, int, int, int]:
    return (
        Agency.objects.count(),
        Person.objects.count(),
        RoleAssignment.objects.count(),
        Team.objects.count(),
        RoleTeam.objects.count(),
    )


def sample(name: str) -> str:
    return csv_io.decode((EXAMPLES / name).read_bytes())


BAD_FILE = (
    "agency,agency_type,team,name,emial,job_title,phone,role,procedures\n"
    "Northshire Police,Police,,Jo Bloggs,jo@example.org,,,Practitioner,\n"
)

BAD_ROWS = (
    HEADER
    + "Northshire Police,Police,,Jo Bloggs,jo@example.org,DC,,Practitioner,\n"  # row 2: fine
    + "Northshire Police,Police,,Al Smith,al@example,,,practitioner,\n"  # 3: bad email
    + "Northshire Police,Police,,,kim@example.org,,,practitioner,\n"  # 4: no name
    + "Northshire Trust,NHS trsut,,Lee Chan,lee@example.org,,,safeguarding-lead,\n"  # 5: type
    + "Northshire Police,Police,,Jo Bloggs,jo@example.org,DC,,Practitioner,\n"  # 6: repeat
    + "Northshire Police,Police,,Sam Roe,sam@example.org,,,Senior manger,\n"  # 7: role
    + ",,,Ben Ade,ben@example.org,,,Line manager or supervisor,\n"  # 8: needs agency
    + "Northshire Police,,,Cy Dee,cy@example.org,,,Administrator,\n"  # 9: partnership-wide
    + "Northshire Police,,,Di Eve,di@example.org,,,practitioner,twsp wiral-children\n"  # 10
    + "Northshire Police,,,Jo Blogs,jo@example.org,,,Line manager or supervisor,\n"  # 11
    + ",,Front door,Fi Gee,fi@example.org,,,Administrator,\n"  # 12: team, no agency
)


def test_a_dry_run_lists_every_problem_row_and_writes_nothing(partnership: Partnership):
    before = counts()
    report = directory_import(partnership=partnership, text=BAD_ROWS, dry_run=True)
    messages = [p.message for p in report.problems]
    assert messages == [
        "Row 3: 'al@example' is not an email address; write it like name@example.org",
        "Row 4: enter the person's name",
        "Row 5: 'NHS trsut' is not an agency type; did you mean 'NHS trust'?",
        "Row 6 repeats row 2: the same person, agency and role",
        "Row 7: 'Senior manger' is not a role; did you mean 'Senior manager'?",
        "Row 8: the role 'Line manager or supervisor' is held in an agency: enter the agency",
        "Row 9: the role 'Administrator' is held for the whole partnership: leave the agency blank",
        "Row 10: 'wiral-children' is not a procedure here; did you mean 'wirral-children'?",
        "Row 11: the email address jo@example.org is Jo Bloggs's in row 2 but Jo Blogs's "
        "here; each person needs their own email address",
        "Row 12: a team belongs to an agency: enter the agency, or leave the team blank",
    ]
    assert [(p.row, p.column) for p in report.problems][:3] == [
        (3, "email"), (4, "name"), (5, "agency_type"),
    ]  # fmt: skip
    assert not report.changes and not report.written
    assert counts() == before


def test_a_real_import_with_any_problem_writes_nothing(partnership: Partnership):
    before = counts()
    report = directory_import(partnership=partnership, text=BAD_ROWS, dry_run=False)
    assert len(report.problems) == 10 and not report.written
    assert counts() == before
    assert not AuditEntry.objects.filter(action="directory.import").exists()


def test_a_misspelt_column_is_named_with_the_nearest_column(partnership: Partnership):
    report = directory_import(partnership=partnership, text=BAD_FILE, dry_run=True)
    assert [p.message for p in report.problems] == [
        "Row 1: 'emial' is not a column; did you mean 'email'?",
        "Row 1: the file has no 'email' column; add one",
    ]


def test_the_column_headings_may_be_written_as_words(partnership: Partnership):
    text = "Agency,Agency type,Name,Email address,Job title,Role\n" + (
        "Northshire Police,Police,Jo Bloggs,jo@example.org,DC,Practitioner\n"
    )
    report = directory_import(partnership=partnership, text=text, dry_run=False)
    assert report.ok, report.problems
    assert Person.objects.get(email="jo@example.org").job_title == "DC"


@pytest.mark.parametrize("name", ["directory-twsp.csv", "directory-wirral.csv"])
def test_the_sample_files_import_and_a_second_import_changes_nothing(
    partnership: Partnership, name: str
):
    first = directory_import(partnership=partnership, text=sample(name), dry_run=False)
    assert first.ok, first.problems
    assert first.written and first.roles.added == first.rows
    after_first = counts()
    second = directory_import(partnership=partnership, text=sample(name), dry_run=False)
    assert second.ok and not second.changes
    assert second.roles.unchanged == first.roles.added
    assert second.people.added == second.people.updated == 0
    assert counts() == after_first


def test_the_twsp_sample_names_who_takes_a_stage_three_referral_for_the_police(
    partnership: Partnership,
):
    directory_import(partnership=partnership, text=sample("directory-twsp.csv"), dry_run=False)
    police = Agency.objects.get(partnership=partnership, name="West Mercia Police")
    assert police.kind == Agency.Kind.POLICE
    holders = RoleAssignment.objects.filter(agency=police).values_list("role", flat=True)
    assert set(holders) == {"senior-manager", "safeguarding-lead"}
    family_connect = RoleAssignment.objects.get(role="family-connect")
    assert family_connect.procedure_ids == ["twsp"]
    assert family_connect.team_link.team.name == "Family Connect"


def test_export_then_import_changes_nothing(partnership: Partnership):
    directory_import(partnership=partnership, text=sample("directory-twsp.csv"), dry_run=False)
    exported = directory_export(partnership=partnership)
    report = directory_import(partnership=partnership, text=exported, dry_run=False)
    assert report.ok, report.problems
    assert not report.changes and not report.not_in_file
    assert report.roles.unchanged == RoleAssignment.objects.count()
    assert directory_export(partnership=partnership) == exported


def test_the_export_is_audited_and_lists_every_role(partnership: Partnership):
    exported = directory_export(partnership=partnership)
    rows = csv_io.read(exported).rows
    assert len(rows) == RoleAssignment.objects.filter(person__partnership=partnership).count()
    assert AuditEntry.objects.filter(action="directory.export").count() == 1


def test_an_import_updates_people_by_email_and_audits_each_role_change(
    partnership: Partnership,
):
    administrator = Person.objects.get(user__username="ari.admin")
    text = HEADER + (
        "Demoshire Police,,,Pat Douglas,PAT.POLICE@demoshire.example,Detective sergeant,"
        "01632 960100,Practitioner,\n"
        "Demoshire Police,,,Pat Douglas,pat.police@demoshire.example,,,Line manager or supervisor,"
        "twsp\n"
    )
    report = directory_import(partnership=partnership, text=text, dry_run=False, by=administrator)
    assert report.ok, report.problems
    pat = Person.objects.get(user__username="pat.police")
    assert (pat.job_title, pat.phone) == ("Detective sergeant", "01632 960100")
    assert (report.people.updated, report.roles.added, report.roles.unchanged) == (1, 1, 1)
    change = AuditEntry.objects.get(action="role.change")
    assert change.person == administrator
    assert change.detail["person_id"] == pat.pk
    assert change.detail["added"] == ["Line manager or supervisor in Demoshire Police"]
    entry = AuditEntry.objects.get(action="directory.import")
    assert entry.detail["roles"]["added"] == 1


def test_roles_not_in_the_file_are_kept_unless_removal_is_asked_for(partnership: Partnership):
    text = HEADER + ",,,Ari Kowalski,ari.admin@demoshire.example,,,Administrator,\n"
    kept = directory_import(partnership=partnership, text=text, dry_run=True)
    assert len(kept.not_in_file) == RoleAssignment.objects.count() - 1
    removed = directory_import(
        partnership=partnership, text=text, dry_run=False, remove_missing=True
    )
    assert removed.ok and removed.roles.removed == len(kept.not_in_file)
    assert list(RoleAssignment.objects.values_list("role", flat=True)) == ["administrator"]


def test_removing_the_roles_not_in_the_file_cannot_remove_every_administrator(
    partnership: Partnership,
):
    text = HEADER + "Demoshire Police,,,Pat Douglas,pat.police@demoshire.example,,,Practitioner,\n"
    before = counts()
    report = directory_import(
        partnership=partnership, text=text, dry_run=False, remove_missing=True
    )
    assert [p.message for p in report.problems] == [
        "Removing the roles not in the file would leave the partnership with no administrator: "
        "add a row for at least one administrator"
    ]
    assert counts() == before


def test_a_team_named_in_the_file_is_created_and_the_role_placed_in_it(partnership: Partnership):
    text = HEADER + (
        "Demoshire Police,,Public protection,Pat Douglas,pat.police@demoshire.example,,,"
        "Practitioner,\n"
    )
    report = directory_import(partnership=partnership, text=text, dry_run=False)
    assert (report.teams.added, report.roles.updated) == (1, 1)
    link = RoleTeam.objects.get()
    assert (link.team.name, link.assignment.person.name) == ("Public protection", "Pat Douglas")
    again = directory_import(partnership=partnership, text=text, dry_run=False)
    assert not again.changes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest-of-a-workbook", "spreadsheet workbook"),
        (b"%PDF-1.7 ...", "must be a CSV"),
        (b"name,email\x00\x01", "must be a CSV"),
        (b"", "empty"),
        (b"x" * (csv_io.MAX_BYTES + 1), "smaller than 2MB"),
    ],
)
def test_a_file_that_is_not_a_csv_is_refused_in_plain_words(data: bytes, message: str):
    with pytest.raises(csv_io.NotACsv, match=message):
        csv_io.decode(data)


def test_a_spreadsheets_windows_csv_is_read():
    assert csv_io.decode("name\nZoë\n".encode("cp1252")) == "name\nZoë\n"
    assert csv_io.decode("\ufeffname\n".encode()) == "name\n"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+44 1632 960000", "+44 1632 960000"),
        ("Jo Bloggs", "Jo Bloggs"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(cell: str, written: str):
    text = csv_io.write([[cell]], columns=["name"])
    assert text.splitlines()[1].strip('"').replace('""', '"') == written
    assert csv_io.read(text).rows[0].get("name") == cell


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_is_read(delimiter: str):
    text = delimiter.join(["name", "email", "role"]) + "\nJo Bloggs" + delimiter + "jo@x.org\n"
    sheet = csv_io.read(text)
    assert not sheet.problems
    assert sheet.rows[0].get("email") == "jo@x.org"
