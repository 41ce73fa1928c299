"""Generated documents: every field of the originals, filled in from the case, in PDF and DOCX.

Each file is opened and read back (pypdf for the PDF, python-docx for the DOCX), so the
tests check what a recipient would see, not what Parley meant to write.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pypdf
import pytest
from django.db import transaction

from parley.audit.models import AuditEntry
from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Disagreement, Partnership
from parley.core.engine import EventKind
from parley.core.procedure import Side
from parley.web.documents.facts import case_facts
from parley.web.documents.forms import TEMPLATES
from parley.web.documents.model import FormDocument
from parley.web.documents.pdf import pdf_bytes
from parley.web.documents.services import (
    DocumentNotAvailable,
    document_build,
    document_filename,
    document_render,
    documents_for,
)
from parley.web.documents.word import docx_bytes
from tests import ladder
from tests.office import pdfinfo

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NORTHSHIRE = Path(__file__).resolve().parents[1] / "core/fixtures/procedures/northshire.yaml"
NOW = datetime(2027, 1, 5, 10, tzinfo=LONDON)

# TWSP Resolution and Escalation Policy, Appendix 3, as printed (colons left off).
APPENDIX_3 = (
    "Telford",  # the partnership heads the form
    "Resolution and Escalation Referral Form",
    "FORMAL ESCALATION FORM (to be used from Stage 3 only and sent to the relevant senior "
    "manager or other designated professional)",
    "Client Reference Number (if applicable)",
    "Date",
    "Name of Individual",
    "Date of Birth",
    "NHS Number",
    "Agency/Team",
    "Named GP and Surgery",
    "Summary of Concerns, including the specific difference/s which has resulted in "
    "utilising the Escalation process",
    "(It is important that you provide information that details how you have made every "
    "effort to resolve this matter at a local level within Stages 1 & 2)",
    "Requested Action",
    "Response",
    "Signature",
    "Resolution of Issues",
    "Actions taken to resolve the professional disagreement",
)
# Wirral chapter 7.2 Appendices 1 and 2: the originals' fields could not be read, so these
# are what section 2 asks the proforma to report (see docs/documents.md).
WIRRAL_PROFORMA = (
    "Date of report",
    "Case reference",
    "Reporting agency",
    "Agency representative",
    "Child's initials",
    "Agency's reference for the child",
    "The agencies in disagreement",
    "Raised the disagreement",
    "Whose decision was disputed",
    "Nature of the disagreement",
    "What the disagreement was about",
    "Stages gone through",
    "Date resolved",
    "Stage resolved at",
    "How it was resolved",
    "Agreed outcome",
    "Agreed actions, and how any outstanding issues will be pursued",
    "Themes and learning for the WSCB quarterly thematic report",
    "Learning for agencies or the WSCB",
    "Completed by",
    "Signature",
    "were not available to Parley",
)
OUTCOME_CONFIRMATION = (
    "Written confirmation of the agreed outcome",
    "Procedure",
    "Date raised",
    "Person it is about",
    "The parties",
    "Stages gone through",
    "Resolved on",
    "Resolved at",
    "Agreed outcome",
    "How any outstanding issues will be pursued",
    "Required by",
    "Confirmed by the parties",
    "Signature",
)
SUMMARY = (
    "Children's social care closed the case of a 2-year-old after one home visit, although "
    "the health visitor has seen repeated unexplained bruising."
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[int]:
    """The demo partnership, loaded once for the module (loading it takes most of a second).

    Each test runs inside its own savepoint within this transaction, as Django's
    ``TestCase.setUpTestData`` does, and the whole lot is rolled back at the end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(with_cases=False).pk
        transaction.set_rollback(True)


@pytest.fixture
def partnership(demo, db) -> Partnership:
    return Partnership.objects.get(pk=demo)


def agency(partnership: Partnership, start: str):
    return partnership.agencies.get(name__startswith=start)


