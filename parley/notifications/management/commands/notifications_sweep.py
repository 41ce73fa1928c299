"""Sweep for due deadlines once and write their notifications (the worker does this
every minute): ``manage.py notifications_sweep [--send]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from parley.notifications.services import notifications_send_due, notifications_sweep


class Command(BaseCommand):
    help = "Find deadlines that call for a reminder, 'due today' or 'overdue' notification."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--send", action="store_true", help="then send what is due")

    def handle(self, *args: Any, **options: Any) -> None:
        run = notifications_sweep()
        self.stdout.write(
            f"Examined {run.deadlines_examined} deadlines; wrote "
            f"{run.notifications_written} notifications in {run.seconds:.2f}s."
        )
        if options["send"]:
            report = notifications_send_due()
            self.stdout.write(
                f"Sent {report.sent}; {report.retrying} to retry; {report.failed} failed."
            )
