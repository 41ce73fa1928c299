"""A filled-in form as a PDF, for sending: HTML and CSS laid out by WeasyPrint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from django.template.loader import render_to_string

from parley.web.documents.model import FormDocument, Grid, Row

TEMPLATE = "parley/web/documents/form.html"


@dataclass(frozen=True)
class RowBlock:
    """Consecutive rows of a section, drawn as one table so their borders meet."""

    rows: tuple[Row, ...]
    is_grid = False


@dataclass(frozen=True)
class SectionView:
    heading: str
    intro: str
    blocks: tuple[RowBlock | Grid, ...]


def blocks(parts: tuple[Row | Grid, ...]) -> tuple[RowBlock | Grid, ...]:
    grouped: list[RowBlock | Grid] = []
    pending: list[Row] = []
    for part in parts:
        if isinstance(part, Row):
            pending.append(part)
            continue
        if pending:
            grouped.append(RowBlock(tuple(pending)))
            pending = []
        grouped.append(part)
    if pending:
        grouped.append(RowBlock(tuple(pending)))
    return tuple(grouped)


def form_html(form: FormDocument) -> str:
    sections = [SectionView(s.heading, s.intro, blocks(s.parts)) for s in form.sections]
    context: dict[str, Any] = {
        "form": form,
        "sections": sections,
        # Page margins print these from CSS strings, where HTML escaping does not apply.
        "css_reference": _css_text(form.reference),
        "css_marking": _css_text(form.marking),
    }
    return render_to_string(TEMPLATE, context)


def pdf_bytes(form: FormDocument) -> bytes:
    import weasyprint  # slow to import: only when a PDF is asked for

    html = weasyprint.HTML(string=form_html(form), url_fetcher=_refuse_fetch)
    result: bytes = html.write_pdf(pdf_variant=PDF_VARIANT)
    return result


# Tagged PDF for screen readers (PDF/UA-1): a structure tree of headings, tables and
# paragraphs, the document's language (from <html lang>) and its title shown as the
# window's title. Forms go to people who read them with screen readers.
PDF_VARIANT = "pdf/ua-1"


def _css_text(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9 .-]", "", text)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # Nothing in a form is fetched: no images, fonts or styles from anywhere, so text
    # typed into a case can never make the server read a file or call out.
    raise ValueError(f"forms fetch nothing ({url[:40]})")
