"""Anonymise the disagreements past their retention period (docs/data-protection.md)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parley.directory.retention import retention_apply


def _moment(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'"{text}" is not a date: write it as YYYY-MM-DD') from None
    return timezone.make_aware(datetime.combine(day, time(0, 0)))


class Command(BaseCommand):
    help = (
        "Anonymise every disagreement closed or withdrawn longer ago than its procedure's "
        "retention period, and delete its record; each is audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list them; change nothing")
        parser.add_argument("--now", help="as if today were this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"]) if options["now"] else timezone.now()
        if now > timezone.now() and not options["dry_run"]:
            raise CommandError(
                "A date in the future works only with --dry-run: nothing is removed early"
            )
        report = retention_apply(now=now, dry_run=options["dry_run"])
        verb = "Would anonymise" if report.dry_run else "Anonymised"
        for case in report.cases:
            closed = timezone.localtime(case.closed_at).date().isoformat()
            other = "".join(f", {n} {label}" for label, n in case.other.items())
            self.stdout.write(
                f"{verb} {case.reference} ({case.procedure_id}, closed {closed}, kept "
                f"{case.retention_years} years): {case.events} events, "
                f"{case.deadlines} deadlines{other}"
            )
        for reference, why in report.failures:
            self.stderr.write(f"Could not anonymise {reference}: {why}")
        count = len(report.cases)
        self.stdout.write(
            f"{verb} {count} disagreement{'s' if count != 1 else ''}."
            + (" Nothing was changed (dry run)." if report.dry_run else "")
        )
        if report.failures:
            raise CommandError(f"{len(report.failures)} could not be anonymised")
