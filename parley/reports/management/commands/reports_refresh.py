"""``parley reports_refresh``: work out again, from the record, the stage rows reports read.

They are kept in step by every change a person makes; this repairs them after anything
that went round the service layer (a restore of part of a database, a hand edit) and is
safe to run at any time: only cases whose rows disagree with their stored state change.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from parley.cases.models import ProcedureVersion
from parley.reports.services import stage_spans_refresh


class Command(BaseCommand):
    help = "Work out again the stage rows reports read, for cases whose rows are out of date."

    def handle(self, *args: Any, **options: Any) -> None:
        count = stage_spans_refresh(versions=list(ProcedureVersion.objects.all()))
        self.stdout.write(f"Stage rows worked out again for {count:,} disagreements.")