def raise_case(partnership: Partnership, procedure_id: str, **extra) -> Disagreement:
    fields = {
        "procedure": partnership.procedures.get(procedure_id=procedure_id, is_current=True),
        "raised_by": person("nia.nurse"),
        "raising_agency": agency(partnership, "Demoshire NHS"),
        "other_agency": agency(partnership, "Demoshire Council Children"),
        "other_professional": person("sam.social"),
        "summary": SUMMARY,
        "evidence": "Health visiting records of three visits.",
        "outcome_sought": "A strategy discussion and a child and family assessment.",
        "subject_name": "Amelia Jones",
        "subject_date_of_birth": date(2024, 3, 2),
        "subject_nhs_number": "9434765919",
        "subject_client_reference": "CS-104233",
        "subject_gp": "Dr Patel, Wellington Road Surgery",
        "at": at(2026, 12, 21, 10),
    }
    fields.update(extra)
    return services.disagreement_raise(**fields)


def escalate(case: Disagreement, when: datetime, text: str = "We could not agree.") -> None:
    """As the raising side's holder of the case's current stage (nia, then max, then priya)."""
    ladder.act_as_holder(
        case, EventKind.ESCALATED, at=when, side=Side.RAISING, reason="no-agreement", text=text
    )


def resolve(case: Disagreement, when: datetime) -> None:
    ladder.act_as_holder(
        case,
        EventKind.RESOLVED,
        at=when,
        side=Side.RAISING,
        outcome="A strategy discussion will be held on 4 January.",
        outstanding="The health visitor joins the strategy discussion.",
    )


@pytest.fixture
def twsp_at_stage_3(partnership) -> Disagreement:
    case = raise_case(
        partnership,
        "twsp",
        category="closing-involvement",
        raising_team="0-19 Health Visiting Team",
    )
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="Reviewed the file; the threshold is not met.", at=at(2026, 12, 22, 11),
    )  # fmt: skip
    escalate(case, at(2026, 12, 23, 9))
    services.disagreement_act(
        disagreement=case, person=person("max.manager"), kind=EventKind.DISCUSSION_RECORDED,
        text="The managers discussed it; still no agreement.", at=at(2026, 12, 24, 9),
    )  # fmt: skip
    escalate(case, at(2026, 12, 29, 9), "The managers could not agree.")
    case.refresh_from_db()
    return case


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def docx_text(content: bytes) -> str:
    from docx.table import _Cell

    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        parts.extend(p.text for p in (*section.header.paragraphs, *section.footer.paragraphs))
    for table in document.tables:
        for row in table.rows:
            # The row's own cells: a cell merged across columns appears once.
            parts.extend(_Cell(tc, table).text for tc in row._tr.tc_lst)
    return " ".join(" ".join(parts).split())


# Laying a PDF out takes about half a second: a form with the same contents is laid out
# once per run (the forms are frozen values, so equal contents are equal keys).
_READ_BACK: dict[tuple[FormDocument, str], str] = {}


def both(case: Disagreement, form_id: str) -> dict[str, str]:
    """The form's text as read back from the PDF and from the DOCX."""
    form = document_build(
        disagreement=case, form_id=form_id, prepared_by=person("priya.lead"), now=NOW
    )
    for fmt, write, read in (("pdf", pdf_bytes, pdf_text), ("docx", docx_bytes, docx_text)):
        if (form, fmt) not in _READ_BACK:
            _READ_BACK[form, fmt] = read(write(form))
    return {fmt: _READ_BACK[form, fmt] for fmt in ("pdf", "docx")}


# --- TWSP Appendix 3 ---------------------------------------------------------------------


def test_the_twsp_referral_holds_every_field_of_appendix_3_in_both_formats(twsp_at_stage_3):
    for fmt, text in both(twsp_at_stage_3, "twsp-referral").items():
        for label in APPENDIX_3:
            assert label in text, f"{fmt}: {label}"


