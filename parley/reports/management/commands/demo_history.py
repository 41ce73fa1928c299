"""Give the demo partnership two years of past disagreements, so its reports have figures."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from parley.cases.demo import DEMO_SLUG, demo_refuse_in_production
from parley.cases.models import Disagreement, Partnership
from parley.reports.generate import cases_generate

PER_PROCEDURE = 60


class Command(BaseCommand):
    help = (
        "Generate two years of past disagreements for the demo partnership, played through "
        "each procedure's rules (running it again changes nothing)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        demo_refuse_in_production()
        partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
        if partnership is None:
            raise CommandError("Load the demo partnership first: parley demo_load")
        if Disagreement.objects.filter(
            partnership=partnership, summary__startswith="A generated"
        ).exists():
            self.stdout.write("The demo partnership already has its past disagreements.")
            return
        today = date.today()
        start = today - timedelta(days=730)
        now = datetime.now(ZoneInfo("Europe/London"))
        made = 0
        with transaction.atomic():
            versions = partnership.procedures.filter(is_current=True).order_by("procedure_id")
            for seed, version in enumerate(versions):
                # Raised over the two years up to three months ago and played up to now:
                # most are resolved, a few are still open, some ran over their timescales.
                made += cases_generate(
                    version=version,
                    count=PER_PROCEDURE,
                    start=start,
                    days=640,
                    until=now,
                    seed=seed,
                )
        self.stdout.write(f"Generated {made} past disagreements for the demo's reports.")
