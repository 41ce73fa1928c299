"""The report copy of a case keeps the case's own fields the board report groups by."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_deadline_bulk_fields"),
        ("reports", "0001_learning_log_settings_and_stage_spans"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportcase",
            name="category",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="reportcase",
            name="closed_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="reportcase",
            name="highest_stage_number",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="reportcase",
            name="other_agency",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.agency",
            ),
        ),
        migrations.AddField(
            model_name="reportcase",
            name="raised_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="reportcase",
            name="raising_agency",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.agency",
            ),
        ),
    ]