def test_the_twsp_referral_is_filled_in_from_the_case(twsp_at_stage_3):
    case = twsp_at_stage_3
    for fmt, text in both(case, "twsp-referral").items():
        for value in (
            case.reference,
            "Amelia Jones",
            "2 March 2024",
            "943 476 5919",
            "CS-104233",
            "Dr Patel, Wellington Road Surgery",
            "Demoshire NHS Foundation Trust",
            SUMMARY,
            "A strategy discussion and a child and family assessment.",
            "5 January 2027",  # the date it was prepared
            "OFFICIAL-SENSITIVE",
        ):
            assert value in text, f"{fmt}: {value}"


def test_the_twsp_summary_shows_the_efforts_made_at_stages_1_and_2(twsp_at_stage_3):
    for fmt, text in both(twsp_at_stage_3, "twsp-referral").items():
        assert "What was done at stages 1 and 2 to resolve it" in text, fmt
        assert "22 December 2026 — Response recorded by Sam Okafor" in text, fmt
        assert "the threshold is not met" in text, fmt
        assert "24 December 2026 — Discussion recorded by Max Lindqvist" in text, fmt
        assert "To Stage 2: Line or team managers, because no agreement was reached" in text, fmt


def test_the_twsp_referral_records_the_resolution_once_resolved(twsp_at_stage_3):
    case = twsp_at_stage_3
    services.disagreement_act(
        disagreement=case, person=person("priya.lead"), kind=EventKind.MEETING_HELD,
        text="The senior managers met and agreed a strategy discussion.", at=at(2026, 12, 30, 9),
    )  # fmt: skip
    resolve(case, at(2026, 12, 30, 15))
    case.refresh_from_db()
    for fmt, text in both(case, "twsp-referral").items():
        assert "A strategy discussion will be held on 4 January." in text, fmt
        assert "30 December 2026 — Meeting held by Priya Raman" in text, fmt
        assert "How outstanding issues will be pursued: The health visitor joins" in text, fmt


def test_the_twsp_referral_is_offered_from_stage_3_only(partnership, twsp_at_stage_3):
    early = raise_case(partnership, "twsp")
    assert [d.form_id for d in documents_for(disagreement=early)] == []
    with pytest.raises(DocumentNotAvailable):
        document_render(disagreement=early, form_id="twsp-referral", fmt="pdf")
    links = documents_for(disagreement=twsp_at_stage_3)
    assert [(d.form_id, d.title, d.formats) for d in links] == [
        ("twsp-referral", "TWSP Resolution and Escalation Referral Form", ("pdf", "docx"))
    ]
    reference = twsp_at_stage_3.reference
    assert links[0].url("pdf") == f"/cases/{reference}/documents/twsp-referral.pdf"
    assert [d.label for d in links[0].downloads] == ["PDF", "Word (DOCX)"]


def test_a_bypass_past_stage_3_still_offers_the_referral(partnership):
    case = raise_case(partnership, "twsp", immediate_risk=True)  # starts at stage 3
    assert case.stage == "stage-3"
    assert "twsp-referral" in [d.form_id for d in documents_for(disagreement=case)]


# --- Wirral Appendices 1 and 2 -----------------------------------------------------------


def test_the_wirral_stage_2_proforma_holds_its_fields_in_both_formats(partnership):
    case = raise_case(partnership, "wirral-children", category="assessment")
    escalate(case, at(2026, 12, 22, 9))
    services.disagreement_act(
        disagreement=case, person=person("nia.nurse"),
        kind=EventKind.LEARNING_REFERRED, text="Thresholds guidance to be reissued.",
        at=at(2026, 12, 23, 9),
    )  # fmt: skip
    resolve(case, at(2026, 12, 23, 15))
    case.refresh_from_db()
    forms = [d.form_id for d in documents_for(disagreement=case)]
    assert forms == ["wirral-resolved-stage-2", "outcome-confirmation"]
    for fmt, text in both(case, "wirral-resolved-stage-2").items():
        for label in WIRRAL_PROFORMA:
            assert label in text, f"{fmt}: {label}"
        for value in (
            "Wirral Safeguarding Children Board",
            "Proforma for reporting conflicts which have been resolved at Stage 2 Agency "
            "Representative Level",
            "Appendix 1",
            case.reference,
            "AJ",  # the child's initials only: the report is for thematic analysis
            "CS-104233",
            "2 years",
            "An assessment",
            SUMMARY,
            "Stage 1: Professionals resolving the disagreement",
            "Stage 2: Managers and safeguarding leads",
            "23 December 2026",
            "A strategy discussion will be held on 4 January.",
            "Thresholds guidance to be reissued.",
            "Priya Raman",
            "Demoshire NHS Foundation Trust",
        ):
            assert value in text, f"{fmt}: {value}"
        assert "Amelia Jones" not in text, fmt


