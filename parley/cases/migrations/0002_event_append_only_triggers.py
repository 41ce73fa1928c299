"""The record of a disagreement is append-only in the database itself.

Django refuses updates and deletes of ``Event`` rows; these triggers make the database
refuse them too, so not even a raw SQL session can quietly edit the record. Updates are
always refused. Deletes are refused unless the transaction holds a purge permit: the one
sanctioned path, used when data passes its retention period (``services.record_purge``),
and audited there. On PostgreSQL the permit is a transaction-local setting; SQLite has
no such settings, so there it is a row in ``cases_purge_permit`` for the transaction.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TABLE cases_purge_permit (id INTEGER PRIMARY KEY)",
    """CREATE TRIGGER cases_event_no_update BEFORE UPDATE ON cases_event
    BEGIN SELECT RAISE(ABORT, 'the record of a disagreement cannot be changed'); END""",
    """CREATE TRIGGER cases_event_no_delete BEFORE DELETE ON cases_event
    WHEN NOT EXISTS (SELECT 1 FROM cases_purge_permit)
    BEGIN SELECT RAISE(ABORT, 'the record of a disagreement cannot be deleted'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_event_no_update",
    "DROP TRIGGER IF EXISTS cases_event_no_delete",
    "DROP TABLE IF EXISTS cases_purge_permit",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION cases_event_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('parley.purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the record of a disagreement cannot be changed or deleted';
    END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER cases_event_append_only BEFORE UPDATE OR DELETE ON cases_event
    FOR EACH ROW EXECUTE FUNCTION cases_event_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_event_append_only ON cases_event",
    "DROP FUNCTION IF EXISTS cases_event_append_only()",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_disagreements_and_their_record")]
    operations = [migrations.RunPython(forward, backward)]
