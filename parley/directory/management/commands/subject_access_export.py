"""Export everything held about one person, for a subject access request."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parley.cases.models import Person
from parley.directory.management.commands._common import partnership_named, person_named
from parley.directory.subject_access import (
    SearchError,
    SubjectSearch,
    professional_access_export,
    subject_access_export,
    subject_access_text,
)


def _write_new(path: str, text: str) -> None:
    """Create the file readable by its owner only; never overwrite another."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"{path} already exists: choose another name") from None
    except OSError as error:
        raise CommandError(f"Cannot write {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


class Command(BaseCommand):
    help = (
        "Export everything held about one person as JSON: the subject of disagreements "
        "(by name and date of birth, NHS number or client reference), or a professional "
        "(by email address). The export is audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--partnership", required=True, help="the partnership's short name")
        parser.add_argument("--name", default="")
        parser.add_argument("--date-of-birth", help="YYYY-MM-DD")
        parser.add_argument("--nhs-number", default="")
        parser.add_argument("--client-reference", default="")
        parser.add_argument("--professional", help="a professional's email address")
        parser.add_argument("--out", required=True, help="the JSON file to create")
        parser.add_argument("--summary", help="also write a readable text summary here")
        parser.add_argument("--by", help="your username, for the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = partnership_named(options["partnership"])
        by = person_named(options["by"])
        for path in (options["out"], options["summary"]):
            if path and Path(path).exists():
                raise CommandError(f"{path} already exists: choose another name")
        if options["professional"]:
            people = list(
                Person.objects.filter(
                    partnership=partnership, email__iexact=options["professional"].strip()
                )
            )
            if len(people) != 1:
                raise CommandError(
                    f"{len(people)} people in the directory have that email address: "
                    "give the address of exactly one"
                )
            export = professional_access_export(person=people[0], by=by)
        else:
            export = subject_access_export(
                partnership=partnership, search=self._search(options), by=by
            )
        _write_new(options["out"], json.dumps(export, indent=2, ensure_ascii=False) + "\n")
        if options["summary"]:
            _write_new(options["summary"], subject_access_text(export))
        found = len(export.get("disagreements", [])) if export["kind"] == "subject" else 1
        what = "disagreement" if export["kind"] == "subject" else "professional"
        self.stdout.write(f"Wrote {options['out']}: {found} {what}{'s' if found != 1 else ''}.")

    def _search(self, options: dict[str, Any]) -> SubjectSearch:
        born = None
        if options["date_of_birth"]:
            try:
                born = date.fromisoformat(options["date_of_birth"])
            except ValueError:
                raise CommandError("Write the date of birth as YYYY-MM-DD") from None
        search = SubjectSearch(
            name=options["name"],
            date_of_birth=born,
            nhs_number=options["nhs_number"],
            client_reference=options["client_reference"],
        )
        try:
            search.check()
        except SearchError as error:
            raise CommandError(str(error)) from None
        return search