def test_the_wirral_stage_3_proforma_is_offered_only_when_resolved_at_stage_3(partnership):
    case = raise_case(partnership, "wirral-children")
    escalate(case, at(2026, 12, 22, 9))
    escalate(case, at(2026, 12, 23, 9))
    assert [d.form_id for d in documents_for(disagreement=case)] == []
    services.disagreement_act(
        disagreement=case, person=person("priya.lead"), kind=EventKind.MEETING_HELD,
        text="The Board representatives met to mediate.", at=at(2026, 12, 29, 10),
    )  # fmt: skip
    resolve(case, at(2026, 12, 29, 15))
    case.refresh_from_db()
    assert [d.form_id for d in documents_for(disagreement=case)] == [
        "wirral-resolved-stage-3",
        "outcome-confirmation",
    ]
    for fmt, text in both(case, "wirral-resolved-stage-3").items():
        for label in (*WIRRAL_PROFORMA, "Date of the conflict resolution meeting"):
            assert label in text, f"{fmt}: {label}"
        assert "Appendix 2" in text
        assert "29 December 2026 — Meeting held by Priya Raman" in text, fmt


# --- any procedure ----------------------------------------------------------------------


def test_the_outcome_confirmation_cites_the_procedures_requirement(partnership):
    case = raise_case(partnership, "torbay-children")
    resolve(case, at(2026, 12, 22, 15))
    case.refresh_from_db()
    assert [d.form_id for d in documents_for(disagreement=case)] == ["outcome-confirmation"]
    for fmt, text in both(case, "outcome-confirmation").items():
        for label in OUTCOME_CONFIRMATION:
            assert label in text, f"{fmt}: {label}"
        for value in (
            "Torbay Safeguarding Children Board",
            "written confirmation between the parties about an agreed outcome",
            "Nia Evans",
            "Sam Okafor",
            "Demoshire Council Children's Services",
            "A strategy discussion will be held on 4 January.",
            "The health visitor joins the strategy discussion.",
            "22 December 2026",
        ):
            assert value in text, f"{fmt}: {value}"


def test_twsp_outcome_confirmation_cites_section_3_1_9(partnership):
    case = raise_case(partnership, "twsp")
    resolve(case, at(2026, 12, 22, 15))
    case.refresh_from_db()
    form = document_build(disagreement=case, form_id="outcome-confirmation", now=NOW)
    required_by = next(field for field in form.fields() if field.label == "Required by")
    assert required_by.value == (
        "TWSP Resolution and Escalation Policy (Appendices 1 to 4): Section 3.1.9"
    )


def test_the_general_escalation_referral_serves_any_procedure(partnership):
    version = services.procedure_load(
        partnership=partnership,
        text=NORTHSHIRE.read_text(encoding="utf-8"),
        source_name="northshire.yaml",
    )
    case = raise_case(partnership, "northshire", track="general")
    assert documents_for(disagreement=case) == []
    escalate(case, at(2026, 12, 22, 9))
    escalate(case, at(2026, 12, 23, 9))
    case.refresh_from_db()
    assert case.procedure == version
    assert [d.form_id for d in documents_for(disagreement=case)] == ["escalation-referral"]
    for fmt, text in both(case, "escalation-referral").items():
        for value in (
            "Escalation referral",
            "Referred to",
            "Senior manager",
            "24 hours",
            "What has been done so far to resolve it",
            "Amelia Jones",
            "943 476 5919",
            SUMMARY,
            "Referred by",
            "Priya Raman",
        ):
            assert value in text, f"{fmt}: {value}"


