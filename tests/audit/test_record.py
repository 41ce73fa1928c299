"""Recording: who, when, from where, what; and never an unaudited page."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from parley.audit.chain import GENESIS, link_hash
from parley.audit.models import AuditEntry
from parley.audit.services import audit_record, audit_verify, client_ip
from parley.cases.demo import person
from tests.audit.helpers import web_request

pytestmark = pytest.mark.django_db


def test_a_view_records_the_person_the_case_and_where_it_came_from(case):
    request = web_request(
        "nia.nurse", path=f"/cases/{case.reference}/", ip="192.0.2.44", agent="Firefox/130"
    )
    audit_record(action="case.view", request=request, disagreement=case)
    raised, entry = AuditEntry.objects.order_by("sequence")
    assert (raised.action, entry.sequence) == ("case.raise", 2)
    assert entry.action == "case.view"
    assert entry.person == person("nia.nurse")
    assert entry.username == "nia.nurse"
    assert entry.partnership_id == case.partnership_id
    assert entry.disagreement == case
    assert entry.reference == case.reference
    assert entry.ip_address == "192.0.2.44"
    assert entry.user_agent == "Firefox/130"
    assert entry.path == f"/cases/{case.reference}/"
    assert entry.method == "GET"
    assert raised.previous_hash == GENESIS
    assert entry.previous_hash == raised.hash
    assert entry.hash == link_hash(entry.link())


def test_each_entry_commits_to_the_one_before(trail):
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.previous_hash == before.hash
    assert audit_verify().ok


def test_a_failed_sign_in_keeps_the_username_as_typed_and_no_person(partnership):
    request = web_request(None, path="/sign-in/", method="post")
    audit_record(
        action="signin.failed", request=request, detail={"username": "Nia.Nurse ", "why": "x"}
    )
    entry = AuditEntry.objects.get()
    # The account's partnership, so its administrators see the attempt; not the person,
    # since whoever typed it may not be them.
    assert (entry.person, entry.username, entry.partnership) == (None, "Nia.Nurse ", partnership)
    assert entry.detail == {"why": "x"}


@pytest.mark.parametrize("typed", ["no.such.person", "", "  "])
def test_a_failed_sign_in_as_nobody_known_belongs_to_no_partnership(partnership, typed):
    audit_record(action="signin.failed", request=web_request(None), detail={"username": typed})
    assert AuditEntry.objects.get().partnership is None


def test_a_known_person_given_without_a_request_is_recorded_with_their_partnership(case):
    audit_record(action="role.change", person=person("ari.admin"), detail={"role": "x"})
    entry = AuditEntry.objects.latest("sequence")
    assert entry.person == person("ari.admin")
    assert entry.username == "ari.admin"
    assert entry.partnership_id == case.partnership_id
    assert (entry.ip_address, entry.path, entry.method) == ("", "", "")


def test_the_query_string_is_not_recorded_since_it_can_carry_names(case):
    audit_record(action="register.view", request=web_request("ari.admin", path="/r/?q=Child+A"))
    assert AuditEntry.objects.latest("sequence").path == "/r/"


@pytest.mark.parametrize(
    "bad",
    [
        {"action": "no.such.action"},
        {"action": "case.view", "detail": ["not", "a", "mapping"]},
        {"action": "case.view", "detail": {"float": float("nan"), "obj": object()}},
        {"action": "case.view", "person": "not a person"},
        {"action": "case.view", "disagreement": 42},
        {"action": "x" * 500},
    ],
)
def test_odd_input_is_recorded_as_well_as_it_can_be_and_never_raises(partnership, bad):
    audit_record(request=web_request("nia.nurse"), **bad)
    assert AuditEntry.objects.count() == 1
    assert audit_verify().ok


def test_a_request_that_cannot_be_read_still_leaves_an_entry(partnership):
    class Broken:
        @property
        def user(self):
            raise RuntimeError("session store is down")

    audit_record(action="case.view", request=Broken(), person=person("nia.nurse"))  # type: ignore[arg-type]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.person, entry.partnership) == (
        "case.view",
        person("nia.nurse"),
        partnership,
    )
    assert entry.detail == {"problem": "the request could not be read"}


def test_headers_that_cannot_be_stored_as_they_are_are_cleaned(partnership):
    request = web_request(
        "nia.nurse", ip="not an address", agent="A\x00B" + "é" * 400, path="/\U0001f600/"
    )
    audit_record(action="case.view", request=request, detail={"big": 1e20, "nul": "\x00"})
    entry = AuditEntry.objects.get()
    assert entry.ip_address == ""
    assert entry.user_agent == ("AB" + "é" * 400)[:300]
    assert entry.path == "/\U0001f600/"
    assert audit_verify().ok  # what came back from the database hashes as written


def test_a_failed_write_raises_so_the_page_is_not_shown(partnership):
    from django.db import connection

    def disk_full(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith("INSERT") and AuditEntry._meta.db_table in sql:
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(disk_full), pytest.raises(DatabaseError):
        audit_record(action="case.view", request=web_request("nia.nurse"))
    assert not AuditEntry.objects.exists()


def test_an_entry_costs_one_read_of_the_head_and_one_insert(partnership, django_assert_num_queries):
    someone = person("nia.nurse")
    audit_record(action="case.view", person=someone)  # the first entry has no head to read
    from django.db import connection

    # No lock on either database; a savepoint pair inside the test's own transaction.
    assert connection.in_atomic_block
    with django_assert_num_queries(2 + 2):
        audit_record(action="case.view", person=someone)


# --- the client's address ---------------------------------------------------------------


def test_the_address_is_remote_addr_and_a_forwarded_header_is_ignored_by_default(settings):
    settings.PARLEY_TRUSTED_PROXY_COUNT = 0
    meta = {"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_ip(meta) == "10.1.1.1"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client wrote the first address itself; our one proxy appended the second.
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        # Fewer addresses than proxies: the header is not what our proxies write.
        (2, "203.0.113.9", "10.1.1.1"),
        (1, "", "10.1.1.1"),
        (1, "not-an-address", "10.1.1.1"),
        (1, "2001:DB8::0:1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_address_is_the_one_the_outermost_proxy_saw(
    settings, count, forwarded, expected
):
    settings.PARLEY_TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta) == expected
