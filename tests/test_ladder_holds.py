"""The ladder holds: each thing seen when people tried to skip it, refused with a clear message.

Who may act, when, and on which version of the case is decided once, in the core, and
every door asks: the pages, the API, the service layer, the documents and the generator.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import docx
import pypdf
import pytest
from django.db import transaction
from django.test import Client

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases import hooks, selectors, services
from parley.cases.demo import DEMO_SLUG, demo_load, person
from parley.cases.models import (
    Agency,
    Disagreement,
    Partnership,
    Person,
    RoleAssignment,
    Submission,
)
from parley.core import engine
from parley.core.engine import EventKind, Refused
from tests.web.conftest import drawn, main_html

pytestmark = pytest.mark.django_db
HEALTH = "Demoshire NHS Foundation Trust"
SOCIAL_CARE = "Demoshire Council Children's Services"
SCHOOL = "Demoshire Academy"


@pytest.fixture
def partnership() -> Partnership:
    return demo_load(with_cases=False)


def agency(name: str) -> Agency:
    return Agency.objects.get(name=name)


def raise_case(procedure_id: str = "twsp", **extra: Any) -> Disagreement:
    fields: dict[str, Any] = {
        "raised_by": person("nia.nurse"),
        "raising_agency": agency(HEALTH),
        "other_agency": agency(SOCIAL_CARE),
        "other_professional": person("sam.social"),
        "summary": "Closed after one visit despite bruising.",
    }
    fields.update(extra)
    version = Partnership.objects.get(slug=DEMO_SLUG).procedures.get(
        procedure_id=procedure_id, is_current=True
    )
    return services.disagreement_raise(procedure=version, **fields)


def at_stage_2(case: Disagreement) -> Disagreement:
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="no-agreement"
    )
    case.refresh_from_db()
    assert case.stage == "stage-2"
    return case


def stage_of(case: Disagreement) -> str:
    case.refresh_from_db()
    return case.stage


def bearer(username: str) -> str:
    made = api_token_create(person=person(username), name="t", scopes=["read", "write"], days=1)
    return f"Bearer {made.secret}"


# --- 1. Stale or repeated submissions ---------------------------------------------------


def test_two_tabs_escalating_the_same_stage_move_it_once_and_the_second_is_told_why(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    case = at_stage_2(raise_case())
    max_ = signed_in("max.manager")
    page = f"/cases/{case.reference}/escalate/"
    first_tab, second_tab = drawn(max_, page), drawn(max_, page)

    assert max_.post(page, {**first_tab, "reason": "no-agreement"}).status_code == 302
    second = max_.post(page, {**second_tab, "reason": "no-agreement"})

    assert stage_of(case) == "stage-3"  # not stage 4: stage 3 and its referral happen
    assert second.status_code == 409
    assert (
        "This disagreement has moved on since you opened this page: it is now at stage 3, "
        "Senior managers and designated safeguarding leads. Check the record before you act."
    ) in main_html(second)


def test_back_and_send_again_does_not_escalate_twice(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    case = raise_case(
        "wirral-children", raised_by=person("tess.teacher"), raising_agency=agency(SCHOOL),
        other_professional=None,
    )  # fmt: skip
    tess = signed_in("tess.teacher")
    page = f"/cases/{case.reference}/escalate/"
    form = {**drawn(tess, page), "reason": "no-agreement"}

    assert tess.post(page, form).status_code == 302
    again = tess.post(page, form)  # the browser's Back, then the same form sent again

    assert stage_of(case) == "stage-2"
    assert again.status_code == 302
    assert "That was saved already" in main_html(tess.get(again["Location"]))
    assert case.events.filter(kind="escalated").count() == 1


def test_a_note_sent_twice_is_written_once(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    case = raise_case()
    nia = signed_in("nia.nurse")
    page = f"/cases/{case.reference}/note/"
    form = {**drawn(nia, page), "text": "Phoned the team.", "visibility": "all"}

    nia.post(page, form)
    nia.post(page, form)

    assert case.events.filter(kind="note-added").count() == 1
    assert Submission.objects.filter(disagreement=case).count() == 1


def test_api_escalations_sent_together_move_the_case_one_stage(
    partnership: Partnership, client: Client
) -> None:
    case = raise_case()
    url = f"/api/v1/disagreements/{case.reference}/actions"
    token = bearer("nia.nurse")
    answers = [
        client.post(
            url,
            {"kind": "escalated", "reason": "no-agreement"},
            content_type="application/json",
            headers={"Authorization": token, "If-Match": f'"{case.version}"'},
        )
        for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [201, 409, 409, 409]
    assert stage_of(case) == "stage-2"
    assert (
        answers[1]
        .json()["error"]["message"]
        .startswith(
            "This disagreement has moved on since the version your request gave in "
            "If-Match: it is now at stage 2"
        )
    )


def test_an_api_action_without_the_version_it_acts_on_is_refused(
    partnership: Partnership, client: Client
) -> None:
    case = raise_case()
    answer = client.post(
        f"/api/v1/disagreements/{case.reference}/actions",
        {"kind": "escalated", "reason": "no-agreement"},
        content_type="application/json",
        headers={"Authorization": bearer("nia.nurse")},
    )
    assert answer.status_code == 428
    assert answer.json()["error"]["code"] == "precondition_required"
    assert stage_of(case) == "stage-1"


def test_an_api_retry_with_the_same_key_records_nothing_twice(
    partnership: Partnership, client: Client
) -> None:
    case = raise_case()
    headers = {
        "Authorization": bearer("nia.nurse"),
        "If-Match": f'"{case.version}"',
        "Idempotency-Key": "note-1",
    }
    for _ in range(2):
        answer = client.post(
            f"/api/v1/disagreements/{case.reference}/actions",
            {"kind": "note-added", "text": "Once"},
            content_type="application/json",
            headers=headers,
        )
        assert answer.status_code == 201
    assert case.events.filter(kind="note-added").count() == 1


# --- 2. People acting outside their stage ------------------------------------------------


def test_a_practitioner_alone_cannot_take_a_case_from_stage_1_to_5(
    partnership: Partnership,
) -> None:
    case = raise_case()
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="no-agreement"
    )
    for _ in range(3):
        with pytest.raises(Refused) as refused:
            services.disagreement_escalate(
                disagreement=case, person=person("nia.nurse"), reason="no-agreement"
            )
        assert "It is not yours to do at this stage" in refused.value.reason
    assert stage_of(case) == "stage-2"


def test_the_business_manager_only_looks(partnership: Partnership) -> None:
    case = raise_case()
    with pytest.raises(Refused) as refused:
        services.disagreement_escalate(
            disagreement=case, person=person("ben.business"), reason="no-agreement"
        )
    assert refused.value.reason == (
        "At stage 1, Practitioners, this is for the practitioner, of either agency. "
        "It is not yours to do at this stage."
    )
    assert stage_of(case) == "stage-1"


def test_at_the_senior_managers_stage_practitioners_neither_respond_nor_resolve(
    partnership: Partnership,
) -> None:
    case = at_stage_2(raise_case())
    services.disagreement_escalate(
        disagreement=case, person=person("max.manager"), reason="no-agreement"
    )
    assert stage_of(case) == "stage-3"
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
            text="We stand by it.",
        )  # fmt: skip
    with pytest.raises(Refused):
        services.disagreement_resolve(
            disagreement=case, person=person("nia.nurse"), outcome="Agreed.", outstanding="None"
        )
    # The senior managers may.
    services.disagreement_resolve(
        disagreement=case, person=person("dana.dsl"), outcome="Agreed.", outstanding="None"
    )
    assert Disagreement.objects.get(pk=case.pk).status == "resolved"


def test_the_case_page_does_not_offer_the_raiser_a_managers_moves(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    case = at_stage_2(raise_case())
    raiser = main_html(signed_in("nia.nurse").get(f"/cases/{case.reference}/"))
    manager = main_html(signed_in("max.manager").get(f"/cases/{case.reference}/"))

    for offer in ("/escalate/", "/resolve/", "/record-discussion/"):
        assert offer not in raiser
        assert offer in manager
    assert "/note/" in raiser  # a party still adds to the record
    response = signed_in("nia.nurse").get(f"/cases/{case.reference}/escalate/")
    assert response.status_code == 403
    assert "this is for the line manager or supervisor" in main_html(response)


# --- 3. Side-restricted notes ----------------------------------------------------------


@pytest.fixture
def with_private_note(partnership: Partnership) -> Disagreement:
    case = raise_case(subject_nhs_number="943 476 5919", subject_date_of_birth=date(2024, 3, 2))
    services.disagreement_act(
        disagreement=case, person=person("nia.nurse"), kind=EventKind.NOTE_ADDED,
        text="PRIVATE: our named nurse doubts their assessment.", visibility="raising",
    )  # fmt: skip
    services.disagreement_act(
        disagreement=case, person=person("nia.nurse"), kind=EventKind.NOTE_ADDED,
        text="Shared: a strategy meeting is wanted.",
    )  # fmt: skip
    at_stage_2(case)
    services.disagreement_escalate(
        disagreement=case, person=person("max.manager"), reason="no-agreement"
    )
    return case


def test_the_api_record_keeps_a_sides_note_from_the_other_side(
    with_private_note: Disagreement, client: Client
) -> None:
    url = f"/api/v1/disagreements/{with_private_note.reference}/events"

    def texts(username: str) -> str:
        answer = client.get(url, headers={"Authorization": bearer(username)})
        assert answer.status_code == 200
        return str(answer.json())

    assert "PRIVATE" in texts("nia.nurse")
    assert "PRIVATE" not in texts("sam.social")
    assert "Shared: a strategy meeting" in texts("sam.social")


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_referral_form_prints_a_sides_note_only_for_that_side(
    with_private_note: Disagreement, signed_in: Callable[[str], Client], fmt: str
) -> None:
    url = f"/cases/{with_private_note.reference}/documents/twsp-referral.{fmt}"

    def text(username: str) -> str:
        answer = signed_in(username).get(url)
        assert answer.status_code == 200, username
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        if fmt == "pdf":
            reader = pypdf.PdfReader(io.BytesIO(content))
            return " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        document = docx.Document(io.BytesIO(content))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return " ".join([p.text for p in document.paragraphs] + cells)

    assert "PRIVATE" in text("priya.lead")
    other = text("dana.dsl")
    assert "PRIVATE" not in other
    assert "Shared: a strategy meeting is wanted" in other


def test_a_note_cannot_be_kept_to_a_side_its_writer_is_not_on(partnership: Partnership) -> None:
    case = raise_case()
    with pytest.raises(Refused, match="your own agency's side only"):
        services.disagreement_act(
            disagreement=case, person=person("sam.social"), kind=EventKind.NOTE_ADDED,
            text="Sneaky", visibility="raising",
        )  # fmt: skip


# --- 4. One door -----------------------------------------------------------------------


def test_a_change_whose_audit_entry_cannot_be_written_is_not_made(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = raise_case()
    entries = AuditEntry.objects.count()

    def broken(change: hooks.Change) -> None:
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(
        hooks, "_HOOKS", [(o, n, broken if n == "audit.trail" else h) for o, n, h in hooks._HOOKS]
    )
    with pytest.raises(RuntimeError):
        services.disagreement_escalate(
            disagreement=case, person=person("nia.nurse"), reason="no-agreement"
        )
    assert stage_of(case) == "stage-1"
    assert list(case.events.values_list("kind", flat=True)) == ["raised"]
    assert AuditEntry.objects.count() == entries


def test_every_change_has_its_audit_entry_in_the_same_transaction(
    partnership: Partnership,
) -> None:
    case = raise_case()
    with transaction.atomic():
        services.disagreement_escalate(
            disagreement=case, person=person("nia.nurse"), reason="no-agreement"
        )
        entry = AuditEntry.objects.filter(disagreement=case).latest("sequence")
        assert entry.action == "case.change"
        assert entry.detail["action"] == "escalated"
        assert entry.detail["record"] == [2, 2]
    assert hooks.registered() == ["reports.spans", "notifications.outbox", "audit.trail"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"raising_agency": SCHOOL},
            "You can only raise a disagreement for an agency you work for: choose your own agency",
        ),
        ({"category": "no-such-category"}, '"no-such-category" is not a kind of disagreement'),
        (
            {"subject_nhs_number": "12345"},
            "Enter a valid NHS number: check it against the record, like 943 476 5919",
        ),
        ({"subject_date_of_birth": date(1900, 1, 1)}, "within the last 120 years"),
        ({"other_agency": HEALTH}, "inside one agency"),
    ],
    ids=["agency", "category", "nhs-number", "date-of-birth", "one-agency"],
)
def test_the_service_checks_the_raise_rules_itself(
    partnership: Partnership, change: dict[str, Any], message: str
) -> None:
    extra = {k: agency(v) if k.endswith("agency") else v for k, v in change.items()}
    with pytest.raises(Refused, match=re.escape(message)):
        raise_case(**extra)
    assert not Disagreement.objects.exists()


def test_the_generator_brings_history_in_through_the_door_which_checks_each_action(
    partnership: Partnership,
) -> None:
    version = partnership.procedures.get(procedure_id="twsp", is_current=True)
    nia = person("nia.nurse")
    record = engine.raise_case(
        selectors.procedure_of(version),
        actor=services.raiser_actor(
            person=nia, procedure_id="twsp", raising_agency=agency(HEALTH),
            other_agency=agency(SOCIAL_CARE),
        ),
        at=version.loaded_at,
    )  # fmt: skip
    escalated = engine.Event(
        EventKind.ESCALATED, version.loaded_at, str(nia.pk), "stage-1",
        {"to_stage": "stage-2", "reason": "no-agreement"},
    )  # fmt: skip
    jumped = engine.Event(
        EventKind.ESCALATED, version.loaded_at, str(nia.pk), "stage-2",
        {"to_stage": "stage-3", "reason": "no-agreement"},
    )  # fmt: skip

    def played(*events: engine.Event) -> services.Played:
        case = Disagreement(
            raised_by=nia, raising_agency=agency(HEALTH), other_agency=agency(SOCIAL_CARE),
            other_professional=person("sam.social"), summary="Generated.",
        )  # fmt: skip
        return services.Played(case, [*record, *events])

    with pytest.raises(Refused, match="case 1 of the import, entry 3 .escalated.: At stage 2"):
        services.disagreements_import(version=version, played=[played(escalated, jumped)])
    assert not Disagreement.objects.exists()

    (made,) = services.disagreements_import(version=version, played=[played(escalated)])
    assert (made.stage, made.version, made.reference) == ("stage-2", 2, "TWSP-000001")
    entry = AuditEntry.objects.get(action="case.import")
    assert entry.partnership_id == partnership.pk and entry.detail["count"] == 1


def test_references_are_numbered_within_each_partnership(partnership: Partnership) -> None:
    first = raise_case()
    other = Partnership.objects.create(name="Otherton", slug="otherton")
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    version = services.procedure_load(
        partnership=other,
        text=type(twsp).objects.values_list("source_text", flat=True).get(pk=twsp.pk),
        source_name="twsp.yaml",
    )
    police = Agency.objects.create(partnership=other, name="Otherton Police")
    school = Agency.objects.create(partnership=other, name="Otherton School")
    teacher = Person.objects.create(partnership=other, name="Otto", email="otto@o.example")
    RoleAssignment.objects.create(person=teacher, agency=school, role="practitioner")

    theirs = services.disagreement_raise(
        procedure=version, raised_by=teacher, raising_agency=school, other_agency=police,
        summary="Not shared.",
    )  # fmt: skip

    # Each partnership counts its own: neither learns the other's volume from a reference.
    assert (first.reference, raise_case().reference) == ("TWSP-000001", "TWSP-000002")
    assert theirs.reference == "TWSP-000001"


def test_each_partnership_opens_its_own_case_by_the_same_reference(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    """References repeat across partnerships, so a case is found by its reference within
    the partnership of whoever asks: page, documents, API and the who-has-looked page."""
    from django.contrib.auth import get_user_model

    ours = raise_case()
    other = Partnership.objects.create(name="Otherton", slug="otherton")
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    version = services.procedure_load(
        partnership=other,
        text=type(twsp).objects.values_list("source_text", flat=True).get(pk=twsp.pk),
        source_name="twsp.yaml",
    )
    police = Agency.objects.create(partnership=other, name="Otherton Police")
    school = Agency.objects.create(partnership=other, name="Otherton School")
    user = get_user_model().objects.create_user("otto", password=None)
    otto = Person.objects.create(partnership=other, name="Otto", email="otto@o.example", user=user)
    RoleAssignment.objects.create(person=otto, agency=school, role="practitioner")
    theirs = services.disagreement_raise(
        procedure=version, raised_by=otto, raising_agency=school, other_agency=police,
        summary="Otherton own summary.",
    )  # fmt: skip
    assert theirs.reference == ours.reference

    for username, summary in (("otto", "Otherton own summary."), ("nia.nurse", ours.summary)):
        page = signed_in(username).get(f"/cases/{ours.reference}/")
        assert page.status_code == 200, username
        assert summary in page.content.decode()
    token = api_token_create(person=otto, name="t", scopes=["read"], days=1)
    answer = Client().get(
        f"/api/v1/disagreements/{ours.reference}",
        HTTP_AUTHORIZATION=f"Bearer {token.secret}",
    )
    assert answer.status_code == 200
    assert answer.json()["summary"] == "Otherton own summary."
    # The demo's administrator looks at the demo's case, not Otherton's.
    viewers = signed_in("ari.admin").get(f"/audit/cases/{ours.reference}/viewers/")
    assert viewers.status_code == 200


def test_no_email_register_or_report_carries_a_sides_note(
    with_private_note: Disagreement, signed_in: Callable[[str], Client]
) -> None:
    from parley.notifications.models import Notification

    mails = Notification.objects.filter(disagreement=with_private_note)
    assert mails.exists()
    for mail in mails:
        assert "PRIVATE" not in mail.subject + mail.body
    ben = signed_in("ben.business")
    register = ben.get("/register.csv")
    assert register.status_code == 200
    assert "PRIVATE" not in b"".join(register.streaming_content).decode("utf-8-sig")
    page = ben.get(f"/cases/{with_private_note.reference}/")
    assert "PRIVATE" not in page.content.decode()  # the business manager is on no side
    assert "Shared: a strategy meeting" in page.content.decode()
