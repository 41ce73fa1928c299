"""Fill the stage rows reports read for every case already recorded (they are kept in
step from now on by the cases app's writes)."""

from django.db import migrations


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from parley.cases.models import ProcedureVersion
    from parley.reports.services import stage_spans_refresh

    stage_spans_refresh(versions=list(ProcedureVersion.objects.all()))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_report_copy_keeps_the_cases_fields"),
        ("cases", "0004_deadline_bulk_fields"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
