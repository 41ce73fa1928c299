"""The partnership's closure days, on pages (the roles table's ``settings`` column).

A closure day is a day the partnership treats as non-working beyond the bank holidays;
every open deadline counted in working days moves around it. Adding or removing one
shows first which open cases' deadlines move and by how much
(:func:`parley.cases.selectors.closure_change_moves`), and only the confirmation changes
anything: the closure day at once, the deadlines in the background through the one door
(:func:`parley.cases.services.closure_day_add`), each moved case's record saying why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parley.audit.services import audit_record
from parley.cases import access, selectors, services
from parley.cases.models import ClosureDay, Person
from parley.cases.selectors import closure_change_moves
from parley.web import forms


def _keeper(request: HttpRequest) -> Person:
    person = access.person_of(request)
    if person is None or not access.has_page(person, "settings"):
        raise Http404
    return person


def _today(person: Person) -> date:
    return timezone.localdate()


def _closures(person: Person) -> tuple[tuple[date, str], ...]:
    return selectors.closures_of(person.partnership)


def _check(
    request: HttpRequest, person: Person, *, change: str, day: date, name: str
) -> HttpResponse:
    current = dict(_closures(person))
    if change == "add":
        current[day] = name
    else:
        current.pop(day, None)
    moves = closure_change_moves(
        partnership=person.partnership,
        closures=tuple(sorted(current.items())),
        now=timezone.now(),
    )
    cases = sorted({m.disagreement.reference for m in moves})
    return render(
        request,
        "parley/web/closures/check.html",
        {"change": change, "day": day, "name": name, "moves": moves, "cases": cases},
    )


@login_required
@require_safe
def closure_list(request: HttpRequest) -> HttpResponse:
    person = _keeper(request)
    today = _today(person)
    days = ClosureDay.objects.filter(partnership=person.partnership).order_by("day")
    return render(
        request,
        "parley/web/closures/list.html",
        {
            "upcoming": [d for d in days if d.day >= today],
            "past": [d for d in days if d.day < today],
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def closure_add(request: HttpRequest) -> HttpResponse:
    person = _keeper(request)
    closed = frozenset(day for day, _ in _closures(person))
    form = forms.ClosureDayForm(
        request.POST if request.method == "POST" else None, today=_today(person), closed=closed
    )
    if request.method == "POST" and form.is_valid():
        return _check(
            request,
            person,
            change="add",
            day=form.cleaned_data["day"],
            name=form.cleaned_data["name"],
        )
    return render(request, "parley/web/closures/add.html", {"form": form})


@login_required
@require_safe
def closure_remove(request: HttpRequest, day: str) -> HttpResponse:
    person = _keeper(request)
    found = _found(person, day)
    return _check(request, person, change="remove", day=found.day, name=found.name)


def _found(person: Person, day: str) -> ClosureDay:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    found = ClosureDay.objects.filter(partnership=person.partnership, day=when).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def closure_confirm(request: HttpRequest) -> HttpResponse:
    person = _keeper(request)
    change = request.POST.get("change", "")
    detail: dict[str, Any] = {"change": change, "day": request.POST.get("day", "")}
    if change == "add":
        closed = frozenset(day for day, _ in _closures(person))
        day_text = request.POST.get("day", "")
        try:
            parts = date.fromisoformat(day_text)
        except ValueError:
            return redirect("closure_add")
        form = forms.ClosureDayForm(
            {
                "day_day": parts.day,
                "day_month": parts.month,
                "day_year": parts.year,
                "name": request.POST.get("name", ""),
            },
            today=_today(person),
            closed=closed,
        )
        if not form.is_valid():
            return render(request, "parley/web/closures/add.html", {"form": form})
        services.closure_day_add(
            partnership=person.partnership,
            day=form.cleaned_data["day"],
            name=form.cleaned_data["name"],
            in_background=True,
        )
        detail["name"] = form.cleaned_data["name"]
        messages.success(
            request,
            "Closure day added. The deadlines it moves are being moved now; each moved "
            "case's record says so.",
        )
    elif change == "remove":
        found = _found(person, request.POST.get("day", ""))
        services.closure_day_remove(
            partnership=person.partnership, day=found.day, in_background=True
        )
        detail["name"] = found.name
        messages.success(
            request,
            "Closure day removed. The deadlines it had moved are being moved back now; each "
            "moved case's record says so.",
        )
    else:
        raise Http404
    audit_record(action="calendar.change", request=request, detail=detail)
    return redirect("closure_list")
