"""Pages shared by the whole service."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@dataclass(frozen=True)
class ProcedureRow:
    """One row of the procedures table on the home page."""

    name: str
    partnership: str
    version: str
    scope: str


def loaded_procedures() -> list[ProcedureRow]:
    """The procedures to list on the home page.

    Placeholder: returns nothing until the procedure loader is wired in.
    """
    return []


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "parley/web/home.html", {"procedures": loaded_procedures()})


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
