"""The board's pages: the report, the cases behind a figure, downloads, the learning log,
and a proposed procedure tried on the past.

Only the people reports are for see them (:mod:`parley.reports.selectors`); anyone else
gets "Page not found". Every page and every download is audited before it is drawn.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parley.audit.services import audit_record
from parley.cases import access
from parley.cases.access import person_of
from parley.cases.models import Person
from parley.core import report as core
from parley.core.loader import check_text
from parley.core.report import Period, PeriodError, parse_period
from parley.reports import exports, forms, services
from parley.reports.behind import FIGURE_WORDS, Behind, UnknownFigure, cases_behind
from parley.reports.charts import chart_for
from parley.reports.figures import learning_row, report_build
from parley.reports.models import LearningItem
from parley.reports.scope import Scope, report_scope
from parley.reports.selectors import (
    can_report,
    learning_items_for,
    learning_not_logged,
    reportable_procedures,
    sees_cases,
)
from parley.reports.tables import Report
from parley.reports.whatif import limits_compared, what_if_run

PAGE_SIZE = 50
RECENT = 6  # recent periods offered on the period page
WHAT_IF_DAYS = 365


def _person(request: HttpRequest) -> Person:
    person = person_of(request)
    if person is None:
        raise Http404
    return person


def _scope(request: HttpRequest, procedure_id: str) -> tuple[Person, Scope]:
    person = _person(request)
    scope = report_scope(partnership=person.partnership, procedure_id=procedure_id)
    if scope is None or not can_report(person, scope.current):
        raise Http404
    return person, scope


def _today(scope: Scope | None = None) -> date:
    return timezone.localdate(timezone=scope.zone) if scope else timezone.localdate()


def default_period(scope: Scope, today: date) -> Period:
    """The last whole period of the procedure's own reporting cadence (quarterly if none)."""
    cadence = scope.current.reporting[0].cadence if scope.current.reporting else None
    return core.latest_complete(cadence or core.Cadence.QUARTERLY, today)


def _period(request: HttpRequest, scope: Scope, today: date) -> Period:
    code = request.GET.get("period", "").strip()
    return parse_period(code) if code else default_period(scope, today)


def _recent(scope: Scope, today: date) -> list[Period]:
    latest = default_period(scope, today)
    current = core.period_containing(latest.kind, today)
    periods = [current, *reversed(latest.with_earlier(RECENT - 1))]
    if latest.kind is not core.PeriodKind.FINANCIAL_YEAR:
        periods.append(core.period_containing(core.PeriodKind.FINANCIAL_YEAR, latest.start))
    return list(dict.fromkeys(periods))


# --- the list of reports ----------------------------------------------------------------


