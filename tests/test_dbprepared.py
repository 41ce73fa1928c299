"""Prepared queries answer exactly as the plain querysets they were compiled from."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from parley import dbprepared
from parley.accounts.backends import _USER_WITH_PERSON
from parley.cases import access
from parley.cases.demo import demo_load
from parley.cases.models import (
    Agency,
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
    RoleAssignment,
)
from parley.cases.selectors import _RECORD_OF
from parley.dbprepared import NotPreparable, Prepared
from parley.directory.selectors import _HOLDERS
from parley.notifications.models import Notification

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
        lambda partnership_id: Disagreement.objects.filter(partnership_id=partnership_id).order_by(
            "pk"
        ),
        columns=fields,
    )(partnership_id=partnership.pk)
    plain = list(
        Disagreement.objects.filter(partnership=partnership).order_by("pk").values_list(*fields)
    )
    assert rows == plain and rows and all(r[1].tzinfo is not None for r in rows)
    with pytest.raises(NotPreparable):
        Prepared(
            lambda pk: Disagreement.objects.filter(pk=pk),
            columns=("reference",),
            related=("procedure",),
        )


def test_a_field_of_a_kind_it_cannot_read_is_refused_when_first_prepared():
    """A notification's key is a UUID, which the database gives as it stores it: the read
    is refused rather than answering with a value the ORM would not give."""
    with pytest.raises(NotPreparable, match="UUIDField"):
        Prepared(lambda pk: Notification.objects.filter(pk=pk))(pk=1)


def test_every_page_of_a_list_runs_one_statement_with_its_window_as_values(partnership):
    pages = Prepared(
        lambda partnership_id: Event.objects.filter(
            disagreement__partnership_id=partnership_id
        ).order_by("pk"),
        columns=("pk", "kind"),
    )
    plain = list(
        Event.objects.filter(disagreement__partnership=partnership)
        .order_by("pk")
        .values_list("pk", "kind")
    )
    assert len(plain) >= 4
    for offset, limit in ((0, 2), (2, 2), (3, 50), (len(plain), 5)):
        found = pages(window=(offset, limit), partnership_id=partnership.pk)
        assert found == plain[offset : offset + limit]
    assert len(pages._compiled) == 1  # one statement whatever the page
    with pytest.raises(NotPreparable):
        pages(window=(-1, 2), partnership_id=partnership.pk)
    sliced = Prepared(lambda pk: Disagreement.objects.filter(pk__gte=pk).order_by("pk")[:3])
    with pytest.raises(NotPreparable):
        sliced(window=(0, 2), pk=1)


def test_the_cache_of_statements_is_safe_to_share_between_threads(monkeypatch):
    """One thread finds a statement while another compiles a new one and trims the cache:
    the first must still run what it found (before the lock: a KeyError)."""
    monkeypatch.setattr(dbprepared, "_LAYOUTS_KEPT", 1)
    monkeypatch.setattr(Prepared, "_run", staticmethod(lambda compiled, values: []))
    by_pks = Prepared(lambda pks: Disagreement.objects.filter(pk__in=pks))
    by_pks(pks=[1])
    failures: list[BaseException] = []

    def other() -> None:
        try:
            by_pks(pks=[1, 2])  # a new shape: compiled, and the one found above trimmed
        except BaseException as error:  # pragma: no cover - the failure this test is for
            failures.append(error)

    class Interleaved(OrderedDict):
        started = False

        def get(self, key, default=None):
            found = super().get(key, default)
            if not Interleaved.started:
                Interleaved.started = True
                thread = threading.Thread(target=other)
                thread.start()
                thread.join(timeout=0.5)  # with the lock, the other thread waits for us
                threads.append(thread)
            return found

    threads: list[threading.Thread] = []
    by_pks._compiled = Interleaved(by_pks._compiled)
    try:
        by_pks(pks=[3])
    except BaseException as error:
        failures.append(error)
    for thread in threads:
        thread.join(timeout=5)
    assert failures == []


# The models the project's prepared reads read, with every kind of field among them (big
# and small integers, text, times, dates, booleans, JSON, keys). What this module relies on
# is Django's public API and how each database gives each kind of value to a cursor: an
# upgrade of Django, psycopg or SQLite that changed either fails here first, before a page
# answers wrongly (ADR 0013).
READ_BY_PREPARED = (
    Disagreement,
    Event,
    Deadline,
    RoleAssignment,
    Person,
    Agency,
    Partnership,
    ProcedureVersion,
    TOTPDevice,
    StaticDevice,
)


def test_every_field_of_every_model_read_comes_back_as_the_orm_reads_it(partnership):
    user = get_user_model().objects.create_user("prepared.check", password="x" * 16)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    StaticDevice.objects.create(user=user, name="codes")
    kinds = set()
    for model in (*READ_BY_PREPARED, get_user_model()):
        plain = list(model.objects.order_by("pk"))
        assert plain, model
        everything = Prepared(lambda model=model: model.objects.order_by("pk"))()
        _same(everything, plain)
        kinds |= {type(f).__name__ for f in model._meta.concrete_fields}
    assert {
        "BigAutoField", "AutoField", "BigIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "CharField", "TextField", "DateTimeField", "DateField",
        "BooleanField", "JSONField", "ForeignKey", "OneToOneField",
    } <= kinds  # fmt: skip


def test_preparing_sends_nothing_to_the_database(partnership):
    """The statement is caught by the execute wrapper before it reaches the database; only
    running it does."""
    read = Prepared(lambda reference: Disagreement.objects.filter(reference=reference))
    seen: list[str] = []

    def count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        seen.append(sql)  # it reached the database
        return result

    with connection.execute_wrapper(count):
        read._compile(dbprepared._NO_LAYOUT, (("reference", (str, None)),))
        assert seen == []
        assert read(reference="NOT-A-CASE") == []
    assert len(seen) == 1


def test_people_whose_sight_differs_only_in_agencies_and_stages_share_one_statement(partnership):
    """A person's sight is a statement's layout by its shape; which versions, agencies and
    stages it names are values (before, each person's sight was a statement of its own)."""
    seen = Prepared(
        lambda shape, person_id, **sight: Disagreement.objects.filter(
            access.Sight.q_of(shape, person_id, **sight)
        ).order_by("pk")
    )
    versions = sorted(v.pk for v in ProcedureVersion.objects.filter(partnership=partnership))
    agencies = sorted(partnership.agencies.values_list("pk", flat=True))
    person = Person.objects.filter(partnership=partnership).first()
    assert person is not None and len(agencies) >= 3
    for n, agency in enumerate(agencies[:3]):
        sight = access.Sight(
            tuple(versions[:1]),
            (
                (versions[0], "raising_agency", agency, 1 + n),
                (versions[-1], access.UNNAMED, agency, 2),
                (versions[-1], access.URGENT, 0, 0),
                (versions[-1], "", 0, 3 - n),
            ),
        )
        found = seen(layout=sight.shape(), person_id=person.pk, **sight.values())
        plain = list(Disagreement.objects.filter(sight.q(person.pk)).order_by("pk"))
        assert [c.pk for c in found] == [c.pk for c in plain]
    assert len(seen._compiled) == 1
