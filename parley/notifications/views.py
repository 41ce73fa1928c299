"""The notification pages: the operators' view of the outbox, and each person's own list.

``/notifications/`` is for the partnership's administrators; anyone else gets "Page not
found". The operators' page names the case only where the administrator may see it
(``parley.cases.access``), and shows nothing of a Channel case they may not see
(``parley.notifications.selectors``): the outbox is not a back door to the case list.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from parley.audit.services import audit_record
from parley.cases.access import can_view, person_of
from parley.cases.models import Person
from parley.notifications.forms import NotificationFilterForm
from parley.notifications.models import Notification
from parley.notifications.selectors import (
    counts_by_status,
    is_administrator,
    last_sweep,
    notification_list_for_operators,
    notification_list_mine,
)
from parley.notifications.services import notification_retry, notifications_retry_failed

PAGE_SIZE = 50


def _administrator(request: HttpRequest) -> Person:
    person = person_of(request)
    if not is_administrator(person):
        raise Http404
    assert person is not None
    return person


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    person = _administrator(request)
    form = NotificationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = notification_list_for_operators(
        person=person,
        status=filters.get("status", ""),
        kind=filters.get("kind", ""),
        retried=bool(filters.get("retried")),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [
        {
            "row": row,
            "reference": row.disagreement.reference if can_view(person, row.disagreement) else "",
        }
        for row in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    audit_record(action="notifications.view", request=request, detail={"page": "all"})
    return render(
        request,
        "parley/notifications/list.html",
        {
            "form": form,
            "errors": [] if form.is_bound and form.is_valid() else _errors(form),
            "page": page,
            "rows": shown,
            "query": query.urlencode(),
            "counts": counts_by_status(person=person),
            "statuses": Notification.Status.choices,
            "sweep": last_sweep(),
            "max_attempts": settings.PARLEY_NOTIFY_MAX_ATTEMPTS,
        },
    )


def _errors(form: NotificationFilterForm) -> list[tuple[str, str]]:
    if not form.is_bound:
        return []
    return [(name, str(error)) for name, errors in form.errors.items() for error in errors]


@login_required
@require_POST
def notification_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _administrator(request)
    row = notification_list_for_operators(person=person).filter(pk=pk).first()
    if row is None:
        raise Http404
    if notification_retry(notification=row):
        messages.success(request, "The notification will be sent again.")
    else:
        messages.info(
            request,
            "That notification had not failed or gone unconfirmed, so it was left as it is.",
        )
    return redirect("notifications:list")


@login_required
@require_POST
def notification_retry_all(request: HttpRequest) -> HttpResponse:
    person = _administrator(request)
    count = notifications_retry_failed(
        partnership=person.partnership, among=notification_list_for_operators(person=person)
    )
    if count:
        messages.success(request, f"{count} failed notifications will be sent again.")
    else:
        messages.info(request, "There were no failed notifications to send again.")
    return redirect("notifications:list")


@login_required
@require_safe
def notification_mine(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    if person is None:
        raise Http404
    page = Paginator(notification_list_mine(person=person), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit_record(action="notifications.view", request=request, detail={"page": "mine"})
    return render(request, "parley/notifications/mine.html", {"page": page})
