"""Every refused request for a case is on the record: who, what was asked, from where.

Before, asking for a hidden or non-existent case through the case page, its action
pages, evidence or the API wrote nothing, so someone walking through references was
invisible. Hidden and missing still answer exactly alike.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.audit.selectors import refusal_summaries
from parley.audit.services import audit_record
from parley.cases.demo import person
from parley.cases.models import Disagreement, Partnership
from tests.audit.helpers import web_request

pytestmark = pytest.mark.django_db

MISSING = "TWSP-999999"
# Pat, a police practitioner, is no party to a case between health and social care.
PROBER = "pat.police"
ADDRESS = "203.0.113.9"

PAGES = [
    "/cases/{reference}/",
    "/cases/{reference}/respond/",
    "/cases/{reference}/note/",
    "/cases/{reference}/evidence/abcdefghijklmnop/",
    "/cases/{reference}/documents/twsp-referral.pdf",
    "/audit/cases/{reference}/viewers/",
]
API = [
    ("get", "/api/v1/disagreements/{reference}"),
    ("get", "/api/v1/disagreements/{reference}/events"),
    ("get", "/api/v1/disagreements/{reference}/deadlines"),
    ("post", "/api/v1/disagreements/{reference}/actions"),
]


def refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="case.refused").order_by("sequence"))


def body_without(response: Any, reference: str) -> bytes:
    return response.content.replace(reference.encode(), b"REF")


@pytest.mark.parametrize("page", PAGES)
def test_a_refused_page_is_recorded_once_and_answers_as_a_missing_one(
    signed_in: Any, case: Disagreement, page: str
) -> None:
    client = signed_in(PROBER)
    hidden = client.get(page.format(reference=case.reference), REMOTE_ADDR=ADDRESS)
    missing = client.get(page.format(reference=MISSING), REMOTE_ADDR=ADDRESS)
    assert hidden.status_code == missing.status_code == 404
    assert body_without(hidden, case.reference) == body_without(missing, MISSING)
    entries = refusals()
    assert len(entries) == 2  # one for each request, never two
    for entry, asked in zip(entries, (case.reference, MISSING), strict=True):
        assert entry.person == person(PROBER)
        assert entry.path == page.format(reference=asked)
        assert entry.ip_address == ADDRESS
        assert entry.detail["reference"] == asked
        assert entry.partnership_id == person(PROBER).partnership_id


@pytest.mark.parametrize(("method", "path"), API)
def test_a_refused_api_call_is_recorded(case: Disagreement, method: str, path: str) -> None:
    secret = api_token_create(
        person=person(PROBER), name="t", scopes=["read", "write"], days=1
    ).secret
    client = Client(headers={"Authorization": f"Bearer {secret}"}, REMOTE_ADDR=ADDRESS)
    send = getattr(client, method)
    extra = {"data": {"kind": "note-added", "text": "x"}, "content_type": "application/json"}
    hidden = send(path.format(reference=case.reference), **(extra if method == "post" else {}))
    missing = send(path.format(reference=MISSING), **(extra if method == "post" else {}))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    entries = refusals()
    assert [e.detail["reference"] for e in entries] == [case.reference, MISSING]
    assert all(e.person == person(PROBER) and e.ip_address == ADDRESS for e in entries)


def test_an_api_token_without_the_scope_is_a_recorded_refusal(case: Disagreement) -> None:
    secret = api_token_create(person=person("nia.nurse"), name="t", scopes=["read"], days=1).secret
    response = Client().post(
        f"/api/v1/disagreements/{case.reference}/actions",
        {"kind": "note-added", "text": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    assert [e.detail["status"] for e in refusals()] == [403]


def test_the_query_string_is_never_recorded(signed_in: Any, case: Disagreement) -> None:
    signed_in(PROBER).get(f"/cases/{case.reference}/?child=Jane+Doe")
    (entry,) = refusals()
    assert "Jane" not in entry.path and "Jane" not in str(entry.detail)


def test_what_a_person_may_see_is_not_a_refusal(signed_in: Any, case: Disagreement) -> None:
    assert signed_in("nia.nurse").get(f"/cases/{case.reference}/").status_code == 200
    assert refusals() == []


def test_nobody_signed_in_is_sent_to_sign_in_not_recorded(case: Disagreement) -> None:
    assert Client().get(f"/cases/{case.reference}/").status_code == 302
    assert Client().get(f"/api/v1/disagreements/{case.reference}").status_code == 401
    assert refusals() == []


# --- a burst of refusals, for administrators and the operator ---------------------------


def probe(username: str, count: int, *, start: Any = None) -> None:
    for number in range(count):
        audit_record(
            action="case.refused",
            request=web_request(username, path=f"/cases/TWSP-{number:06d}/", ip=ADDRESS),
            detail={"reference": f"TWSP-{number:06d}"},
        )


def test_a_burst_of_refusals_by_one_person_is_found(partnership: Partnership) -> None:
    probe(PROBER, 25)
    probe("nia.nurse", 2)
    found = refusal_summaries(
        partnership_id=partnership.pk, since=timezone.now() - timedelta(days=1)
    )
    assert [(s.username, s.refusals, s.burst) for s in found] == [
        (PROBER, 25, True),
        ("nia.nurse", 2, False),
    ]
    assert found[0].busiest == 25
    assert found[0].addresses == (ADDRESS,)


def test_the_administrator_sees_the_burst(signed_in: Any, partnership: Partnership) -> None:
    probe(PROBER, 25)
    response = signed_in("ari.admin").get("/audit/refusals/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Pat Douglas" in page and "25" in page and "Burst" in page
    assert AuditEntry.objects.filter(action="audit.list", detail__page="refusals").exists()


@pytest.mark.parametrize("username", ["nia.nurse", "ben.business", PROBER])
def test_only_administrators_see_the_refusals_page(
    signed_in: Any, partnership: Any, username: str
) -> None:
    assert signed_in(username).get("/audit/refusals/").status_code == 404


def test_parley_audit_refusals_shows_the_burst(partnership: Partnership) -> None:
    from parley.audit.cli import refusals_report

    probe(PROBER, 25)
    out = io.StringIO()
    assert refusals_report(hours=24, partnership=None, out=out) == 0
    text = out.getvalue()
    assert "pat.police" in text and "25 refused" in text and "BURST" in text
