"""Prepared queries answer exactly as the plain querysets they were compiled from."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from parley.accounts.backends import _USER_WITH_PERSON
from parley.cases import access
from parley.cases.demo import demo_load
from parley.cases.models import Disagreement, Event, Person, RoleAssignment
from parley.cases.selectors import _RECORD_OF
from parley.dbprepared import NotPreparable, Prepared
from parley.directory.selectors import _HOLDERS

pytestmark = pytest.mark.django_db


def _same(prepared: list, plain: list) -> None:
    """The same rows, in the same order, with the same values, related objects included."""
    assert [o.pk for o in prepared] == [o.pk for o in plain]
    for a, b in zip(prepared, plain, strict=True):
        assert type(a) is type(b)
        for field in type(a)._meta.concrete_fields:
            if field.attname in a.get_deferred_fields():
                continue
            assert getattr(a, field.attname) == getattr(b, field.attname), field.name


@pytest.fixture
def partnership():
    return demo_load()


def test_the_case_by_reference_with_its_procedure_agencies_and_people(partnership):
    for case in Disagreement.objects.filter(partnership=partnership):
        prepared = access._CASE_BY_REFERENCE(
            reference=case.reference, partnership_id=partnership.pk
        )
        plain = list(
            Disagreement.objects.select_related(
                "procedure", "partnership", "raising_agency", "other_agency", "raised_by",
                "other_professional",
            ).filter(reference=case.reference, partnership=partnership)
        )  # fmt: skip
        _same(prepared, plain)
        for name in ("procedure", "partnership", "raising_agency", "other_agency", "raised_by"):
            _same([getattr(prepared[0], name)], [getattr(plain[0], name)])
        if plain[0].other_professional_id is None:
            assert prepared[0].other_professional is None
        else:
            _same([prepared[0].other_professional], [plain[0].other_professional])
    assert access._CASE_BY_REFERENCE(reference="NOT-A-CASE", partnership_id=partnership.pk) == []


def test_a_record_oldest_first_with_who_did_each_thing(partnership):
    for case in Disagreement.objects.filter(partnership=partnership):
        prepared = _RECORD_OF(disagreement_id=case.pk)
        plain = list(Event.objects.filter(disagreement=case).order_by("sequence"))
        _same(prepared, plain)
        for event in prepared:
            assert event.actor == (
                Person.objects.get(pk=event.actor_id) if event.actor_id else None
            )
            assert isinstance(event.data, dict)  # JSON converted back, on SQLite as well
            assert event.at.tzinfo is not None


def test_roles_and_holders_with_lists_of_any_length(partnership):
    for person in Person.objects.filter(partnership=partnership):
        _same(
            sorted(access._ROLES_OF_PERSON(person_id=person.pk), key=lambda a: a.pk),
            list(RoleAssignment.objects.filter(person=person).order_by("pk")),
        )
    agencies = list(partnership.agencies.values_list("pk", flat=True))
    every_role = sorted(set(RoleAssignment.objects.values_list("role", flat=True)))
    for roles in ([], every_role[:1], every_role):
        prepared = _HOLDERS(agencies=agencies[:2], partnership_id=partnership.pk, roles=roles)
        plain = RoleAssignment.objects.filter(
            person__partnership_id=partnership.pk, role__in=roles
        ).filter(agency_id__in=agencies[:2]) | RoleAssignment.objects.filter(
            person__partnership_id=partnership.pk, role__in=roles, agency__isnull=True
        )
        _same(sorted(prepared, key=lambda a: a.pk), list(plain.order_by("pk")))
        assert all(a.person.pk == a.person_id for a in prepared)
    assert _HOLDERS(agencies=[], partnership_id=partnership.pk, roles=every_role)


def test_the_signed_in_user_with_their_person(partnership):
    for user in get_user_model().objects.all():
        (found,) = _USER_WITH_PERSON(pk=user.pk)
        assert found == user and found.password == user.password
        assert access.person_of_user(found) == Person.objects.filter(user=user).first()


def test_values_are_parameters_never_sql():
    hostile = "x' OR '1'='1"
    assert access._CASE_BY_REFERENCE(reference=hostile, partnership_id=1) == []


def test_a_query_whose_values_do_not_reach_the_sql_unchanged_is_refused():
    contains = Prepared(lambda text: Disagreement.objects.filter(summary__contains=text))
    with pytest.raises(NotPreparable):
        contains(text="anything")
    with pytest.raises(NotPreparable):
        Prepared(lambda pk: Disagreement.objects.filter(pk=pk))(pk=True)
    with pytest.raises(NotPreparable):
        Prepared(lambda pk: Disagreement.objects.filter(pk=pk))(pk=1.5)  # type: ignore[arg-type]


def test_rows_of_values_come_back_as_the_plain_values_list_gives_them(partnership):
    fields = ("reference", "raised_at", "next_due_at", "raising_agency__name")
    rows = Prepared(
        lambda partnership_id: (
            Disagreement.objects.filter(partnership_id=partnership_id)
            .order_by("pk")
            .values_list(*fields)
        )
    )(partnership_id=partnership.pk)
    plain = list(
        Disagreement.objects.filter(partnership=partnership).order_by("pk").values_list(*fields)
    )
    assert rows == plain and rows and all(r[1].tzinfo is not None for r in rows)
    with pytest.raises(NotPreparable):
        Prepared(lambda pk: Disagreement.objects.filter(pk=pk).values("reference"))(pk=1)
