"""Publishing a partnership's procedure, in the browser: upload or paste a file, see every
problem with its line, check the new version (its ladder, flowchart, dates if raised today
and what would change for each open case), publish it, list and download every version,
and move open cases onto the version in use.

Who may is a column of the roles table (``procedures``), asked through
:func:`parley.cases.access.has_page`. Every write goes through the one door
(:func:`parley.cases.services.procedure_publish`,
:func:`parley.cases.services.disagreement_version_change`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parley.cases import access, selectors, services
from parley.cases.models import Disagreement, Partnership, Person, ProcedureVersion
from parley.core import engine, planner
from parley.core.engine import Refused
from parley.core.loader import Problem, ProcedureError
from parley.core.procedure import Procedure, rules_by_file
from parley.core.words import long_date
from parley.web import forms
from parley.web.documents.wording import stage_title
from parley.web.views_procedures import RAISED_AT, plan_view, procedure_context

VIA_WORDS = {
    "command": "the command line",
    "demo": "Parley, loading the demo",
    "generator": "Parley, generating history",
}


def _publisher(request: HttpRequest) -> Person:
    person = access.person_of(request)
    if person is None or not access.has_page(person, "procedures"):
        raise Http404("Page not found")
    return person


def _problem_words(problem: Problem) -> str:
    where = f"Line {problem.line}" if problem.line else ""
    if problem.file and problem.file != forms.PASTED and problem.line:
        where = f"{problem.file}, line {problem.line}"
    return f"{where}: {problem.message}" if where else problem.message


# --- the versions -----------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    version: ProcedureVersion
    published: str
    by: str
    open_cases: int


@require_safe
@login_required
def versions(request: HttpRequest) -> HttpResponse:
    person = _publisher(request)
    rows: dict[str, list[VersionRow]] = {}
    names: dict[str, str] = {}
    found = (
        ProcedureVersion.objects.filter(partnership_id=person.partnership_id)
        .select_related("published_by")
        .order_by("procedure_id", "-loaded_at", "-pk")
    )
    open_counts = _open_counts(person)
    for version in found:
        names.setdefault(version.procedure_id, version.name)
        by = (
            version.published_by.name
            if version.published_by is not None
            else VIA_WORDS.get(version.published_via, "Not recorded")
        )
        rows.setdefault(version.procedure_id, []).append(
            VersionRow(
                version=version,
                published=_when(version.loaded_at),
                by=by,
                open_cases=open_counts.get(version.pk, 0),
            )
        )
    procedures = [
        {
            "id": procedure_id,
            "name": names[procedure_id],
            "rows": version_rows,
            "older_open": sum(r.open_cases for r in version_rows if not r.version.is_current),
        }
        for procedure_id, version_rows in sorted(rows.items(), key=lambda kv: names[kv[0]])
    ]
    return render(request, "parley/web/publishing/versions.html", {"procedures": procedures})


def _open_counts(person: Person) -> dict[int, int]:
    counts: dict[int, int] = {}
    visible = access.disagreement_list_visible_to(person=person).filter(
        status=Disagreement.Status.OPEN
    )
    for procedure_pk in visible.values_list("procedure_id", flat=True):
        counts[procedure_pk] = counts.get(procedure_pk, 0) + 1
    return counts


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{long_date(local.date())} at {local:%H:%M}"


@require_safe
@login_required
def version_download(request: HttpRequest, pk: int) -> HttpResponse:
    person = _publisher(request)
    version = (
        ProcedureVersion.objects.filter(pk=pk, partnership_id=person.partnership_id)
        .defer(None)
        .first()
    )
    if version is None:
        raise Http404("Page not found")
    response = HttpResponse(version.source_text, content_type="application/yaml; charset=utf-8")
    name = f"{version.procedure_id}-{version.version}.yaml"
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


# --- upload, check, publish -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def publish_start(request: HttpRequest) -> HttpResponse:
    person = _publisher(request)
    if request.method != "POST":
        form = forms.ProcedureFileForm()
        return render(request, "parley/web/publishing/upload.html", {"form": form})
    form = forms.ProcedureFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "parley/web/publishing/upload.html", {"form": form}, status=400)
    text, name = form.cleaned_data["source"], form.cleaned_data["source_name"]
    checked = services.procedure_check(partnership=person.partnership, text=text, source_name=name)
    if not checked.ok:
        field = form.cleaned_data["field"]
        anchor = "id_file" if field == "file" else "id_text"
        context = {
            "form": form,
            "problems": [(anchor, _problem_words(p)) for p in checked.problems],
            "name": name,
        }
        return render(request, "parley/web/publishing/upload.html", context, status=400)
    return _check_page(request, person, text, name, checked)


def _check_page(
    request: HttpRequest, person: Person, text: str, name: str, checked: services.ProcedureCheck
) -> HttpResponse:
    procedure = checked.procedure
    assert procedure is not None
    partnership = person.partnership
    zone = ZoneInfo(procedure.calendar.timezone)
    today = timezone.localdate(timezone=zone)
    the_plan = planner.plan(
        procedure,
        selectors.calendar_of(partnership, procedure),
        datetime.combine(today, RAISED_AT, tzinfo=zone),
    )
    context: dict[str, Any] = {
        "procedure": procedure,
        "current": checked.current,
        "unchanged": checked.unchanged,
        "warnings": [_problem_words(p) for p in checked.result.warnings],
        "plan": plan_view(the_plan),
        "changes": _changes(person, partnership, checked.current, procedure),
        "base": checked.base,
        "source_name": name,
        # Which file each stage comes from, for a local file laid over a regional one.
        "origins": {
            stage.id: stage.source.file for track in procedure.tracks for stage in track.stages
        },
        # And every rule with a source, for the same file: the layer view.
        "layers": rules_by_file(procedure) if checked.base else {},
        "locals": [
            {
                "name": local.name,
                "version": local.version,
                "merged": (
                    f"{merged.procedure.version}+{procedure.version}" if merged.procedure else ""
                ),
                "problems": [_problem_words(p) for p in merged.errors],
            }
            for local, merged in checked.locals
        ],
        "publish": forms.PublishForm(
            initial={
                "text": text,
                "source_name": name,
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            }
        ),
        **procedure_context(procedure),
    }
    return render(request, "parley/web/publishing/check.html", context)


@dataclass(frozen=True)
class CaseChange:
    reference: str
    stage_now: str
    due_now: str
    due_if_moved: str
    cannot_move: str


def _changes(
    person: Person,
    partnership: Partnership,
    current: ProcedureVersion | None,
    proposed: Procedure,
) -> list[CaseChange]:
    """For each open case on the version in use, its next deadline now and if it were moved
    onto the proposed version (or why it could not be)."""
    if current is None:
        return []
    cases = (
        access.disagreement_list_visible_to(person=person)
        .filter(procedure=current, status=Disagreement.Status.OPEN)
        .order_by("reference")
    )
    old = selectors.procedure_of(current)
    zone = ZoneInfo(old.calendar.timezone)
    rows = []
    for case in cases:
        record = [selectors.core_event(e) for e in case.events.order_by("sequence")]
        state = engine.replay(record, old)
        now = planner.next_deadline(
            planner.case_deadlines(old, selectors.calendar_of(partnership, old), state)
        )
        reason = engine.version_change_refusal(record, proposed)
        after = ""
        if reason is None:
            moved = engine.replay(record, proposed)
            calendar = selectors.calendar_of(partnership, proposed)
            then = planner.next_deadline(planner.case_deadlines(proposed, calendar, moved))
            after = _due_words(then, zone)
        stage = old.track(state.track).stage(state.stage)
        rows.append(
            CaseChange(
                reference=case.reference,
                stage_now=stage_title(stage.number, stage.name, informal=stage.informal),
                due_now=_due_words(now, zone),
                due_if_moved=after,
                cannot_move=reason or "",
            )
        )
    return rows


def _due_words(deadline: planner.Deadline | None, zone: ZoneInfo) -> str:
    if deadline is None:
        return "Nothing due"
    local = deadline.due.astimezone(zone)
    return f"{deadline.label}: {local:%H:%M} on {long_date(local.date(), weekday=True)}"


@require_POST
@login_required
def publish(request: HttpRequest) -> HttpResponse:
    person = _publisher(request)
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        raise Http404("Page not found")
    text = form.cleaned_data["text"]
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != form.cleaned_data["sha256"]:
        raise Http404("Page not found")
    try:
        version, new = services.procedure_publish(
            partnership=person.partnership,
            text=text,
            source_name=form.cleaned_data["source_name"],
            by=person,
            via="web",
            request=request,
        )
    except ProcedureError as refused:
        # Published by someone else since the check, or the file changed on the way.
        context = {
            "form": forms.ProcedureFileForm(),
            "problems": [("id_file", _problem_words(p)) for p in refused.problems],
        }
        return render(request, "parley/web/publishing/upload.html", context, status=400)
    if new:
        messages.success(
            request,
            f"Version {version.version} of {version.name} published: new disagreements are "
            "raised under it",
        )
    else:
        messages.info(request, f"Version {version.version} is already the version in use")
    return redirect("publishing_versions")


# --- moving open cases ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def move_cases(request: HttpRequest, procedure_id: str) -> HttpResponse:
    person = _publisher(request)
    current = ProcedureVersion.objects.filter(
        partnership_id=person.partnership_id, procedure_id=procedure_id, is_current=True
    ).first()
    if current is None:
        raise Http404("Page not found")
    new = selectors.procedure_of(current)
    cases = list(
        access.disagreement_list_visible_to(person=person)
        .filter(
            procedure__procedure_id=procedure_id,
            status=Disagreement.Status.OPEN,
        )
        .exclude(procedure=current)
        .select_related("procedure")
        .order_by("reference")
    )
    movable, refused = [], []
    for case in cases:
        record = [selectors.core_event(e) for e in case.events.order_by("sequence")]
        reason = engine.version_change_refusal(record, new)
        label = f"{case.reference}, on version {case.procedure.version}"
        if reason is None:
            movable.append((case.reference, label))
        else:
            refused.append((label, reason))
    form = forms.MoveCasesForm(request.POST if request.method == "POST" else None, choices=movable)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["cases"])
        moved = 0
        for case in cases:
            if case.reference not in chosen:
                continue
            try:
                services.disagreement_version_change(
                    disagreement=case, version=current, person=person, request=request
                )
                moved += 1
            except Refused as error:
                problems.append(str(error))
        if not problems:
            messages.success(
                request,
                f"{moved} disagreement{'s' if moved != 1 else ''} moved to version "
                f"{current.version}",
            )
            return redirect("publishing_versions")
    context = {
        "form": form,
        "current": current,
        "procedure": new,
        "movable": movable,
        "refused": refused,
        "problems": problems,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "parley/web/publishing/move.html", context, status=status)
