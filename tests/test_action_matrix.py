"""Who may take which action, through the real door, as a matrix beside the access matrix:
every action × every demo person (each in their own relation to the case: its raising
agency, its other agency, an unrelated agency, partnership-wide, another partnership) ×
every stage of each of the five procedures, open and resolved; on SQLite and PostgreSQL.

Each cell asks the service layer (``services.disagreement_act``) to take the action,
inside a savepoint that is rolled back, and compares what it did with the reference of
``tests/core/test_action_matrix.py``: the procedure file's own word on who acts where,
applied to the person's roles in the directory. The API's ``your_actions`` and the case
page's offer must be what the door allows, for the same person at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from parley.cases import selectors, services
from parley.cases.demo import DEMO_SLUG, demo_load, person
from parley.cases.models import Agency, Disagreement, Partnership, Person, RoleAssignment
from parley.core import engine
from parley.core.engine import EVENTS, EventKind, Refused
from tests import ladder
from tests.core.test_action_matrix import OTHER_PARTY, RAISER, expected
from tests.core.test_action_matrix import Person as Holding

LONDON = ZoneInfo("Europe/London")
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
HEALTH = "Demoshire NHS Foundation Trust"
SOCIAL_CARE = "Demoshire Council Children's Services"
START = datetime(2026, 11, 2, 10, tzinfo=LONDON)
# A refusal that says the action is not this person's: the one gate's words.
NOT_YOURS = (
    "It is not yours to do at this stage",
    "only the people taking part in this disagreement",
    "Only the person who raised the disagreement",
    "is recorded by Parley itself",
    "is not something anyone does at",
    "a form of this disagreement was sent to",
    "only an adviser asked about this disagreement",
    "no side route of this disagreement is yours to take",
)


@pytest.fixture(scope="module")
def cases(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Disagreement]]:
    """A case at every stage of each shipped procedure, taken there through the door by
    whoever the procedure names, and one resolved case of each; loaded once for the
    module and rolled back after it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            partnership = demo_load(with_cases=False)
            yield dict(_cases(partnership))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _cases(partnership: Partnership) -> Iterator[tuple[str, Disagreement]]:
    other = Partnership.objects.create(name="Otherton", slug="otherton-matrix")
    user = get_user_model().objects.create_user("oz.matrix", password="x" * 16)
    oz = Person.objects.create(user=user, partnership=other, name="Oz", email="oz@o.example")
    RoleAssignment.objects.create(person=oz, role="business-manager")
    for procedure_id in SHIPPED:
        version = partnership.procedures.get(procedure_id=procedure_id, is_current=True)
        procedure = selectors.procedure_of(version)
        track = procedure.track()
        for stage in track.stages:
            case = services.disagreement_raise(
                procedure=version, raised_by=person("nia.nurse"),
                raising_agency=Agency.objects.get(name=HEALTH),
                other_agency=Agency.objects.get(name=SOCIAL_CARE),
                other_professional=person("sam.social"), summary="A matrix case.", at=START,
                informal=stage.informal,
            )  # fmt: skip
            ladder.climb(case, stage.id, at=START)
            yield f"{procedure_id}/{stage.id}/open", case
        ladder.act_as_holder(
            case, EventKind.RESOLVED, at=START + timedelta(days=60), outcome="Agreed.",
            outstanding="None",
        )  # fmt: skip
        yield f"{procedure_id}/{stage.id}/resolved", case


def holdings(someone: Person, case: Disagreement) -> list[Holding]:
    """The person's relation to the case, as the reference reads it."""
    found = []
    if someone.pk == case.raised_by_id:
        found.append(Holding(someone.name, RAISER))
    if someone.pk == case.other_professional_id:
        found.append(Holding(someone.name, OTHER_PARTY))
    limits = selectors.procedure_of(case.procedure).id
    for a in RoleAssignment.objects.filter(person=someone):
        if a.procedure_ids and limits not in a.procedure_ids:
            continue
        if a.agency_id is None and someone.partnership_id == case.partnership_id:
            found.append(Holding(someone.name, "partnership", a.role))
        elif a.agency_id == case.raising_agency_id:
            found.append(Holding(someone.name, "raising", a.role))
        elif a.agency_id == case.other_agency_id:
            found.append(Holding(someone.name, "other", a.role))
    return found


