"""Who holds a case now and who holds it next, from the directory's roles."""

from __future__ import annotations

from parley.cases import services
from parley.cases.demo import person
from parley.cases.models import (
    Agency,
    Disagreement,
    Partnership,
    Person,
    ProcedureVersion,
    RoleAssignment,
)
from parley.directory.selectors import holders
from tests.directory.conftest import at, raise_twsp


def names(people: list[Person] | None) -> list[str]:
    assert people is not None
    return [p.name for p in people]


def fresh(case: Disagreement) -> Disagreement:
    return Disagreement.objects.get(pk=case.pk)


def test_at_stage_one_the_practitioners_hold_it_and_their_managers_and_leads_are_next(
    partnership: Partnership, twsp: ProcedureVersion
):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    found = holders(disagreement=fresh(case))
    assert found.now_stage.id == "stage-1"
    assert names(found.now_raising) == ["Nia Evans"]
    assert names(found.now_other) == ["Sam Okafor"]
    assert found.now_informed == []
    assert found.next_stage is not None and found.next_stage.id == "stage-2"
    assert names(found.next_raising) == ["Max Lindqvist", "Priya Raman"]
    assert names(found.next_other) == ["Dana Whitfield", "Lee Harper"]


def test_after_escalation_the_managers_hold_it_and_the_senior_managers_are_next(
    partnership: Partnership, twsp: ProcedureVersion
):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="deadline-passed",
        at=at(2026, 12, 30, 9),
    )  # fmt: skip
    found = holders(disagreement=fresh(case))
    assert found.now_stage.id == "stage-2"
    assert names(found.now_raising) == ["Max Lindqvist", "Priya Raman"]
    assert names(found.now_other) == ["Dana Whitfield", "Lee Harper"]
    # Stage 3 is senior managers and safeguarding leads: one person may hold both roles,
    # and is listed once.
    assert names(found.next_raising) == ["Priya Raman"]
    assert names(found.next_other) == ["Dana Whitfield"]


def test_the_top_of_the_ladder_has_no_next_and_names_those_kept_informed(
    partnership: Partnership, twsp: ProcedureVersion
):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    Disagreement.objects.filter(pk=case.pk).update(stage="stage-5", stage_number=5)
    found = holders(disagreement=fresh(case))
    assert names(found.now_raising) == ["Hal Brennan"]
    assert names(found.now_other) == ["Drew Castellan"]
    # TWSP Appendix 1, stage 5: the Partnership Manager and the TWSP Executive.
    assert names(found.now_informed) == ["Ben Achebe", "Tia Osei"]
    assert found.next_stage is None
    assert found.next_raising is found.next_other is found.next_informed is None


def test_a_role_held_only_for_another_procedure_does_not_count(
    partnership: Partnership, twsp: ProcedureVersion
):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    RoleAssignment.objects.filter(person=person("max.manager")).update(
        procedure_ids=["wirral-children"]
    )
    RoleAssignment.objects.filter(person=person("priya.lead"), role="safeguarding-lead").update(
        procedure_ids=["twsp"]
    )
    found = holders(disagreement=fresh(case))
    assert names(found.next_raising) == ["Priya Raman"]


def test_holders_take_a_flat_number_of_queries(
    partnership: Partnership, twsp: ProcedureVersion, django_assert_num_queries
):
    case = raise_twsp(partnership, twsp, at(2026, 12, 21, 10))
    health = Agency.objects.get(name="Demoshire NHS Foundation Trust")
    for number in range(30):
        extra = Person.objects.create(
            partnership=partnership, name=f"Nurse {number:02d}", email=f"n{number}@example.org"
        )
        RoleAssignment.objects.create(person=extra, agency=health, role="practitioner")
        RoleAssignment.objects.create(person=extra, agency=health, role="line-manager")
    unloaded = fresh(case)
    with django_assert_num_queries(2):  # the case's procedure version, then the roles
        found = holders(disagreement=unloaded)
    # Stage 1's raising practitioner is the person who raised it, not every nurse of Health.
    assert names(found.now_raising) == ["Nia Evans"]
    assert len(names(found.next_raising)) == 32
    loaded = Disagreement.objects.select_related("procedure").get(pk=case.pk)
    with django_assert_num_queries(1):
        holders(disagreement=loaded)