@login_required
@require_safe
def report_index(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    procedures = reportable_procedures(person)
    if not procedures:
        raise Http404
    today = _today()
    rows = []
    for item in procedures:
        reporting = item.procedure.reporting[0] if item.procedure.reporting else None
        cadence = reporting.cadence if reporting else core.Cadence.QUARTERLY
        rows.append(
            {
                "item": item,
                "reporting": reporting,
                "period": core.latest_complete(cadence, today),
            }
        )
    audit_record(action="report.view", request=request, detail={"page": "index"})
    return render(
        request,
        "parley/reports/index.html",
        {"rows": rows, "can_change_settings": _settings_role(person)},
    )


# --- the report -------------------------------------------------------------------------


def _report_context(
    request: HttpRequest, person: Person, scope: Scope, report: Report
) -> dict[str, Any]:
    cases_url = ""
    if sees_cases(person, scope.current) and not report.is_shared:
        cases_url = reverse("reports:cases", args=[scope.procedure_id])
    sections = [
        {
            "section": section,
            "tables": [
                {"table": table, "chart": chart_for(table, report)} for table in section.tables
            ],
        }
        for section in report.sections
    ]
    return {"report": report, "scope": scope, "sections": sections, "cases_url": cases_url}


@login_required
@require_safe
def report_page(request: HttpRequest, procedure_id: str) -> HttpResponse:
    person, scope = _scope(request, procedure_id)
    today = _today(scope)
    try:
        period = _period(request, scope, today)
    except PeriodError as error:
        return _period_page(request, scope, today, problem=str(error), status=400)
    shared = request.GET.get("view") == "shared"
    threshold = services.threshold_of(person.partnership)
    report = report_build(scope=scope, period=period, threshold=threshold, today=today)
    if shared:
        report = report.shared()
    audit_record(
        action="report.view",
        request=request,
        detail={
            "procedure": procedure_id,
            "period": period.code,
            "view": "shared" if shared else "exact",
        },
    )
    context = _report_context(request, person, scope, report)
    context["downloads"] = [
        (words, reverse("reports:export", args=[procedure_id, fmt]) + f"?period={period.code}")
        for fmt, words in (
            ("pdf", "Board paper (PDF)"),
            ("csv", "Figures (CSV)"),
            ("xlsx", "Figures (XLSX spreadsheet)"),
        )
    ]
    context["exact_url"] = f"?period={period.code}"
    context["shared_url"] = f"?period={period.code}&view=shared"
    return render(request, "parley/reports/report.html", context)


def _period_page(
    request: HttpRequest,
    scope: Scope,
    today: date,
    *,
    form: forms.PeriodForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or forms.PeriodForm(periods=_recent(scope, today))
    return render(
        request,
        "parley/reports/period.html",
        {"form": form, "scope": scope, "problems": [problem] if problem else []},
        status=status,
    )


@login_required
@require_safe
def period_choose(request: HttpRequest, procedure_id: str) -> HttpResponse:
    _, scope = _scope(request, procedure_id)
    today = _today(scope)
    if "choice" not in request.GET and "start_day" not in request.GET:
        return _period_page(request, scope, today)
    form = forms.PeriodForm(request.GET, periods=_recent(scope, today))
    if form.is_valid() and form.period is not None:
        target = reverse("reports:report", args=[procedure_id])
        return redirect(f"{target}?period={form.period.code}")
    return _period_page(request, scope, today, form=form, status=400)


@login_required
@require_safe
def report_cases(request: HttpRequest, procedure_id: str) -> HttpResponse:
    person, scope = _scope(request, procedure_id)
    if not sees_cases(person, scope.current):
        raise Http404
    today = _today(scope)
    try:
        period = _period(request, scope, today)
        behind = Behind.read(request.GET)
        found = cases_behind(person=person, scope=scope, period=period, behind=behind, today=today)
    except (PeriodError, UnknownFigure):
        raise Http404 from None
    found = found.select_related("raising_agency", "other_agency").order_by("raised_at", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="report.view",
        request=request,
        detail={
            "procedure": procedure_id,
            "period": period.code,
            "figure": behind.figure,
            **behind.params,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "parley/reports/cases.html",
        {
            "scope": scope,
            "period": period,
            "page": page,
            "rows": [(case, scope.stage_label(case.stage)) for case in page.object_list],
            "words": _behind_words(scope, behind),
            "query": query.urlencode(),
            "back": reverse("reports:report", args=[procedure_id]) + f"?period={period.code}",
        },
    )


def _behind_words(scope: Scope, behind: Behind) -> str:
    words = [f"Disagreements {FIGURE_WORDS[behind.figure]}"]
    p = behind.params
    if "stage" in p:
        words.append(f"at {scope.stage_label(p['stage'])}")
    if "highest" in p:
        words.append(f"that went no higher than stage {p['highest']}")
    if p.get("late") == "1":
        words.append("over its timescale")
    if p.get("late") == "0":
        words.append("within its timescale")
    if "category" in p:
        category = p["category"]
        words.append(
            "with no category"
            if category == "-"
            else f"about “{scope.current.category_label(category)}”"
        )
    return " ".join(words)


@login_required
@require_safe
def report_export(request: HttpRequest, procedure_id: str, fmt: str) -> HttpResponse:
    person, scope = _scope(request, procedure_id)
    today = _today(scope)
    try:
        period = _period(request, scope, today)
    except PeriodError:
        raise Http404 from None
    threshold = services.threshold_of(person.partnership)
    report = report_build(scope=scope, period=period, threshold=threshold, today=today).shared()
    audit_record(
        action="report.export",
        request=request,
        detail={"procedure": procedure_id, "period": period.code, "format": fmt},
    )
    name = f"{procedure_id}-{period.code.replace('..', '-to-')}"
    if fmt == "csv":
        response = HttpResponse(exports.report_csv(report), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.report_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(exports.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- procedure change, tested on the past -----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def what_if(request: HttpRequest, procedure_id: str) -> HttpResponse:
    person, scope = _scope(request, procedure_id)
    context: dict[str, Any] = {"scope": scope, "days": WHAT_IF_DAYS}
    if request.method != "POST":
        context["form"] = forms.ProposalForm()
        audit_record(
            action="report.view",
            request=request,
            detail={"procedure": procedure_id, "page": "what-if"},
        )
        return render(request, "parley/reports/what_if.html", context)
    form = forms.ProposalForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "parley/reports/what_if.html", context, status=400)
    result = check_text(form.cleaned_data["source"], form.cleaned_data["source_name"])
    problems = [
        str(p.message if not p.line else f"Line {p.line}: {p.message}") for p in result.errors
    ]
    proposed = result.procedure
    if proposed is not None and proposed.id != procedure_id:
        problems.append(
            f"This file is for the procedure “{proposed.id}”, not “{procedure_id}”: "
            "upload a version of this procedure"
        )
    if problems or proposed is None:
        context["problems"] = problems or ["The file could not be read as a procedure"]
        return render(request, "parley/reports/what_if.html", context, status=400)
    today = _today(scope)
    outcome = what_if_run(scope=scope, proposed=proposed, today=today, days=WHAT_IF_DAYS)
    limits = limits_compared(scope, proposed, outcome)
    audit_record(
        action="report.view",
        request=request,
        detail={"procedure": procedure_id, "page": "what-if", "cases": outcome.cases},
    )
    context.update(
        {
            "outcome": outcome,
            "proposed": proposed,
            "rows": [(row, *limits.get(row.stage, ("", ""))) for row in outcome.stages],
            "since": today - timedelta(days=WHAT_IF_DAYS),
        }
    )
    return render(request, "parley/reports/what_if_result.html", context)


# --- the learning log -------------------------------------------------------------------


@login_required
@require_safe
def learning_log(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if not reportable_procedures(person):
        raise Http404
    today = timezone.localdate()
    items = list(learning_items_for(person).order_by("done_on", "follow_up_due", "-referred_at"))
    rows = [learning_row(item, today) for item in items]
    overdue = [row for row in rows if row.overdue]
    waiting = [row for row in rows if not row.overdue and row.done_on is None]
    done = [row for row in rows if row.done_on is not None]
    audit_record(action="report.view", request=request, detail={"page": "learning"})
    return render(
        request,
        "parley/reports/learning.html",
        {
            "overdue": overdue,
            "waiting": waiting,
            "done": done,
            "not_logged": list(learning_not_logged(person)[:100]),
        },
    )


def _learning_item(request: HttpRequest, pk: int) -> tuple[Person, LearningItem]:
    person = _person(request)
    item = get_object_or_404(learning_items_for(person), pk=pk)
    return person, item


@login_required
@require_http_methods(["GET", "POST"])
def learning_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person, item = _learning_item(request, pk)
    if request.method == "POST":
        form = forms.LearningItemForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.learning_item_update(
                    item=item,
                    person=person,
                    topic=data["topic"],
                    summary=data["summary"],
                    referred_to=data["referred_to"],
                    decision=data["decision"],
                    done_on=data["done_on"],
                    follow_up_due=data["follow_up_due"],
                )
            except services.ReportError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Learning log updated")
                return redirect("reports:learning")
    else:
        form = forms.LearningItemForm(
            initial={
                "topic": item.topic,
                "summary": item.summary,
                "referred_to": item.referred_to,
                "decision": item.decision,
                "done_on": item.done_on,
                "follow_up_due": item.follow_up_due,
            }
        )
    audit_record(
        action="report.view",
        request=request,
        disagreement=item.disagreement,
        detail={"page": "learning-item", "item": item.pk},
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "parley/reports/learning_item.html", {"form": form, "item": item}, status=status
    )


@login_required
@require_POST
def learning_add(request: HttpRequest, event_id: int) -> HttpResponse:
    person = _person(request)
    event = get_object_or_404(learning_not_logged(person), pk=event_id)
    item = services.learning_item_record(event=event, person=person)
    messages.success(request, "Added to the learning log")
    return redirect("reports:learning_item", pk=item.pk)


# --- settings ---------------------------------------------------------------------------


def _settings_role(person: Person) -> bool:
    """Whoever the roles table gives the partnership's settings (parley.core.roles)."""
    return access.has_page(person, "settings")


@login_required
@require_http_methods(["GET", "POST"])
def report_settings(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if not _settings_role(person):
        raise Http404
    current = services.threshold_of(person.partnership)
    if request.method == "POST":
        form = forms.SettingsForm(request.POST)
        if form.is_valid():
            chosen = form.cleaned_data["suppression_threshold"]
            services.report_settings_set(
                partnership=person.partnership, suppression_threshold=chosen
            )
            audit_record(
                action="report.settings",
                request=request,
                detail={"suppression_threshold": {"from": current, "to": chosen}},
            )
            messages.success(request, "Report settings saved")
            return redirect("reports:index")
    else:
        form = forms.SettingsForm(initial={"suppression_threshold": current})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "parley/reports/settings.html", {"form": form}, status=status)
