"""Send failed notifications again: ``manage.py notifications_retry --all`` or by number."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parley.notifications.models import Notification
from parley.notifications.services import notification_retry, notifications_retry_failed


class Command(BaseCommand):
    help = "Queue failed notifications to be sent again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="notification numbers")
        parser.add_argument("--all", action="store_true", help="every failed notification")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            count = notifications_retry_failed()
            self.stdout.write(f"Queued {count} failed notifications to be sent again.")
            return
        if not options["ids"]:
            raise CommandError("Give the numbers of the notifications to retry, or --all.")
        for pk in options["ids"]:
            row = Notification.objects.filter(pk=pk).first()
            if row is None:
                raise CommandError(f"There is no notification {pk}.")
            if notification_retry(notification=row):
                self.stdout.write(f"Queued notification {pk} to be sent again.")
            else:
                self.stdout.write(
                    f"Notification {pk} has not failed ({row.status}): left as it is."
                )
