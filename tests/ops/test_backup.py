"""``parley backup`` and ``parley restore``: a round trip keeps every row and the record's
append-only triggers, and restore will not silently overwrite a database in use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.module_loading import import_string

from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cli import main
from parley.ops.backup import BackupError, database_backup, database_restore, postgres_environment

LONDON = ZoneInfo("Europe/London")


def _demo_with_a_case() -> int:
    partnership = demo_load(with_cases=False)
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    case = services.disagreement_raise(
        procedure=twsp,
        raised_by=person("nia.nurse"),
        raising_agency=partnership.agencies.get(name__startswith="Demoshire NHS"),
        other_agency=partnership.agencies.get(name__startswith="Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary="Case closed after one visit despite unexplained bruising.",
        at=datetime(2026, 12, 1, 10, tzinfo=LONDON),
    )
    services.disagreement_escalate(
        disagreement=case,
        person=person("nia.nurse"),
        reason="no-agreement",
        at=datetime(2026, 12, 2, 10, tzinfo=LONDON),
    )
    return case.pk


def _row_counts(db: BaseDatabaseWrapper) -> dict[str, int]:
    counts = {}
    with db.cursor() as cursor:
        for table in sorted(db.introspection.table_names()):
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _events(db: BaseDatabaseWrapper, case_pk: int) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT sequence, kind, at, stage FROM cases_event "
            "WHERE disagreement_id = %s ORDER BY sequence",
            [case_pk],
        )
        return list(cursor.fetchall())


def _wrapper(name: str) -> BaseDatabaseWrapper:
    """A connection like the default one, to another database."""
    settings_dict = {**connection.settings_dict, "NAME": name}
    backend = import_string(f"{settings_dict['ENGINE']}.base.DatabaseWrapper")
    return backend(settings_dict, alias=f"scratch-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[BaseDatabaseWrapper]:
    """An empty database of the same kind as the test one, dropped afterwards."""
    if connection.vendor == "sqlite":
        scratch = _wrapper(str(tmp_path / "fresh.sqlite3"))
        yield scratch
        scratch.close()
        return
    import psycopg

    # A name of our own, so it never clashes with the test database or another run.
    name = f"parley_restore_{uuid.uuid4().hex[:12]}"
    maintenance = postgres_environment({**connection.settings_dict, "NAME": "postgres"})
    conninfo = " ".join(
        f"{key}={maintenance[variable]}"
        for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"))
        if variable in maintenance
    )
    password = connection.settings_dict.get("PASSWORD") or None
    with psycopg.connect(conninfo, dbname="postgres", password=password, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    scratch = _wrapper(name)
    try:
        yield scratch
    finally:
        scratch.close()
        with psycopg.connect(conninfo, dbname="postgres", password=password, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_has_every_row_and_the_same_case_record(
    transactional_db, tmp_path, fresh_database
):
    case_pk = _demo_with_a_case()
    backup = tmp_path / "parley.backup"

    database_backup(out=backup)
    database_restore(source=backup, replace=False, connection=fresh_database)

    assert _row_counts(fresh_database) == _row_counts(connection)
    assert _row_counts(fresh_database)["cases_disagreement"] == 1
    restored_events = _events(fresh_database, case_pk)
    assert [kind for _, kind, _, _ in restored_events] == ["raised", "escalated"]
    assert restored_events == _events(connection, case_pk)


def test_the_restored_record_still_refuses_to_be_edited(transactional_db, tmp_path, fresh_database):
    _demo_with_a_case()
    backup = tmp_path / "parley.backup"
    database_backup(out=backup)
    database_restore(source=backup, replace=False, connection=fresh_database)

    for statement in ("UPDATE cases_event SET kind = 'resolved'", "DELETE FROM cases_event"):
        with pytest.raises(DatabaseError), fresh_database.cursor() as cursor:
            cursor.execute(statement)
        if fresh_database.vendor == "postgresql":
            fresh_database.rollback()
    assert _row_counts(fresh_database)["cases_event"] == 2


def test_restore_refuses_a_database_that_holds_data_without_yes(transactional_db, tmp_path):
    _demo_with_a_case()
    backup = tmp_path / "parley.backup"
    database_backup(out=backup)

    with pytest.raises(BackupError, match=r"already holds 1 partnership and \d+ user accounts"):
        database_restore(source=backup, replace=False)
    with pytest.raises(BackupError, match="--yes"):
        database_restore(source=backup, replace=False)


def test_restore_refuses_a_file_that_is_not_a_backup_for_this_database(db, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")

    with pytest.raises(BackupError, match="is not a backup of a"):
        database_restore(source=not_a_backup, replace=True)


def test_restore_says_plainly_when_the_file_is_missing(db, tmp_path, capsys):
    assert main(["restore", str(tmp_path / "missing.backup")]) == 1
    assert "There is no backup file at" in capsys.readouterr().err


def test_backup_without_out_is_a_usage_error(capsys):
    assert main(["backup"]) == 2
    assert "--out" in capsys.readouterr().err


def test_the_commands_back_up_and_refuse_to_overwrite(transactional_db, tmp_path, capsys):
    _demo_with_a_case()
    backup = tmp_path / "parley.backup"

    assert main(["backup", "--out", str(backup)]) == 0
    assert backup.stat().st_size > 0
    assert main(["restore", str(backup)]) == 1
    assert "run the restore again with --yes" in capsys.readouterr().err
