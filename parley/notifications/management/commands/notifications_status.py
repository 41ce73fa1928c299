"""What the outbox holds: ``manage.py notifications_status [--failed N]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from parley.notifications.models import Notification
from parley.notifications.selectors import counts_by_status, last_sweep


class Command(BaseCommand):
    help = "Show queued, sent, failed and retried notifications, with failure reasons."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--failed", type=int, default=20, help="how many failures to list (default 20)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = counts_by_status()
        for status, label in Notification.Status.choices:
            self.stdout.write(f"{label + ':':<18}{counts[status]}")
        self.stdout.write(f"{'Retried:':<18}{counts['retried']}")
        oldest = (
            Notification.objects.filter(status__in=Notification.PENDING)
            .order_by("next_attempt_at")
            .first()
        )
        if oldest is not None and oldest.next_attempt_at is not None:
            late = timezone.now() - oldest.next_attempt_at
            if late.total_seconds() > 0:
                self.stdout.write(f"Oldest due and unsent: {int(late.total_seconds())}s late")
        sweep = last_sweep()
        if sweep is None:
            self.stdout.write("No sweep has run yet: is the worker running?")
        else:
            self.stdout.write(
                f"Last sweep: {timezone.localtime(sweep.started_at):%Y-%m-%d %H:%M:%S}, "
                f"{sweep.deadlines_examined} deadlines, {sweep.notifications_written} written, "
                f"{sweep.seconds:.2f}s"
            )
        failures = Notification.objects.filter(status=Notification.Status.FAILED).order_by(
            "-created_at"
        )[: options["failed"]]
        for row in failures:
            self.stdout.write(
                f"failed #{row.pk} {row.get_kind_display()} to person {row.recipient_id} after "
                f"{row.attempts} attempts: {row.last_error}"
            )
