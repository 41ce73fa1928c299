from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from parley.audit.models import AuditEntry
from parley.cases import demo, services
from parley.cases.access import disagreement_list_visible_to
from parley.cases.models import Agency, Disagreement, Partnership, Person, ProcedureVersion

from .conftest import Api, bearer

LIST = "/api/v1/disagreements"


def case_url(case: Disagreement, tail: str = "") -> str:
    return f"/api/v1/disagreements/{case.reference}{tail}"


def references(body: dict[str, Any]) -> set[str]:
    return {row["reference"] for row in body["results"]}


# --- reading ----------------------------------------------------------------------------


def test_the_list_holds_exactly_what_the_person_may_see(api: Api, nia_case: Disagreement) -> None:
    for username in ("nia.nurse", "tess.teacher", "ben.business", "pat.police"):
        person = demo.person(username)
        expected = set(
            disagreement_list_visible_to(person=person).values_list("reference", flat=True)
        )
        assert references(api(username, "get", LIST).json()) == expected
    assert nia_case.reference in references(api("nia.nurse", "get", LIST).json())
    assert nia_case.reference not in references(api("tess.teacher", "get", LIST).json())


def test_another_partnerships_person_sees_none_of_ours(
    api: Api, outsider: Person, nia_case: Disagreement
) -> None:
    assert api(outsider, "get", LIST).json()["results"] == []


def test_the_list_pages_with_a_cursor_and_filters(api: Api, demoshire: Partnership) -> None:
    everything = references(api("ben.business", "get", LIST + "?limit=100").json())
    assert len(everything) >= 2
    seen: set[str] = set()
    url = LIST + "?limit=1"
    while url:
        body = api("ben.business", "get", url).json()
        assert len(body["results"]) <= 1
        seen |= references(body)
        url = f"{LIST}?limit=1&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == everything
    open_ones = api("ben.business", "get", LIST + "?status=open&procedure=twsp").json()
    assert open_ones["results"]
    assert all(r["status"] == "open" for r in open_ones["results"])
    assert all(r["procedure"]["id"] == "twsp" for r in open_ones["results"])


@pytest.mark.parametrize(
    "query",
    [
        "?status=shut",
        "?limit=0",
        "?limit=101",
        "?limit=x",
        "?limit=" + "9" * 5000,
        "?cursor=%%%",
        "?stage=%00",
    ],
)
def test_bad_list_filters_are_validation_errors(
    api: Api, demoshire: Partnership, query: str
) -> None:
    response = api("ben.business", "get", LIST + query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"]


def test_the_list_costs_the_same_queries_however_many_cases(
    client: Client, demoshire: Partnership, django_assert_num_queries: Any
) -> None:
    headers = {"Authorization": f"Bearer {bearer(demo.person('ben.business'))}"}
    client.get(LIST, headers=headers)  # the first use also stamps the token's last use
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, headers=headers)
    for n in range(5):
        services.disagreement_raise(
            procedure=ProcedureVersion.objects.get(procedure_id="twsp", is_current=True),
            raised_by=demo.person("nia.nurse"),
            **raise_objects(),
            summary=f"Case {n}",
        )
    with django_assert_num_queries(len(few)):
        client.get(LIST, headers=headers)


def test_a_party_reads_the_case_its_events_and_deadlines(api: Api, nia_case: Disagreement) -> None:
    body = api("sam.social", "get", case_url(nia_case)).json()
    assert body["reference"] == nia_case.reference
    assert body["subject"]["name"] == "Child A"
    events = api("sam.social", "get", case_url(nia_case, "/events")).json()["results"]
    assert [e["kind"] for e in events][:3] == ["raised", "response-recorded", "escalated"]
    deadlines = api("sam.social", "get", case_url(nia_case, "/deadlines")).json()["results"]
    assert deadlines
    assert all(d["explanation"].endswith(".") for d in deadlines)


@pytest.mark.parametrize("tail", ["", "/events", "/deadlines"])
def test_unrelated_people_get_the_same_404_as_for_no_case_at_all(
    api: Api, nia_case: Disagreement, outsider: Person, tail: str
) -> None:
    missing = api("pat.police", "get", f"/api/v1/disagreements/TWSP-999999{tail}")
    assert missing.status_code == 404
    for who in ("pat.police", "tess.teacher", outsider):
        hidden = api(who, "get", case_url(nia_case, tail))
        assert hidden.status_code == 404
        assert hidden.json() == missing.json()


def test_reading_a_case_is_audited_like_the_page(api: Api, nia_case: Disagreement) -> None:
    api("sam.social", "get", case_url(nia_case))
    entry = AuditEntry.objects.filter(action="case.view").latest("sequence")
    assert entry.disagreement_id == nia_case.pk
    assert entry.person == demo.person("sam.social")
    assert entry.path == case_url(nia_case)


# --- acting -----------------------------------------------------------------------------