def fields_for(kind: EventKind, case: Disagreement) -> dict[str, Any]:
    procedure = selectors.procedure_of(case.procedure)
    state = selectors.disagreement_state(case)
    fields: dict[str, Any] = {
        "text": "Recorded for the matrix.", "reason": "no-agreement", "outcome": "Agreed.",
        "outstanding": "None", "filename": "letter.pdf",
    }  # fmt: skip
    if kind is EventKind.BYPASSED:
        fields["to_stage"] = next(iter(engine.bypass_targets(procedure, state)), "stage-9")
        fields["reason"] = "Urgent."
    if kind is EventKind.IMMEDIATE_RISK_DECLARED:
        fields["to_stage"] = next(iter(engine.immediate_targets(procedure, state)), "")
    if kind is EventKind.WITHDRAWN:
        fields["reason"] = "Sorted."
    if kind is EventKind.FORM_ACKNOWLEDGED:
        fields["form"] = next((f.id for f in engine.forms_sent(procedure, state)), "")
    if kind is EventKind.LIMIT_SHORTENED:
        fields["due"] = (START + timedelta(days=90)).date().isoformat()
    if kind is EventKind.PRIORITY_SET:
        fields["priority"] = "urgent"
    return fields


def attempt(case: Disagreement, someone: Person, kind: EventKind) -> str:
    """What the door does: "taken", "not yours" (the gate), or "refused" (another rule)."""
    try:
        with transaction.atomic():
            rows = services.disagreement_act(
                disagreement=case, person=someone, kind=kind, at=START + timedelta(days=90),
                **fields_for(kind, case),
            )  # fmt: skip
            assert [row.kind for row in rows] == [kind.value]
            transaction.set_rollback(True)
    except Refused as refused:
        return "not yours" if any(w in refused.reason for w in NOT_YOURS) else "refused"
    return "taken"


def everyone() -> list[Person]:
    return list(
        Person.objects.filter(partnership__slug__in=[DEMO_SLUG, "otherton-matrix"]).order_by("name")
    )


@pytest.mark.django_db
def test_the_door_takes_exactly_what_the_procedure_gives_each_person_at_each_stage(
    cases: dict[str, Disagreement],
) -> None:
    wrong: list[str] = []
    cells = taken = 0
    people = everyone()
    for where, case in cases.items():
        case.refresh_from_db()
        procedure = selectors.procedure_of(case.procedure)
        state = selectors.disagreement_state(case)
        for someone in people:
            held = holdings(someone, case)
            for kind in EventKind:
                if state.status not in EVENTS[kind].statuses:
                    continue
                want = any(expected(procedure, state, h, kind) for h in held)
                got = attempt(case, someone, kind)
                cells += 1
                taken += got == "taken"
                if want and got == "not yours" or not want and got != "not yours":
                    wrong.append(f"{where} {someone.name} {kind.value}: door {got}, file {want}")
    assert not wrong, "\n".join(wrong[:40])
    assert len(cases) >= 29 and cells > 7500 and taken > 500
    print(f"action matrix (door): {cells} cells over {len(cases)} cases, {taken} taken")


@pytest.mark.django_db
def test_the_api_and_the_case_page_offer_only_what_the_door_takes(
    cases: dict[str, Disagreement], signed_in: Any, client: Any
) -> None:
    from parley.api.tokens import api_token_create
    from parley.web.views_cases import ACTION_BY_KIND

    checked = 0
    for where, case in list(cases.items())[::4]:
        case.refresh_from_db()
        for someone in everyone():
            if someone.user is None or someone.partnership.slug != DEMO_SLUG:
                continue
            token = api_token_create(person=someone, name="m", scopes=["read"], days=1).secret
            answer = client.get(
                f"/api/v1/disagreements/{case.reference}",
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code == 404:
                continue  # no sight, so nothing offered; the access matrix covers it
            offered = {EventKind(k) for k in answer.json()["your_actions"]}
            page = signed_in(someone.user.username).get(f"/cases/{case.reference}/")
            html = page.content.decode()
            for kind in EventKind:
                action = ACTION_BY_KIND.get(kind)
                if kind is EventKind.EVIDENCE_ATTACHED:
                    continue  # a file: attached on the page, not through the API
                if action is not None and f"/{action.slug}/" in html:
                    assert kind in offered, (where, someone.name, kind)
            for kind in offered:
                checked += 1
                with transaction.atomic():
                    sid = transaction.savepoint()
                    try:
                        services.disagreement_act(
                            disagreement=case, person=someone, kind=kind,
                            **fields_for(kind, case),
                        )  # fmt: skip
                    except Refused as refused:
                        assert not any(w in refused.reason for w in NOT_YOURS), (
                            where, someone.name, kind, refused.reason,
                        )  # fmt: skip
                    transaction.savepoint_rollback(sid)
    assert checked > 100
