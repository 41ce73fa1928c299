"""Background tasks of the cases room (django-tasks, database backend: docs/adr/0002).

``deadlines_follow_calendar`` moves open cases' deadlines after a closure day was added
or removed on its page, through the one door (each moved case's record says so), so the
page need not wait for every open case of the partnership. The services start it by name
(:func:`parley.cases.hooks.start`); importing this module, when Django starts, registers it.
"""

from __future__ import annotations

from django_tasks import task

from parley.cases import hooks, services
from parley.cases.models import Partnership


@task()
def deadlines_follow_calendar(*, partnership_id: int, reason: str) -> int:
    partnership = Partnership.objects.get(pk=partnership_id)
    return services.deadlines_recompute(partnership=partnership, reason=reason)


hooks.in_background(services.DEADLINES_FOLLOW_CALENDAR, deadlines_follow_calendar.enqueue)
