"""Which documents a case has, and each one filled in as PDF or DOCX.

``documents_for`` lists what the case page offers; ``document_render`` makes the file.
Which forms apply is data: the procedure file's ``forms`` (docs/documents.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from parley.cases import selectors
from parley.cases.models import Disagreement, Person
from parley.core.engine import CaseState
from parley.core.procedure import Form, Procedure
from parley.web.documents.facts import case_facts
from parley.web.documents.forms import TEMPLATES
from parley.web.documents.model import FormDocument

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Format → (content type, words for a link). PDF for sending; DOCX for agencies that edit.
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "docx": (DOCX_TYPE, "Word (DOCX)"),
}
OUTCOME_TEMPLATE = "outcome-confirmation"


class DocumentNotAvailable(LookupError):
    """The form does not apply to this case (yet), or there is no such form or format."""


@dataclass(frozen=True)
class Download:
    fmt: str
    label: str
    url: str


@dataclass(frozen=True)
class DocumentLink:
    """A form the case has, for the case page: ``form_id`` is the template id."""

    form_id: str
    title: str
    formats: tuple[str, ...]
    reference: str

    def url(self, fmt: str) -> str:
        return reverse(
            "case_document",
            kwargs={"reference": self.reference, "form_id": self.form_id, "fmt": fmt},
        )

    @property
    def downloads(self) -> tuple[Download, ...]:
        return tuple(Download(fmt, FORMATS[fmt][1], self.url(fmt)) for fmt in self.formats)


@dataclass(frozen=True)
class Applicable:
    template: str
    title: str
    form: Form | None  # None: offered without being named (the outcome confirmation)


def forms_applying(procedure: Procedure, state: CaseState) -> list[Applicable]:
    """The forms a case in ``state`` has, in the procedure's order; pure.

    A form with ``from_stage`` applies once the case has reached that stage or a later one
    (a bypass past it still needs it); ``when: resolved-at`` once the case was resolved at
    that stage (any stage without one). The written confirmation of outcome is offered for
    every resolved case of a procedure whose outcome needs one, named or not.
    """
    track = procedure.track(state.track)
    reached = max(
        (track.stage(s).number for s in state.stages_reached if track.has_stage(s)), default=0
    )
    found: dict[str, Applicable] = {}
    for form in procedure.forms:
        if form.template in found or form.template not in TEMPLATES:
            continue
        if form.from_stage and not track.has_stage(form.from_stage):
            continue
        if form.when == "resolved-at":
            if not state.resolved_stage:
                continue
            if form.from_stage and state.resolved_stage != form.from_stage:
                continue
        elif form.from_stage and reached < track.stage(form.from_stage).number:
            continue
        found[form.template] = Applicable(form.template, form.name, form)
    if (
        OUTCOME_TEMPLATE not in found
        and state.resolved_stage
        and procedure.outcome.written_confirmation
    ):
        found[OUTCOME_TEMPLATE] = Applicable(
            OUTCOME_TEMPLATE, TEMPLATES[OUTCOME_TEMPLATE].title, None
        )
    return list(found.values())


def documents_for(
    *, disagreement: Disagreement, state: CaseState | None = None
) -> list[DocumentLink]:
    """The documents the case page offers for this case now. Pass ``state`` if you have it."""
    procedure = selectors.procedure_of(disagreement.procedure)
    state = state or selectors.disagreement_state(disagreement)
    return [
        DocumentLink(
            form_id=applicable.template,
            title=applicable.title,
            formats=tuple(FORMATS),
            reference=disagreement.reference,
        )
        for applicable in forms_applying(procedure, state)
    ]


def document_build(
    *,
    disagreement: Disagreement,
    form_id: str,
    prepared_by: Person | None = None,
    now: datetime | None = None,
) -> FormDocument:
    """The form filled in from the case, or DocumentNotAvailable if it does not apply."""
    procedure = selectors.procedure_of(disagreement.procedure)
    state = selectors.disagreement_state(disagreement)
    applicable = _chosen(forms_applying(procedure, state), form_id)
    if applicable is None:
        raise DocumentNotAvailable(form_id)
    zone = procedure.calendar.timezone
    now = timezone.localtime(now or timezone.now(), timezone=ZoneInfo(zone))
    facts = case_facts(disagreement=disagreement, now=now, prepared_by=prepared_by, state=state)
    return TEMPLATES[applicable.template].build(facts, applicable.form)


def _chosen(applying: list[Applicable], form_id: str) -> Applicable | None:
    """The form asked for by its template id or, as the procedure file names it, its id."""
    for applicable in applying:
        if applicable.template == form_id:
            return applicable
    for applicable in applying:
        if applicable.form is not None and applicable.form.id == form_id:
            return applicable
    return None


def document_render(
    *,
    disagreement: Disagreement,
    form_id: str,
    fmt: str,
    prepared_by: Person | None = None,
    now: datetime | None = None,
) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the form filled in from the case."""
    if fmt not in FORMATS:
        raise DocumentNotAvailable(f"{form_id}.{fmt}")
    form = document_build(
        disagreement=disagreement, form_id=form_id, prepared_by=prepared_by, now=now
    )
    if fmt == "pdf":
        from parley.web.documents.pdf import pdf_bytes

        content = pdf_bytes(form)
    else:
        from parley.web.documents.word import docx_bytes

        content = docx_bytes(form)
    filename = document_filename(disagreement.reference, form.template, fmt)
    return filename, FORMATS[fmt][0], content


def document_filename(reference: str, form_id: str, fmt: str) -> str:
    """ "TWSP-000123-twsp-referral.pdf": letters, digits and hyphens only."""
    safe = re.sub(r"[^A-Za-z0-9-]+", "-", f"{reference}-{form_id}").strip("-")
    return f"{safe}.{fmt}"