def test_documents_for_reads_a_fixed_number_of_queries(
    twsp_at_stage_3, django_assert_max_num_queries
):
    case = Disagreement.objects.select_related("procedure").get(pk=twsp_at_stage_3.pk)
    with django_assert_max_num_queries(1):
        documents_for(disagreement=case)


def test_typed_text_is_printed_as_text(partnership):
    hostile = '<script>alert("x")</script> <img src="file:///etc/passwd"> Zoë — 😀 \u202e'
    case = raise_case(partnership, "twsp", summary=hostile, immediate_risk=True)
    texts = both(case, "twsp-referral")
    assert '<script>alert("x")</script>' in texts["docx"]
    assert "alert" in texts["pdf"] and "Zoë" in texts["pdf"]


# --- the files themselves ---------------------------------------------------------------


def test_the_pdf_is_a4_with_no_personal_data_in_its_properties(twsp_at_stage_3):
    _name, content_type, content = document_render(
        disagreement=twsp_at_stage_3, form_id="twsp-referral", fmt="pdf", now=NOW
    )
    assert content_type == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert twsp_at_stage_3.reference in metadata
    assert "Amelia" not in metadata
    text = pdf_text(content)
    assert re.search(r"Page 1 of \d", text)


def test_the_docx_uses_word_headings_tables_and_a4(twsp_at_stage_3):
    _name, content_type, content = document_render(
        disagreement=twsp_at_stage_3, form_id="twsp-referral", fmt="docx", now=NOW
    )
    assert content_type.endswith("wordprocessingml.document")
    document = docx.Document(io.BytesIO(content))
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert headings[0] == ("Heading 1", "Resolution and Escalation Referral Form")
    assert ("Heading 2", "The concerns") in headings
    assert len(document.tables) >= 4
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert "OFFICIAL-SENSITIVE" in section.header.paragraphs[0].text
    assert "OFFICIAL-SENSITIVE" in " ".join(p.text for p in section.footer.paragraphs)
    assert document.styles["Normal"].font.name == "Arial"
    properties = document.core_properties
    assert "Amelia" not in f"{properties.title} {properties.subject} {properties.comments}"
    assert properties.author == "Telford and Wrekin Safeguarding Partnership"


def test_filenames_are_safe():
    assert (
        document_filename("TWSP-000123", "twsp-referral", "pdf") == "TWSP-000123-twsp-referral.pdf"
    )
    assert document_filename('A/../"B', "x y", "docx") == "A-B-x-y.docx"


def test_the_built_form_lists_the_same_fields_for_both_writers(twsp_at_stage_3):
    form = document_build(disagreement=twsp_at_stage_3, form_id="twsp-referral", now=NOW)
    labels = [field.label for field in form.fields()]
    assert labels[:3] == ["Client Reference Number (if applicable)", "Date", "Name of Individual"]


# --- the download page ------------------------------------------------------------------


def test_a_party_downloads_the_form_and_the_download_is_audited(
    twsp_at_stage_3, signed_in, monkeypatch
):
    from parley.audit import services as audit

    recorded = []
    real = audit.audit_record
    monkeypatch.setattr(
        audit, "audit_record", lambda **kwargs: (recorded.append(kwargs), real(**kwargs))[1]
    )
    case = twsp_at_stage_3
    for fmt, content_type in (("pdf", "application/pdf"), ("docx", "wordprocessingml")):
        response = signed_in("nia.nurse").get(
            f"/cases/{case.reference}/documents/twsp-referral.{fmt}"
        )
        assert response.status_code == 200
        assert content_type in response["Content-Type"]
        assert response["Content-Disposition"] == (
            f'attachment; filename="{case.reference}-twsp-referral.{fmt}"'
        )
        assert "no-store" in response["Cache-Control"]
    downloads = [r for r in recorded if r["action"] == "case.download"]
    assert [r["detail"] for r in downloads] == [
        {"form": "twsp-referral", "format": "pdf"},
        {"form": "twsp-referral", "format": "docx"},
    ]
    assert all(r["disagreement"] == case for r in downloads)
    entries = AuditEntry.objects.filter(action="case.download", disagreement=case)
    assert entries.count() == 2


