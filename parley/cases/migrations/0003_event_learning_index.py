"""A small index of the issues referred for learning, for the board report's counts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_event_append_only_triggers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("kind", "learning-referred")),
                fields=["at"],
                include=["disagreement"],
                name="event_learning",
            ),
        ),
    ]
