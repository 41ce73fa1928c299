"""A subject access export: everything about one person, nothing about anyone else."""

from __future__ import annotations

import json
from datetime import date

import pytest

from parley.audit.models import AuditEntry
from parley.cases import services
from parley.cases.demo import person
from parley.cases.models import Partnership, ProcedureVersion
from parley.core.engine import EventKind
from parley.directory.subject_access import (
    SearchError,
    SubjectSearch,
    professional_access_export,
    subject_access_export,
    subject_access_text,
)
from tests.directory.conftest import at, raise_twsp


@pytest.fixture
def cases(partnership: Partnership, twsp: ProcedureVersion):
    about_a = raise_twsp(
        partnership, twsp, at(2026, 12, 21, 10), subject_name="Amy  Example",
        subject_date_of_birth=date(2024, 5, 1), subject_nhs_number="401 023 2137",
    )  # fmt: skip
    services.disagreement_act(
        disagreement=about_a, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="Amy's file reviewed; threshold not met.", at=at(2026, 12, 22, 10),
    )  # fmt: skip
    also_a = raise_twsp(
        partnership, twsp, at(2027, 1, 5, 10), subject_name="amy example",
        subject_date_of_birth=date(2024, 5, 1), subject_client_reference="CS-77",
    )  # fmt: skip
    about_b = raise_twsp(
        partnership, twsp, at(2026, 12, 21, 11), subject_name="Bea Other",
        subject_date_of_birth=date(2024, 5, 1), subject_nhs_number="943 476 5919",
    )  # fmt: skip
    return about_a, also_a, about_b


def test_the_export_holds_the_subjects_cases_and_nothing_about_anyone_else(
    partnership: Partnership, cases
):
    about_a, also_a, about_b = cases
    search = SubjectSearch(name="Amy Example", date_of_birth=date(2024, 5, 1))
    export = subject_access_export(partnership=partnership, search=search)
    assert [c["reference"] for c in export["disagreements"]] == [
        about_a.reference, also_a.reference,
    ]  # fmt: skip
    first = export["disagreements"][0]
    assert first["subject"]["nhs_number"] == "401 023 2137"
    assert first["summary"] == about_a.summary
    assert [e["what"] for e in first["record"]] == ["Disagreement raised", "Response recorded"]
    assert first["record"][1]["details"]["text"] == "Amy's file reviewed; threshold not met."
    text = json.dumps(export)
    assert "Bea Other" not in text and about_b.reference not in text
    assert "943 476 5919" not in subject_access_text(export)


@pytest.mark.parametrize(
    ("search", "found"),
    [
        (SubjectSearch(nhs_number="4010232137"), 1),
        (SubjectSearch(client_reference="cs-77"), 1),
        (SubjectSearch(name="Amy Example", date_of_birth=date(2024, 5, 2)), 0),
    ],
)
def test_the_subject_may_be_found_by_nhs_number_or_client_reference(
    partnership: Partnership, cases, search: SubjectSearch, found: int
):
    export = subject_access_export(partnership=partnership, search=search)
    assert len(export["disagreements"]) == found


@pytest.mark.parametrize(
    "search",
    [
        SubjectSearch(),
        SubjectSearch(name="Amy Example"),
        SubjectSearch(nhs_number="4010232137", client_reference="CS-77"),
    ],
)
def test_a_search_must_say_who_the_person_is_one_way(partnership: Partnership, search):
    with pytest.raises(SearchError):
        subject_access_export(partnership=partnership, search=search)


def test_the_export_is_audited_by_reference_without_the_search_terms(
    partnership: Partnership, cases
):
    search = SubjectSearch(name="Amy Example", date_of_birth=date(2024, 5, 1))
    subject_access_export(partnership=partnership, search=search, by=person("ari.admin"))
    entry = AuditEntry.objects.get(action="subject-access.export")
    assert entry.person == person("ari.admin")
    assert entry.detail["references"] == [cases[0].reference, cases[1].reference]
    assert "Amy" not in json.dumps(entry.detail)


def test_a_professional_export_lists_their_entry_roles_and_cases_by_reference(
    partnership: Partnership, cases
):
    export = professional_access_export(person=person("sam.social"))
    assert export["directory_entry"]["email"] == "sam.social@demoshire.example"
    assert [r["role"] for r in export["roles"]] == ["practitioner"]
    assert len(export["disagreements_raised_with_them"]) == 3
    assert [a["what"] for a in export["actions_on_disagreements"]] == ["response-recorded"]
    assert isinstance(export["notifications_to_them"], list)
    # The case text is the subject's, not theirs.
    assert "Amy" not in json.dumps(export)
