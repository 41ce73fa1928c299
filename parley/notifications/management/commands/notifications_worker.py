"""The task worker with a clock: django-tasks' ``db_worker``, plus a thread that enqueues
the notifications sweep every PARLEY_NOTIFY_SWEEP_SECONDS.

django-tasks has no periodic tasks, so the clock lives here. It only enqueues
``notifications_tick`` (the sweep, then sending); the worker loop, the claiming of
tasks and the running of them are db_worker's own. Several workers may run at once:
each has a clock, and the sweep and the sending are idempotent, so an extra tick costs a
query and sends nothing twice (docs/adr/0003-notification-outbox-and-worker.md).

    python manage.py notifications_worker --no-reload
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("parley.notifications.worker")


def enqueue_tick() -> bool:
    """Enqueue a sweep unless one is already waiting to run; True if one was enqueued."""
    from parley.notifications.tasks import notifications_tick

    waiting = DBTaskResult.objects.ready().filter(task_path=notifications_tick.module_path)
    if waiting.exists():
        return False
    notifications_tick.enqueue()
    return True


class Clock(threading.Thread):
    def __init__(self, every: float) -> None:
        super().__init__(name="notifications-clock", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                enqueue_tick()
            except Exception:
                # The database may be briefly away; the next tick tries again.
                logger.exception("could not enqueue the notifications sweep")
            finally:
                connection.close()
            self.stopped.wait(self.every)


class Command(DbWorkerCommand):
    help = "Run the task worker, and sweep for due notifications every minute."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=None,
            help="seconds between sweeps (default: PARLEY_NOTIFY_SWEEP_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options.pop("sweep_every") or float(settings.PARLEY_NOTIFY_SWEEP_SECONDS)
        # With the autoreloader only the child process (which runs the worker) gets a
        # clock, not the parent that watches the files.
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            Clock(every).start()
        super().handle(*args, **options)
