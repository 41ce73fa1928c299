"""The register of ongoing disagreements, for people with partnership-wide sight.

Torbay's leaflet (Stage Three): the Board Manager "will keep a record of all on-going
disagreements". This is that record for every procedure: filterable, sortable, paged,
and exportable as CSV with the same filters. Anyone else gets "Page not found".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from parley.audit.services import audit_record, filter_names
from parley.cases import access, reads, selectors
from parley.cases.access import person_of
from parley.cases.models import Agency, Person, ProcedureVersion
from parley.cases.reads import Filters
from parley.core.procedure import Procedure
from parley.web.templatetags.govuk import govuk_date, govuk_datetime
from parley.web.views_cases import stage_words

PAGE_SIZE = 50
SORT_WORDS = {
    "reference": "Reference",
    "raised": "Raised",
    "stage": "Stage",
    "deadline": "Next deadline",
}


@dataclass(frozen=True)
class Named:
    name: str


@dataclass(frozen=True)
class CaseRow:
    """A case as a row of a list shows it (``CASE_ROW``'s values)."""

    reference: str
    procedure_id: int
    track: str
    status: str
    route: str
    stage: str
    raised_at: datetime
    next_due_at: datetime | None
    raising_agency: Named
    other_agency: Named

    @property
    def inside_one_agency(self) -> bool:
        """A challenge inside one agency; agency names are unique in a partnership."""
        return self.raising_agency.name == self.other_agency.name

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> CaseRow:
        *case, raising, other = values
        return cls(*case, Named(raising), Named(other))


# What the register can be asked for: the audit trail records which were used, never
# their values (docs/audit.md).
REGISTER_FILTERS = ("procedure", "stage", "agency", "overdue", "sort", "order", "page")

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_register_sight(person: Person | None) -> bool:
    """The roles table's register column (the business manager, the chairs, the Channel
    chair and coordinator, and a procedure's own role held partnership-wide such as the
    TWSP Executive): each sees there the cases it may see."""
    return access.has_page(person, "register")


class _Ongoing:
    """The register's cases for the paginator: counted and sliced by prepared queries."""

    def __init__(self, person: Person, filters: Filters, now: datetime) -> None:
        self.person, self.filters, self.now = person, filters, now

    def count(self) -> int:
        return reads.register_count(self.person, self.filters, self.now)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[CaseRow]:
        if window.stop <= window.start:
            return []  # an empty register's one page
        found = reads.register_page(
            self.person,
            self.filters,
            self.now,
            offset=window.start,
            limit=window.stop - window.start,
        )
        return [CaseRow.of(values) for values in found]


def procedures_by_version(person: Person) -> dict[int, Procedure]:
    """Every version of the partnership's procedures, parsed once: rows need no join."""
    return {version.pk: selectors.procedure_of(version) for version in access.versions_of(person)}


def _stage_name(procedure: Procedure, track: str, stage_id: str) -> str:
    try:
        stage = procedure.track(track).stage(stage_id)
    except KeyError:
        return stage_id
    return stage_words(stage)


def _rows(cases: Any, procedures: dict[int, Procedure], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        procedure = procedures[case.procedure_id]
        rows.append(
            {
                "case": case,
                "procedure": procedure.name,
                "stage": _stage_name(procedure, case.track, case.stage),
                "overdue": case.next_due_at is not None and case.next_due_at < now,
            }
        )
    return rows


def _stage_choices(versions: list[ProcedureVersion], chosen: str) -> list[tuple[str, str]]:
    """Stages to filter by: one procedure's own names, or every stage id in use."""
    stages: dict[str, str] = {}
    for version in versions:
        if chosen and version.procedure_id != chosen:
            continue
        procedure = selectors.procedure_of(version)
        for track in procedure.tracks:
            for stage in track.stages:
                words = stage_words(stage) if chosen else stage.id.replace("-", " ").capitalize()
                stages.setdefault(stage.id, words)
    return sorted(stages.items(), key=lambda item: (len(item[0]), item[0]))


def _person_with_sight(request: HttpRequest) -> Person:
    person = person_of(request)
    if not has_register_sight(person):
        raise Http404("Page not found")
    assert person is not None
    return person


@login_required
@require_safe
def register(request: HttpRequest) -> HttpResponse:
    person = _person_with_sight(request)
    now = timezone.now()
    filters = Filters.from_query(request.GET)
    page = Paginator(_Ongoing(person, filters, now), PAGE_SIZE).get_page(request.GET.get("page"))
    versions = [v for v in access.versions_of(person) if v.is_current]
    agencies = list(Agency.objects.filter(partnership_id=person.partnership_id))
    audit_record(
        action="register.view",
        request=request,
        detail={"filters": filter_names(request.GET, REGISTER_FILTERS)},
    )
    headers = []
    for key, words in SORT_WORDS.items():
        active = filters.sort == key
        descending = active and not filters.descending
        headers.append(
            {
                "key": key,
                "words": words,
                "href": "?" + filters.query(sort=key, order="desc" if descending else "", page=""),
                "aria_sort": ("descending" if filters.descending else "ascending")
                if active
                else "none",
            }
        )
    selected = []
    if filters.procedure:
        names = {v.procedure_id: v.name for v in versions}
        selected.append(("Procedure", names.get(filters.procedure, filters.procedure), "procedure"))
    if filters.stage:
        stage_words = dict(_stage_choices(versions, filters.procedure))
        selected.append(("Stage", stage_words.get(filters.stage, filters.stage), "stage"))
    if filters.agency:
        names = {str(a.pk): a.name for a in agencies}
        selected.append(("Agency", names.get(filters.agency, "Unknown agency"), "agency"))
    if filters.overdue:
        selected.append(("Overdue", "Overdue only", "overdue"))
    return render(
        request,
        "parley/web/register/register.html",
        {
            "page": page,
            "rows": _rows(page.object_list, procedures_by_version(person), now),
            "filters": filters,
            "procedures": sorted(((v.procedure_id, v.name) for v in versions), key=lambda p: p[1]),
            "stages": _stage_choices(versions, filters.procedure),
            "agencies": [(str(a.pk), a.name) for a in agencies],
            "headers": headers,
            "selected": [
                {"heading": h, "text": t, "href": "?" + filters.query(**{key: "", "page": ""})}
                for h, t, key in selected
            ],
            "csv_query": filters.query(),
            "page_query": filters.query(page=""),
        },
    )


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will show, never run: formulas get a leading quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = (
    "Reference",
    "Procedure",
    "Version",
    "Stage",
    "Route",
    "Raised",
    "Raised by",
    "Raising agency",
    "Other agency",
    "Category",
    "Next deadline",
    "Overdue",
)


@login_required
@require_safe
def register_csv(request: HttpRequest) -> HttpResponse:
    person = _person_with_sight(request)
    now = timezone.now()
    filters = Filters.from_query(request.GET)
    cases = reads.register_cases(person, filters, now)
    procedures = procedures_by_version(person)
    audit_record(
        action="register.export",
        request=request,
        detail={"filters": filter_names(request.GET, REGISTER_FILTERS)},
    )

    def lines() -> Any:
        writer = csv.writer(_Echo())
        # The byte-order mark tells Excel and LibreOffice the file is UTF-8: without it
        # they read names with accents or arrows as other characters.
        yield "\ufeff"
        yield writer.writerow(CSV_COLUMNS)
        for case in cases.iterator(chunk_size=500):
            procedure = procedures[case.procedure_id]
            overdue = case.next_due_at is not None and case.next_due_at < now
            yield writer.writerow(
                safe_cell(cell)
                for cell in (
                    case.reference,
                    procedure.name,
                    procedure.version,
                    _stage_name(procedure, case.track, case.stage),
                    case.get_route_display(),
                    govuk_date(case.raised_at),
                    case.raised_by.name,
                    case.raising_agency.name,
                    case.other_agency.name,
                    procedure.category_label(case.category) if case.category else "",
                    govuk_datetime(case.next_due_at),
                    "Yes" if overdue else "No",
                )
            )

    stamp = timezone.localtime(now).strftime("%Y-%m-%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ongoing-disagreements-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
