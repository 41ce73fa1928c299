"""Background tasks (django-tasks, database backend: docs/adr/0002 and 0003).

``send_due_notifications`` is enqueued when a change commits with notifications;
``notifications_tick`` (the sweep, then sending) is enqueued every minute by the
worker's clock (``manage.py notifications_worker``). Both are idempotent, so a task run
twice, or by two workers at once, sends nothing twice. The services start the first by name
(:func:`parley.cases.hooks.start`); importing this module, when Django starts, registers it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from parley.cases import hooks
from parley.notifications import services


@task()
def send_due_notifications() -> dict[str, Any]:
    return asdict(services.notifications_send_due())


hooks.in_background(services.SEND_DUE_NOTIFICATIONS, send_due_notifications.enqueue)


@task()
def notifications_tick() -> dict[str, Any]:
    run = services.notifications_sweep()
    report = services.notifications_send_due()
    return {
        "deadlines_examined": run.deadlines_examined,
        "notifications_written": run.notifications_written,
        **asdict(report),
    }
