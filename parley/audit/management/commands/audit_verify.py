"""``manage.py audit_verify``: ``parley audit verify`` for operators used to manage.py."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from parley.audit.cli import add_verify_arguments, verify


class Command(BaseCommand):
    help = "Check that no audit entry has been changed, removed or moved (exit 1 if one has)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_verify_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        status = verify(
            expect=options["expect"],
            checkpoint=not options["no_checkpoint"],
            out=self.stdout,
            err=self.stderr,
        )
        if status:
            raise SystemExit(status)
