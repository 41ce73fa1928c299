"""The directory changed one entry at a time on pages: a person and the rung they hold
added, their details changed, a rung ended, an agency added and renamed. Each goes
through the import's own checks; each change of a role is in the audit trail; nobody and
no agency a case names is ever deleted."""

from __future__ import annotations

import html
from typing import Any

import pytest

from parley.audit.models import AuditEntry
from parley.cases.models import Agency, Disagreement, Person, RoleAssignment
from parley.directory.models import RoleTeam
from tests.directory.conftest import at, raise_twsp

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    page = response.content.decode()
    return html.unescape(page[page.index("<main") : page.index("</main>")])


def police(partnership: Any) -> Agency:
    return partnership.agencies.get(name="Demoshire Police")


ROLE_FORM = {
    "name": "Robin Quill",
    "email": "robin.quill@demoshire.example",
    "job_title": "Detective sergeant",
    "phone": "01234 567890",
    "role": "line-manager",
    "team": "Public protection",
    "procedures": "",
}


def test_a_person_and_the_rung_they_hold_are_added_on_a_page(
    partnership: Any, signed_in: Any
) -> None:
    client = signed_in("ari.admin")
    page = text(client.get("/directory/roles/add/"))
    assert "Add a person or a role" in page
    response = client.post(
        "/directory/roles/add/", {**ROLE_FORM, "agency": str(police(partnership).pk)}
    )
    assert response.status_code == 302
    person = Person.objects.get(email="robin.quill@demoshire.example")
    assignment = RoleAssignment.objects.get(person=person)
    assert (assignment.role, assignment.agency) == ("line-manager", police(partnership))
    assert RoleTeam.objects.get(assignment=assignment).team.name == "Public protection"
    assert AuditEntry.objects.filter(action="role.change", detail__email=person.email).exists()


def test_a_bad_entry_is_refused_with_the_imports_own_words(
    partnership: Any, signed_in: Any
) -> None:
    client = signed_in("ari.admin")
    response = client.post(
        "/directory/roles/add/", {**ROLE_FORM, "agency": "", "email": "not-an-address"}
    )
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert "held in an agency" in page
    assert not Person.objects.filter(name="Robin Quill").exists()


def test_a_persons_details_are_changed_on_a_page(partnership: Any, signed_in: Any) -> None:
    client = signed_in("ari.admin")
    sam = Person.objects.get(email__startswith="sam.social")
    response = client.post(
        f"/directory/people/{sam.pk}/change/",
        {"name": "Sam Okafor-Reid", "job_title": "Senior social worker", "phone": "0100"},
    )
    assert response.status_code == 302
    sam.refresh_from_db()
    assert (sam.name, sam.job_title, sam.phone) == (
        "Sam Okafor-Reid",
        "Senior social worker",
        "0100",
    )


def test_a_rung_is_ended_and_the_person_kept_while_a_case_names_them(
    partnership: Any, twsp: Any, signed_in: Any
) -> None:
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    sam = case.other_professional
    assignment = RoleAssignment.objects.get(person=sam, role="practitioner")
    client = signed_in("ari.admin")
    confirm = text(client.get(f"/directory/roles/{assignment.pk}/end/"))
    assert "End this role" in confirm
    response = client.post(f"/directory/roles/{assignment.pk}/end/")
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert Person.objects.filter(pk=sam.pk).exists()
    assert Disagreement.objects.get(pk=case.pk).other_professional_id == sam.pk
    ended = AuditEntry.objects.filter(action="role.change", detail__email=sam.email).latest("pk")
    assert ended.detail["removed"]


def test_an_agency_is_added_and_renamed_never_deleted(partnership: Any, signed_in: Any) -> None:
    client = signed_in("ari.admin")
    response = client.post(
        "/directory/agencies/add/", {"name": "Demoshire Probation", "kind": "probation"}
    )
    assert response.status_code == 302
    agency = Agency.objects.get(name="Demoshire Probation")
    response = client.post(
        f"/directory/agencies/{agency.pk}/change/",
        {"name": "Demoshire Probation Service", "kind": "probation"},
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "Demoshire Probation Service"
    duplicate = client.post(
        "/directory/agencies/add/", {"name": "Demoshire Police", "kind": "police"}
    )
    assert "already" in text(duplicate)
    assert AuditEntry.objects.filter(action="directory.change").count() == 2


@pytest.mark.parametrize(
    "address",
    ["/directory/roles/add/", "/directory/agencies/add/"],
)
def test_only_those_the_roles_table_gives_the_directory_may_change_it(
    partnership: Any, signed_in: Any, address: str
) -> None:
    assert signed_in("nia.nurse").get(address).status_code == 404
    assert signed_in("ben.business").get(address).status_code == 200


def test_the_business_manager_ends_a_role_without_the_account_pages(
    partnership: Any, signed_in: Any
) -> None:
    client = signed_in("ben.business")
    sam = Person.objects.get(email__startswith="sam.social")
    listing = client.get("/directory/").content.decode()
    assert f"/directory/people/{sam.pk}/change/" in listing
    page = text(client.get(f"/directory/people/{sam.pk}/change/"))
    assert "Their roles" in page
    assignment = RoleAssignment.objects.filter(person=sam).first()
    assert assignment is not None
    response = client.post(f"/directory/roles/{assignment.pk}/end/")
    assert response["Location"] == f"/directory/people/{sam.pk}/change/"
