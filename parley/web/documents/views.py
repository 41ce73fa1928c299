"""Downloading a case's document: access checked, the download audited, then the file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from parley.audit import services as audit
from parley.cases.access import disagreement_get_visible, person_of
from parley.web.documents.services import FORMATS, DocumentNotAvailable, document_render


@require_GET
@login_required
def case_document(request: HttpRequest, reference: str, form_id: str, fmt: str) -> HttpResponse:
    person = person_of(request)
    case = disagreement_get_visible(person=person, reference=reference)
    if case is None:
        # Hidden and missing look the same from outside; the refusal is recorded with
        # every other (parley.web.middleware).
        raise Http404("Page not found")
    if fmt not in FORMATS:
        raise Http404("Page not found")
    try:
        filename, content_type, content = document_render(
            disagreement=case, form_id=form_id, fmt=fmt, prepared_by=person
        )
    except DocumentNotAvailable:
        raise Http404("Page not found") from None
    audit.audit_record(
        action="case.download",
        request=request,
        disagreement=case,
        detail={"form": form_id, "format": fmt},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "no-store"
    response["Content-Length"] = str(len(content))
    return response
