"""Back up and restore Parley's database, SQLite or PostgreSQL (docs/deploy.md).

SQLite: SQLite's online backup API copies a consistent snapshot while Parley runs,
into a single database file. PostgreSQL: ``pg_dump --format=custom`` and
``pg_restore --clean --if-exists`` in one transaction, so a failed restore changes
nothing. Both keep the whole schema, including the triggers that make the record
append-only (cases migration 0002), so a restored record still refuses edits.

The connection comes from Django's settings for the alias (``PARLEY_DATABASE_URL``);
the password reaches ``pg_dump`` through its environment, never its command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from parley.private_files import private_file_open

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

# What "holds data" means for restore's safety check: people or partnerships. A newly
# migrated, empty database has neither, and is safe to restore over without --yes.
DATA_TABLES = ("cases_partnership", "auth_user")

# libpq reads these from the environment; Django's OPTIONS use the connection keywords.
_LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


class BackupError(Exception):
    """A backup or restore that could not be done; the message is for the operator."""


def database_backup(
    *, out: Path, replace: bool = False, connection: BaseDatabaseWrapper | None = None
) -> None:
    """Write a backup of the database (Django's default one unless given) to ``out``.

    The backup holds every case, so it is written 0600 (:mod:`parley.private_files`). An
    existing ``out`` is refused unless ``replace``, and is then replaced only once the
    backup is complete.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"There is no folder {out.parent} to write the backup into.")
    if out.exists() and not replace:
        raise BackupError(
            f"There is already a file at {out}. To replace it, run the backup again with --force."
        )
    if connection.vendor == "sqlite":
        _sqlite_backup(connection, out)
    elif connection.vendor == "postgresql":
        _postgres_backup(connection.settings_dict, out)
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def database_restore(
    *, source: Path, replace: bool, connection: BaseDatabaseWrapper | None = None
) -> None:
    """Replace everything in the database (Django's default one unless given) with the
    backup in ``source``. Refuses when the database holds data unless ``replace``."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if connection.vendor == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a backup of a SQLite database.")
    if connection.vendor == "postgresql" and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a backup of a PostgreSQL database (pg_dump).")
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Restoring {connection.vendor} databases is not supported.")
    if not replace:
        held = database_held_data(connection)
        if held:
            raise BackupError(
                f"The database already holds {held}. Restoring replaces everything in it. "
                "To go ahead, run the restore again with --yes."
            )
    if connection.vendor == "sqlite":
        _sqlite_restore(connection, source)
    else:
        connection.close()  # pg_restore --clean drops tables this connection may hold
        _postgres_restore(connection.settings_dict, source)


def database_held_data(connection: BaseDatabaseWrapper) -> str:
    """What the database holds, in words ("2 partnerships and 20 user accounts"), or ""."""
    words = {"cases_partnership": "partnership", "auth_user": "user account"}
    tables = set(connection.introspection.table_names())
    held = []
    with connection.cursor() as cursor:
        for table in DATA_TABLES:
            if table not in tables:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            if count:
                held.append(f"{count} {words[table]}{'' if count == 1 else 's'}")
    return " and ".join(held)


# --- SQLite ---------------------------------------------------------------------------


def _partial(out: Path) -> Path:
    """An empty private file beside ``out`` to write the backup into, then rename."""
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file_open(partial).close()
    return partial


def _sqlite_backup(connection: BaseDatabaseWrapper, out: Path) -> None:
    # Through Django's own connection, so an in-memory database (the tests') works too.
    connection.ensure_connection()
    partial = _partial(out)
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    partial.replace(out)


def _sqlite_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise BackupError("Cannot restore inside a transaction.")
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        integrity = backup.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(f"{source} is damaged: {integrity}")
        backup.backup(connection.connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Could not restore from {source}: {error}") from error
    finally:
        backup.close()


# --- PostgreSQL -----------------------------------------------------------------------


def postgres_environment(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """The libpq environment that connects to the database ``settings_dict`` names."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("PG") and key != "PGPASSFILE")
    }
    named = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    for option, variable in _LIBPQ_ENVIRONMENT.items():
        named[variable] = (settings_dict.get("OPTIONS") or {}).get(option)
    environment.update({key: str(value) for key, value in named.items() if value})
    return environment


def _postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed. Install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client)."
        )
    return found


def _run(command: list[str], settings_dict: Mapping[str, Any]) -> None:
    result = subprocess.run(
        command,
        env=postgres_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise BackupError(
            f"{Path(command[0]).name} failed: {detail[-1] if detail else 'no message'}"
        )


def _postgres_backup(settings_dict: Mapping[str, Any], out: Path) -> None:
    # pg_dump writes into the file made private here, which keeps its mode.
    partial = _partial(out)
    _run([_postgres_tool("pg_dump"), "--format=custom", f"--file={partial}"], settings_dict)
    partial.replace(out)


def _postgres_restore(settings_dict: Mapping[str, Any], source: Path) -> None:
    _run(
        [
            _postgres_tool("pg_restore"),
            "--clean",
            "--if-exists",
            # Owners and grants belong to the server the backup came from.
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={settings_dict['NAME']}",
            str(source),
        ],
        settings_dict,
    )
