"""The audit pages, for a partnership's administrators: the trail, and who has looked at a case.

Anyone else gets "Page not found", whether or not the case exists. Every page records
that it was looked at before it is shown.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from parley.audit.chain import utc_text
from parley.audit.forms import EntryFilterForm
from parley.audit.models import AuditEntry
from parley.audit.selectors import (
    BURST_THRESHOLD,
    BURST_WINDOW,
    Page,
    administers,
    case_entries,
    case_viewers,
    entry_list,
    page_of,
    refusal_summaries,
)
from parley.audit.services import ACTIONS, audit_record
from parley.cases.access import is_reference_like, person_of
from parley.cases.models import Disagreement, Person


def _administrator(request: HttpRequest) -> Person:
    person = person_of(request)
    if person is None or not administers(person, person.partnership_id):
        raise Http404
    return person


def _before(request: HttpRequest) -> int | None:
    text = request.GET.get("before", "")
    # A sequence is a 64-bit integer: anything longer is not one.
    return int(text) if text.isdigit() and len(text) <= 18 and int(text) > 0 else None


def _filters_context(form: EntryFilterForm) -> dict[str, object]:
    def value(name: str) -> str:
        return str(form[name].value() or "")

    dates = [
        (name, label, error, value(f"{name}_day"), value(f"{name}_month"), value(f"{name}_year"))
        for name, label, error in (
            ("from", "Date from", form.from_error),
            ("to", "Date to", form.to_error),
        )
    ]
    return {"form": form, "dates": dates}


def _pages(path: str, query: dict[str, str], page: Page) -> dict[str, str]:
    urls = {}
    if page.newer:
        urls["newer_url"] = f"{path}?{urlencode(query)}" if query else path
    if page.older is not None:
        urls["older_url"] = f"{path}?{urlencode({**query, 'before': page.older})}"
    return urls


@login_required
@require_safe
def entries(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    form = EntryFilterForm(request.GET)
    context = _filters_context(form)
    if form.is_valid():
        chosen = form.chosen()
        before = _before(request)
        audit_record(
            action="audit.list",
            request=request,
            detail={"filters": chosen.as_query, "before": before},
        )
        page = page_of(
            entry_list(partnership_id=administrator.partnership_id, chosen=chosen), before=before
        )
        export = reverse("audit:export")
        context.update(
            page=page,
            export_url=f"{export}?{urlencode(chosen.as_query)}" if chosen.as_query else export,
            **_pages(request.path, chosen.as_query, page),
        )
    return render(request, "parley/audit/entries.html", context)


@login_required
@require_safe
def entries_export(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    form = EntryFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "parley/audit/entries.html", _filters_context(form))
    chosen = form.chosen()
    audit_record(action="audit.export", request=request, detail={"filters": chosen.as_query})
    rows = entry_list(partnership_id=administrator.partnership_id, chosen=chosen)
    response = StreamingHttpResponse(
        _csv_lines(rows.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{day}.csv"'
    return response


@login_required
@require_safe
def case_viewers_page(request: HttpRequest, reference: str) -> HttpResponse:
    person = person_of(request)
    case = (
        Disagreement.objects.filter(
            reference=reference, partnership_id=person.partnership_id
        ).first()
        if person is not None and is_reference_like(reference)
        else None
    )
    if case is None or not administers(person, case.partnership_id):
        # The refusal is recorded with every other (parley.web.middleware).
        raise Http404
    audit_record(action="audit.view", request=request, disagreement=case)
    page = page_of(case_entries(disagreement=case), before=_before(request))
    context = {
        "reference": case.reference,
        "viewers": case_viewers(disagreement=case),
        "page": page,
        **_pages(request.path, {}, page),
    }
    return render(request, "parley/audit/case_viewers.html", context)


# Periods the refusals page offers, in hours.
REFUSAL_PERIODS = {1: "the last hour", 24: "the last 24 hours", 168: "the last 7 days"}


@login_required
@require_safe
def refusals(request: HttpRequest) -> HttpResponse:
    """Who has been refused cases lately, and whether in a burst: someone asking for
    reference after reference stands out here before anyone reads the whole trail."""
    administrator = _administrator(request)
    hours = {str(h): h for h in REFUSAL_PERIODS}.get(request.GET.get("hours", ""), 24)
    audit_record(action="audit.list", request=request, detail={"page": "refusals", "hours": hours})
    since = timezone.now() - timedelta(hours=hours)
    summaries = refusal_summaries(partnership_id=administrator.partnership_id, since=since)
    trail = reverse("audit:entries")
    rows = []
    for summary in summaries:
        query = {"action": "case.refused", "person": summary.username}
        rows.append({"summary": summary, "trail_url": f"{trail}?{urlencode(query)}"})
    return render(
        request,
        "parley/audit/refusals.html",
        {
            "rows": rows,
            "hours": hours,
            "periods": REFUSAL_PERIODS,
            "threshold": BURST_THRESHOLD,
            "window_minutes": int(BURST_WINDOW.total_seconds() // 60),
        },
    )


# --- CSV --------------------------------------------------------------------------------

HEADER = (
    "Entry",
    "When (UTC)",
    "Action",
    "What",
    "Person",
    "Username",
    "Reference",
    "IP address",
    "Method",
    "Path",
    "Browser",
    "Detail",
)


class _Line:
    """A file-like that hands back what csv.writer writes, for streaming."""

    def write(self, text: str) -> str:
        return text


def _cell(value: object) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(rows: Iterable[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte-order mark tells Excel and LibreOffice the file is UTF-8: without it they
    # read names with accents or arrows as other characters.
    yield "\ufeff"
    yield writer.writerow(HEADER)
    for entry in rows:
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    entry.sequence,
                    utc_text(entry.at),
                    entry.action,
                    ACTIONS.get(entry.action, entry.action),
                    entry.person.name if entry.person else "",
                    entry.username,
                    entry.reference,
                    entry.ip_address,
                    entry.method,
                    entry.path,
                    entry.user_agent,
                    json.dumps(entry.detail, sort_keys=True, ensure_ascii=False),
                )
            ]
        )