def test_an_action_goes_through_the_procedures_rules(api: Api, nia_case: Disagreement) -> None:
    url = case_url(nia_case, "/actions")
    # Closing needs a written outcome first (the same refusal the case page gives).
    refused = api("nia.nurse", "post", url, json={"kind": "closed", "version": nia_case.version})
    assert refused.status_code == 422
    assert (
        refused.json()["error"]
        == {
            "code": "refused",
            "message": "This disagreement is open: it can be closed once it is resolved",
            "fields": {},
        }
        or refused.json()["error"]["code"] == "refused"
    )
    done = api(
        "nia.nurse",
        "post",
        url,
        json={"kind": "note-added", "text": "Phoned Sam.", "version": nia_case.version},
    )
    assert done.status_code == 201, done.json()
    assert done.json()["events"][0]["kind"] == "note-added"
    assert nia_case.events.filter(kind="note-added").exists()
    entry = AuditEntry.objects.filter(action="case.change").latest("sequence")
    assert entry.disagreement_id == nia_case.pk
    assert entry.detail["action"] == "note-added"


def test_a_required_field_left_out_is_refused_with_the_reason(
    api: Api, nia_case: Disagreement
) -> None:
    response = api(
        "nia.nurse", "post", case_url(nia_case, "/actions"), json={"kind": "note-added"},
        **{"If-Match": f'"{nia_case.version}"'},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Enter what happened"


def test_someone_who_cannot_see_the_case_cannot_act_on_it(api: Api, nia_case: Disagreement) -> None:
    response = api(
        "pat.police",
        "post",
        case_url(nia_case, "/actions"),
        json={"kind": "note-added", "text": "x"},
    )
    assert response.status_code == 404
    assert not nia_case.events.filter(kind="note-added").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "flown"},
        {"kind": "raised"},
        {"kind": "evidence-attached"},
        {"kind": "note-added", "text": 5},
        [],
    ],
)
def test_malformed_actions_are_validation_errors(
    api: Api, nia_case: Disagreement, body: Any
) -> None:
    response = api("nia.nurse", "post", case_url(nia_case, "/actions"), json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"


# --- raising ----------------------------------------------------------------------------


def raise_objects() -> dict[str, Agency]:
    return {
        "raising_agency": Agency.objects.get(roles__person__user__username="nia.nurse"),
        "other_agency": Agency.objects.get(roles__person__user__username="pat.police"),
    }


def raise_body() -> dict[str, Any]:
    agencies = raise_objects()
    health, police = agencies["raising_agency"], agencies["other_agency"]
    return {
        "procedure": "twsp",
        "raising_agency": health.pk,
        "other_agency": police.pk,
        "summary": "Police have not shared the outcome of a welfare check.",
    }


def test_raising_through_the_api_is_the_same_as_the_pages(api: Api, demoshire: Partnership) -> None:
    response = api("nia.nurse", "post", LIST, json=raise_body())
    assert response.status_code == 201, response.json()
    case = Disagreement.objects.get(reference=response.json()["reference"])
    assert case.raised_by == demo.person("nia.nurse")
    assert case.events.filter(kind="raised").count() == 1
    assert AuditEntry.objects.filter(action="case.raise", disagreement=case).exists()


def test_a_repeated_raise_with_the_same_key_returns_the_first(
    api: Api, demoshire: Partnership
) -> None:
    first = api("nia.nurse", "post", LIST, json=raise_body(), **{"Idempotency-Key": "emis-77"})
    again = api("nia.nurse", "post", LIST, json=raise_body(), **{"Idempotency-Key": "emis-77"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert Disagreement.objects.filter(summary=raise_body()["summary"]).count() == 1


def test_another_persons_key_never_finds_someone_elses_case(
    api: Api, demoshire: Partnership
) -> None:
    first = api("nia.nurse", "post", LIST, json=raise_body(), **{"Idempotency-Key": "k1"})
    body = raise_body() | {
        "raising_agency": Agency.objects.get(roles__person__user__username="tess.teacher").pk
    }
    other = api("tess.teacher", "post", LIST, json=body, **{"Idempotency-Key": "k1"})
    assert other.status_code == 201
    assert other.json()["reference"] != first.json()["reference"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"procedure": "nope"}, "procedure"),
        ({"summary": "  "}, "summary"),
        ({"raising_agency": "one"}, "raising_agency"),
        ({"other_agency": 2**40}, "other_agency"),
        ({"subject_date_of_birth": "31/02/2020"}, "subject_date_of_birth"),
        ({"subject_nhs_number": "1" * 13}, "subject_nhs_number"),
        ({"immediate_risk": "yes"}, "immediate_risk"),
    ],
)
def test_bad_raise_inputs_name_the_field(
    api: Api, demoshire: Partnership, change: dict[str, Any], field: str
) -> None:
    response = api("nia.nurse", "post", LIST, json=raise_body() | change)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_raising_for_an_agency_you_do_not_work_for_is_refused(
    api: Api, demoshire: Partnership
) -> None:
    body = raise_body() | {
        "raising_agency": Agency.objects.get(roles__person__user__username="tess.teacher").pk
    }
    response = api("nia.nurse", "post", LIST, json=body)
    # The rule is the core's, whichever door the raise comes through.
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "You can only raise a disagreement for an agency you work for: choose your own agency"
    )


def test_a_disagreement_inside_one_agency_is_refused_with_the_reason(
    api: Api, demoshire: Partnership
) -> None:
    body = raise_body()
    body["other_agency"] = body["raising_agency"]
    response = api("nia.nurse", "post", LIST, json=body)
    assert response.status_code == 422
    assert "inside one agency" in response.json()["error"]["message"]
