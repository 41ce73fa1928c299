from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from parley.api.reference import reference_markdown


class Command(BaseCommand):
    help = "Write docs/api.md from the API's OpenAPI document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "api.md"))

    def handle(self, *args: Any, **options: Any) -> None:
        Path(options["output"]).write_text(reference_markdown(), encoding="utf-8")
        self.stdout.write(f"Wrote {options['output']}")
