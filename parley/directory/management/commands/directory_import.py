"""Import a partnership's directory from a CSV file (docs/directory.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parley.directory import csv_io
from parley.directory.management.commands._common import partnership_named, person_named
from parley.directory.services import ImportReport, directory_import


class Command(BaseCommand):
    help = (
        "Import the directory from a CSV file. The whole file is checked first: with any "
        "problem, every problem row is listed and nothing is imported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--partnership", required=True, help="the partnership's short name")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and list the changes; write nothing"
        )
        parser.add_argument(
            "--remove-missing",
            action="store_true",
            help="also remove the roles Parley holds that the file does not list",
        )
        parser.add_argument("--by", help="your username, for the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = partnership_named(options["partnership"])
        by = person_named(options["by"])
        try:
            text = csv_io.decode(Path(options["file"]).read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from None
        except csv_io.NotACsv as refused:
            raise CommandError(refused.message) from None
        report = directory_import(
            partnership=partnership,
            text=text,
            dry_run=options["dry_run"],
            remove_missing=options["remove_missing"],
            by=by,
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem.message)
            count = len(report.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''}: nothing was imported")
        self._summary(report)

    def _summary(self, report: ImportReport) -> None:
        for change in report.changes:
            self.stdout.write(change.text)
        if report.not_in_file:
            self.stdout.write(
                f"{len(report.not_in_file)} roles in Parley are not in the file and are kept "
                "(--remove-missing removes them)."
            )
        verb = "would be" if report.dry_run else "were"
        for name, counts in report.counts().items():
            parts = [f"{counts['added']} added", f"{counts['updated']} updated"]
            if counts["removed"]:
                parts.append(f"{counts['removed']} removed")
            parts.append(f"{counts['unchanged']} unchanged")
            self.stdout.write(f"{name.capitalize()}: " + ", ".join(parts))
        if not report.changes:
            self.stdout.write("The file matches the directory: there is nothing to change.")
        elif report.dry_run:
            self.stdout.write(f"Dry run: the changes above {verb} made; nothing was written.")
        else:
            self.stdout.write(f"Imported {report.rows} rows.")
