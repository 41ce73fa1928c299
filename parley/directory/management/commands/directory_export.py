"""Write a partnership's directory as CSV, to standard output or a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from parley.directory.management.commands._common import partnership_named, person_named
from parley.directory.services import directory_export
from parley.private_files import private_file_open


class Command(BaseCommand):
    help = "Export the directory as CSV, in the form directory_import reads."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--partnership", required=True, help="the partnership's short name")
        parser.add_argument("--out", help="write to this file instead of standard output")
        parser.add_argument("--by", help="your username, for the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = partnership_named(options["partnership"])
        text = directory_export(partnership=partnership, by=person_named(options["by"]))
        if options["out"]:
            # People's names and contact details: for this account only (0600).
            with private_file_open(Path(options["out"]), replace=True) as file:
                file.write(text.encode("utf-8"))
            self.stderr.write(f"Wrote {options['out']}")
        else:
            self.stdout.write(text, ending="")
