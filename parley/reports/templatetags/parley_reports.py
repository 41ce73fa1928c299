"""For report templates: a figure as a link to its cases, and the overdue learning panel."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from parley.reports.selectors import learning_overdue
from parley.reports.tables import Cell

NOT_APPLICABLE = mark_safe(
    '<span aria-hidden="true">–</span><span class="govuk-visually-hidden">not applicable</span>'
)


def report_cell(cell: Cell, threshold: int, cases_url: str = "") -> SafeString:
    """A figure as words, linked to the cases behind it where there is a list to show."""
    words = cell.display(threshold)
    if cell.value is None and cell.hidden is None and cell.kind != "text":
        return NOT_APPLICABLE
    if cases_url and cell.link and cell.hidden is None:
        return format_html('<a class="govuk-link" href="{}?{}">{}</a>', cases_url, cell.link, words)
    return format_html("{}", words)


def learning_overdue_panel(context: Any) -> dict[str, Any]:
    """How many learning follow-ups are overdue, for someone who runs reports; else nothing."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"count": 0}
    person = getattr(user, "person", None)
    if person is None:
        return {"count": 0}
    overdue = learning_overdue(person=person, today=timezone.localdate())
    return {"count": overdue.count()}