def test_someone_without_sight_of_the_case_gets_page_not_found(twsp_at_stage_3, signed_in):
    case = twsp_at_stage_3
    response = signed_in("pat.police").get(f"/cases/{case.reference}/documents/twsp-referral.pdf")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert not AuditEntry.objects.filter(action="case.download").exists()
    assert AuditEntry.objects.filter(action="case.refused").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{reference}/documents/outcome-confirmation.pdf",  # not resolved yet
        "/cases/{reference}/documents/no-such-form.pdf",
        "/cases/{reference}/documents/twsp-referral.exe",
        "/cases/TWSP-999999/documents/twsp-referral.pdf",
    ],
)
def test_a_form_that_does_not_apply_is_not_found(twsp_at_stage_3, signed_in, path):
    response = signed_in("nia.nurse").get(path.format(reference=twsp_at_stage_3.reference))
    assert response.status_code == 404


def test_a_form_can_be_asked_for_by_the_id_the_procedure_file_gives_it(partnership, signed_in):
    case = raise_case(partnership, "wirral-children")
    escalate(case, at(2026, 12, 22, 9))
    resolve(case, at(2026, 12, 23, 15))
    response = signed_in("nia.nurse").get(
        f"/cases/{case.reference}/documents/resolved-stage-2.docx"
    )
    assert response.status_code == 200
    assert f"{case.reference}-wirral-resolved-stage-2.docx" in response["Content-Disposition"]


def test_downloads_need_sign_in(twsp_at_stage_3, client):
    response = client.get(f"/cases/{twsp_at_stage_3.reference}/documents/twsp-referral.pdf")
    assert response.status_code == 302


# --- read by screen readers: tagged PDF (PDF/UA) -------------------------------------------


def structure_roles(reader: pypdf.PdfReader) -> set[str]:
    """Every structure element's role in the PDF's structure tree."""
    roles: set[str] = set()
    pending = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        node = pending.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.ArrayObject):
            pending.extend(node)
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue  # a marked-content number
        if "/S" in node:
            roles.add(str(node["/S"]))
        if "/K" in node:
            pending.append(node["/K"])
    return roles


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_every_form_is_a_tagged_pdf_in_english(twsp_at_stage_3, template_id, tmp_path):
    facts = case_facts(disagreement=twsp_at_stage_3, now=NOW, prepared_by=person("priya.lead"))
    form = TEMPLATES[template_id].build(facts, None)
    path = tmp_path / f"{template_id}.pdf"
    path.write_bytes(pdf_bytes(form))
    info = pdfinfo(path)  # poppler, as a PDF reader sees it
    assert info["Tagged"] == "yes", info
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    assert re.search(rb'pdfuaid:part(="1"|>1<)', root["/Metadata"].get_data())  # PDF/UA-1
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    roles = structure_roles(reader)
    assert {"/Document", "/H1", "/Table", "/TR", "/TD", "/P"} <= roles, roles
    assert reader.metadata.title.startswith(form.title)


# --- what each field prints, as the documents give it -------------------------------------


def field(form: FormDocument, label: str) -> str:
    return next(f.value for f in form.fields() if f.label == label)


def test_the_twsp_referral_date_is_the_day_the_form_fell_due_not_the_day_it_is_printed(
    twsp_at_stage_3,
):
    # The case reached stage 3, where the referral is due, on 29 December 2026.
    for now in (NOW, datetime(2027, 3, 1, 9, tzinfo=LONDON)):
        form = document_build(disagreement=twsp_at_stage_3, form_id="twsp-referral", now=now)
        assert field(form, "Date") == "29 December 2026"


