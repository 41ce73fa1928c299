"""The audit trail is append-only in the database itself.

Django refuses to update or delete audit entries and checkpoints; these triggers make
the database refuse too. Unlike a disagreement's record there is no purge: the trail is
never deleted by Parley.

PostgreSQL refuses every UPDATE and DELETE. (TRUNCATE fires no row trigger; the test
runner empties its database that way. Someone who truncates the live trail is found by
``parley audit verify`` against the head the operator kept.)

SQLite refuses every UPDATE, and every DELETE unless ``cases_purge_permit`` holds a row:
the test runner empties SQLite with DELETE and grants that permit for it. No code path
in Parley deletes audit rows, and SQLite is for development only.
"""

from django.db import migrations

TABLES = {"audit_auditentry": "audit_entry", "audit_auditcheckpoint": "audit_checkpoint"}
MESSAGE = "the audit trail cannot be changed or deleted"


def sqlite_forward():
    for table, name in TABLES.items():
        yield f"""CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        yield f"""CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {table}
        WHEN NOT EXISTS (SELECT 1 FROM cases_purge_permit)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""


def sqlite_backward():
    for name in TABLES.values():
        yield f"DROP TRIGGER IF EXISTS {name}_no_update"
        yield f"DROP TRIGGER IF EXISTS {name}_no_delete"


def postgres_forward():
    yield f"""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}';
    END; $$ LANGUAGE plpgsql"""
    for table, name in TABLES.items():
        yield f"""CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()"""


def postgres_backward():
    for table, name in TABLES.items():
        yield f"DROP TRIGGER IF EXISTS {name}_append_only ON {table}"
    yield "DROP FUNCTION IF EXISTS audit_append_only()"


def forward(apps, schema_editor):
    statements = {"sqlite": sqlite_forward, "postgresql": postgres_forward}
    for statement in statements.get(schema_editor.connection.vendor, tuple)():
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"sqlite": sqlite_backward, "postgresql": postgres_backward}
    for statement in statements.get(schema_editor.connection.vendor, tuple)():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_audit_trail"),
        # The SQLite delete trigger reads cases_purge_permit, created there.
        ("cases", "0002_event_append_only_triggers"),
    ]
    operations = [migrations.RunPython(forward, backward)]
