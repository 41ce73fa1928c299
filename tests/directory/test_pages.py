"""The directory pages: administrators only, every problem shown, then check and confirm."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parley.audit.models import AuditEntry
from parley.cases.models import Partnership, Person, RoleAssignment
from tests.directory.conftest import EXAMPLES
from tests.office import BOM, csv_in_libreoffice

PAGES = ["/directory/", "/directory/import/", "/directory/export.csv"]


def upload_shown(html: str) -> str | None:
    """The checked upload the page offers to import, if it offers one."""
    found = re.search(r'<input type="hidden" name="upload" value="([^"]+)">', html)
    return found.group(1) if found else None


def upload(client: Client, data: bytes, name: str = "directory.csv", **extra):
    return client.post(
        "/directory/import/", {"file": SimpleUploadedFile(name, data, "text/csv"), **extra}
    )


@pytest.mark.parametrize("path", PAGES)
def test_someone_signed_out_is_sent_to_sign_in(partnership: Partnership, client: Client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("username", ["nia.nurse", "chris.chair", "cora.channel"])
@pytest.mark.parametrize("path", PAGES)
def test_anyone_the_roles_table_does_not_give_the_directory_is_told_not_found(
    partnership: Partnership, signed_in, username: str, path: str
):
    assert signed_in(username).get(path).status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_the_business_manager_keeps_the_directory_with_the_administrator(
    partnership: Partnership, signed_in, path: str
):
    # The roles table's directory column: the business manager and the administrator.
    assert signed_in("ben.business").get(path).status_code == 200


def test_an_administrator_sees_agencies_people_and_roles(
    partnership: Partnership, signed_in, django_assert_max_num_queries
):
    client = signed_in("ari.admin")
    with django_assert_max_num_queries(20):
        response = client.get("/directory/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Demoshire Police" in page and "Cas Moreau" in page
    assert "Designated or named safeguarding lead" in page


def test_the_directory_page_stays_flat_as_the_directory_grows(
    partnership: Partnership, signed_in, django_assert_max_num_queries
):
    client = signed_in("ari.admin")
    client.get("/directory/")  # warm the session and the procedure cache
    police = partnership.agencies.get(name="Demoshire Police")
    for number in range(40):
        extra = Person.objects.create(
            partnership=partnership, name=f"Officer {number}", email=f"o{number}@example.org"
        )
        RoleAssignment.objects.create(person=extra, agency=police, role="practitioner")
    with django_assert_max_num_queries(20):
        assert client.get("/directory/").status_code == 200


def test_a_file_with_problems_lists_every_problem_row_and_changes_nothing(
    partnership: Partnership, signed_in
):
    before = RoleAssignment.objects.count()
    data = (
        b"agency,name,email,role\n"
        b"Demoshire Police,Jo Bloggs,jo@example,Practitioner\n"
        b"Demoshire Police,Kim Lee,kim@example.org,Senior manger\n"
    )
    response = upload(signed_in("ari.admin"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Row 2: &#39;jo@example&#39; is not an email address" in page
    assert "did you mean &#39;Senior manager&#39;?" in page
    assert "Nothing has been imported" in page
    assert RoleAssignment.objects.count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04workbook", "spreadsheet workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "must be a CSV"),
        (b"x" * (2 * 1024 * 1024 + 1), "smaller than 2MB"),
    ],
)
def test_a_file_that_is_not_a_csv_gets_a_plain_message(
    partnership: Partnership, signed_in, data: bytes, message: str
):
    response = upload(signed_in("ari.admin"), data, name="directory.csv")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert message in response.content.decode()


def test_no_file_chosen_asks_for_one(partnership: Partnership, signed_in):
    response = signed_in("ari.admin").post("/directory/import/", {})
    assert "Select a CSV file" in response.content.decode()


def test_a_good_file_is_checked_then_imported_on_confirmation(partnership: Partnership, signed_in):
    client = signed_in("ari.admin")
    data = (EXAMPLES / "directory-wirral.csv").read_bytes()
    check = upload(client, data)
    page = check.content.decode()
    assert "Check the changes before importing" in page
    assert "Add Merseyside Police (Police)" in page
    assert not RoleAssignment.objects.filter(agency__name="Merseyside Police").exists()
    upload_id = upload_shown(page)
    assert upload_id is not None

    done = client.post("/directory/import/confirm/", {"upload": str(upload_id)})
    assert done.status_code == 200
    assert "Directory imported" in done.content.decode()
    assert RoleAssignment.objects.filter(agency__name="Merseyside Police").count() == 1
    assert AuditEntry.objects.filter(action="directory.import").count() == 1

    # Confirming twice imports nothing twice; uploading the same file again changes nothing.
    again = client.post("/directory/import/confirm/", {"upload": str(upload_id)})
    assert again.status_code == 404
    assert "already been imported" in again.content.decode()
    same = upload(client, data)
    assert "The file matches the directory" in same.content.decode()
    assert upload_shown(same.content.decode()) is None
    assert "Import these changes" not in same.content.decode()


def test_another_administrators_upload_cannot_be_confirmed(partnership: Partnership, signed_in):
    check = upload(signed_in("ari.admin"), (EXAMPLES / "directory-wirral.csv").read_bytes())
    other = Person.objects.get(user__username="ben.business")
    RoleAssignment.objects.create(person=other, agency=None, role="administrator")
    response = signed_in("ben.business").post(
        "/directory/import/confirm/", {"upload": upload_shown(check.content.decode())}
    )
    assert response.status_code == 404
    assert not RoleAssignment.objects.filter(agency__name="Merseyside Police").exists()


def test_the_export_downloads_as_csv_and_is_audited(partnership: Partnership, signed_in):
    response = signed_in("ari.admin").get("/directory/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").startswith("agency,agency_type,team,name,email")
    assert AuditEntry.objects.filter(action="directory.export").count() == 1


def test_the_export_opens_in_libreoffice_with_names_as_they_were_written(
    partnership: Partnership, signed_in, tmp_path
):
    Person.objects.filter(user__username="nia.nurse").update(name="Siân Ó Briain-Çelik")
    data = signed_in("ari.admin").get("/directory/export.csv").content
    assert data.startswith(BOM)  # what tells Excel and LibreOffice it is UTF-8
    rows = csv_in_libreoffice(data, tmp_path)
    assert rows[0][:5] == ["agency", "agency_type", "team", "name", "email"]
    assert "Siân Ó Briain-Çelik" in [row[3] for row in rows[1:]]