def test_the_twsp_referral_prints_the_agency_and_the_team(twsp_at_stage_3):
    form = document_build(disagreement=twsp_at_stage_3, form_id="twsp-referral", now=NOW)

    assert field(form, "Agency/Team").startswith(
        "Demoshire NHS Foundation Trust / 0-19 Health Visiting Team."
    )


def test_the_wirral_proformas_go_to_the_wscb_business_manager(partnership):
    case = raise_case(partnership, "wirral-children")
    escalate(case, at(2026, 12, 22, 9))
    resolve(case, at(2026, 12, 23, 15))
    case.refresh_from_db()
    form = document_build(disagreement=case, form_id="wirral-resolved-stage-2", now=NOW)

    assert form.send_to == "the WSCB Business Manager"


def test_the_wirral_stage_3_proforma_takes_the_chair_and_those_present_from_the_meeting(
    partnership,
):
    case = raise_case(partnership, "wirral-children")
    escalate(case, at(2026, 12, 22, 9))
    escalate(case, at(2026, 12, 23, 9))
    services.disagreement_act(
        disagreement=case, person=person("priya.lead"), kind=EventKind.MEETING_HELD,
        text="The Board representatives met to mediate.", at=at(2026, 12, 29, 10),
        chaired_by="Priya Raman, Board representative",
        present="Priya Raman (Demoshire NHS); Lee Harper (Demoshire Council)",
    )  # fmt: skip
    resolve(case, at(2026, 12, 29, 15))
    case.refresh_from_db()
    form = document_build(disagreement=case, form_id="wirral-resolved-stage-3", now=NOW)

    assert field(form, "Chaired by") == "Priya Raman, Board representative"
    assert field(form, "WSCB Board representatives present") == (
        "Priya Raman (Demoshire NHS); Lee Harper (Demoshire Council)"
    )


# --- the case page offers only documents that exist --------------------------------------

DOCUMENT_LINK = re.compile(r'href="(/cases/[^"]+/documents/[^"]+)"')


def links_all_download(client, case: Disagreement) -> tuple[list[str], str]:
    html = client.get(f"/cases/{case.reference}/").content.decode()
    links = DOCUMENT_LINK.findall(html)
    for link in links:
        assert client.get(link).status_code == 200, link
    return links, html[html.index('id="documents"') :] if 'id="documents"' in html else ""


def test_an_open_case_links_to_no_outcome_yet_and_says_when_it_will_be_ready(
    partnership, signed_in
):
    case = raise_case(partnership, "twsp", category="closing-involvement")
    links, section = links_all_download(signed_in("nia.nurse"), case)
    assert not [link for link in links if "outcome" in link]
    assert "Written confirmation of the outcome" in section or "outcome" in section.lower()
    assert "Ready when the disagreement is resolved" in section
    assert "Ready when the disagreement reaches stage 3" in section


def test_a_wirral_case_resolved_at_stage_3_offers_no_stage_2_proforma(partnership, signed_in):
    case = raise_case(partnership, "wirral-children")
    escalate(case, at(2026, 12, 22, 9))
    escalate(case, at(2026, 12, 23, 9))
    services.disagreement_act(
        disagreement=case, person=person("priya.lead"), kind=EventKind.MEETING_HELD,
        text="The Board representatives met to mediate.", at=at(2026, 12, 29, 10),
    )  # fmt: skip
    resolve(case, at(2026, 12, 29, 15))
    case.refresh_from_db()
    links, section = links_all_download(signed_in("nia.nurse"), case)
    assert any("wirral-resolved-stage-3" in link for link in links)
    assert any("outcome-confirmation" in link for link in links)
    assert not any("resolved-stage-2" in link for link in links)
    assert "Appendix 1" not in section
