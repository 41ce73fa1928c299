"""Appends from many connections at once keep one chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from parley.audit.models import AuditEntry
from parley.audit.services import audit_record, audit_verify

WRITERS = 4
EACH = 25


def _append_many(start: threading.Barrier, problems: list[BaseException], writer: int) -> None:
    try:
        start.wait()
        for n in range(EACH):
            audit_record(action="signin.failed", detail={"username": f"w{writer}-{n}"})
    except BaseException as problem:  # handed to the test, which fails with it
        problems.append(problem)
    finally:
        connection.close()  # each thread has its own connection


# SQLite's in-memory test database is shared between threads through a shared cache,
# whose table locks fail at once instead of waiting; a file database waits on BEGIN
# IMMEDIATE, which is how Parley runs it. The race that matters is PostgreSQL's.
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_writers_racing_each_other_keep_one_unbroken_chain():
    start = threading.Barrier(WRITERS)
    problems: list[BaseException] = []
    threads = [
        threading.Thread(target=_append_many, args=(start, problems, writer))
        for writer in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert problems == []
    result = audit_verify()
    assert (result.ok, result.checked) == (True, WRITERS * EACH)
    assert list(AuditEntry.objects.values_list("sequence", flat=True)) == list(
        range(1, WRITERS * EACH + 1)
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_append_that_loses_the_race_for_a_sequence_reads_the_new_head_and_tries_again():
    from django.db import transaction

    from parley.audit import services

    audit_record(action="signin.failed", detail={"username": "first"})
    real = services._insert_after_head
    attempts = []

    def _append_one() -> None:
        try:
            audit_record(action="signin.failed", detail={"username": "rival"})
        finally:
            connection.close()

    class RivalAfterTheHeadIsRead:
        """A cursor that lets another connection append just after the head was read."""

        def __init__(self, cursor):  # type: ignore[no-untyped-def]
            self.cursor = cursor

        def execute(self, sql, params=None):  # type: ignore[no-untyped-def]
            result = self.cursor.execute(sql, params)
            if sql == services._HEAD_SQL and len(attempts) == 1:
                thread = threading.Thread(target=_append_one)
                thread.start()
                thread.join()
            return result

        def fetchone(self):  # type: ignore[no-untyped-def]
            return self.cursor.fetchone()

    def racing(facts, cursor):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread():
            return real(facts, cursor)  # the rival's own append
        attempts.append(True)
        return real(facts, RivalAfterTheHeadIsRead(cursor))

    services._insert_after_head = racing
    try:
        with transaction.atomic():  # inside a caller's transaction, which must survive
            audit_record(action="signin.failed", detail={"username": "second"})
            assert len(attempts) == 2  # refused once, then after the new head
    finally:
        services._insert_after_head = real
    assert audit_verify().ok
    assert list(AuditEntry.objects.values_list("username", flat=True)) == [
        "first",
        "rival",
        "second",
    ]
