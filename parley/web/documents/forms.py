"""The forms Parley fills in: a registry from template id to title and field builder.

A procedure file names a template under ``forms`` (see docs/procedure-format.md); each
builder here turns a case's facts into a :class:`FormDocument`, which the PDF and the
DOCX writers both lay out. Adding a form is adding a builder and a registry entry, and
its id to ``parley.core.loader.FORM_TEMPLATES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from parley.core.engine import EventKind
from parley.core.procedure import Form, Source
from parley.core.words import long_date
from parley.web.documents.facts import CaseFacts, Entry, Visit
from parley.web.documents.model import (
    FormDocument,
    Grid,
    Part,
    Section,
    one,
    pair,
    signed,
    wide,
)
from parley.web.documents.wording import role_list

Builder = Callable[[CaseFacts, Form | None], FormDocument]


@dataclass(frozen=True)
class FormTemplate:
    id: str
    title: str
    build: Builder
    description: str


# The words of TWSP Appendix 3, exactly as the form prints them (colons dropped).
TWSP_TITLE = "Resolution and Escalation Referral Form"
TWSP_BANNER = (
    "FORMAL ESCALATION FORM (to be used from Stage 3 only and sent to the relevant senior "
    "manager or other designated professional)"
)
TWSP_SUMMARY = (
    "Summary of Concerns, including the specific difference/s which has resulted in "
    "utilising the Escalation process"
)
TWSP_SUMMARY_HINT = (
    "(It is important that you provide information that details how you have made every "
    "effort to resolve this matter at a local level within Stages 1 & 2)"
)
TWSP_LABELS = (
    "Client Reference Number (if applicable)",
    "Date",
    "Name of Individual",
    "Date of Birth",
    "NHS Number",
    "Agency/Team",
    "Named GP and Surgery",
    TWSP_SUMMARY,
    "Requested Action",
    "Response",
    "Signature",
    "Resolution of Issues",
    "Actions taken to resolve the professional disagreement",
)
# Kinds of entry that are things done to resolve a disagreement, for "Actions taken".
ACTIONS_TAKEN = (
    EventKind.DISCUSSION_RECORDED,
    EventKind.REFERRED,
    EventKind.MEETING_HELD,
    EventKind.DECISION_MADE,
    EventKind.FEEDBACK_GIVEN,
    EventKind.DEBRIEF_RECORDED,
    EventKind.LEARNING_REFERRED,
)
RESPONSES = (EventKind.RESPONSE_RECORDED, EventKind.DECISION_MADE)
# Kinds of entry that show how a stage resolved it: talking, meeting, deciding, replying.
RESOLVING = (
    EventKind.DISCUSSION_RECORDED,
    EventKind.REFERRED,
    EventKind.MEETING_HELD,
    EventKind.DECISION_MADE,
    EventKind.RESPONSE_RECORDED,
)


# --- pieces shared by several forms -----------------------------------------------------


def nhs_number(value: str) -> str:
    """NHS numbers are written 3 3 4: "943 476 5919"."""
    digits = value.replace(" ", "")
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return value


def initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split() if part[:1].isalpha())


def age_on(born: date | None, day: date) -> str:
    if born is None:
        return ""
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return f"{years} year{'' if years == 1 else 's'}" if years >= 1 else "Under 1 year"


def paragraphs(*parts: str) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def agencies_grid(facts: CaseFacts) -> Grid:
    return Grid(
        columns=("", "Agency", "Professional"),
        rows=(
            ("Raised the disagreement", facts.raising_agency, facts.raising_party),
            ("Whose decision was disputed", facts.other_agency, facts.other_professional),
        ),
    )


def stages_grid(facts: CaseFacts) -> Grid:
    def ended(visit: Visit) -> str:
        if visit.left_at is None:
            return "Current stage" if facts.status.value == "open" else ""
        return visit.how_left

    return Grid(
        columns=("Stage", "Reached on", "Left on", "How it ended"),
        rows=tuple(
            (visit.title, facts.day(visit.entered_at), facts.day(visit.left_at), ended(visit))
            for visit in facts.visits
        ),
        empty="No stages recorded.",
    )


def completed_by(facts: CaseFacts, heading: str = "Completed by") -> Section:
    who = facts.preparer
    return Section(
        heading,
        (
            pair("Name", who.name if who else "", "Role", who.job_title if who else ""),
            pair("Agency", who.agency if who else "", "Date", long_date(facts.now.date())),
            pair("Email", who.email if who else "", "Telephone", who.phone if who else ""),
            one("Signature", lines=2),
        ),
    )


def send_to(facts: CaseFacts, form: Form | None) -> str:
    """Who the form goes to: as the document names them, or the roles it is sent to."""
    if form is not None and form.addressee:
        return form.addressee
    if form is None or not form.send_to:
        return ""
    return role_list(facts.procedure, form.send_to)


def citation(facts: CaseFacts, source: Source, setting: str = "") -> str:
    """Where a form's rule comes from: the document's passage, or that the document does
    not say and the rule is Parley's choice."""
    if source.chosen(setting):
        return source.choice_words(setting)
    document = facts.procedure.document or facts.procedure.name
    return f"{document}: {source.cite}" if source.cite else document


def document(
    facts: CaseFacts,
    form: Form | None,
    *,
    template: str,
    title: str,
    sections: tuple[Section, ...],
    banner: str = "",
    notes: tuple[str, ...] = (),
) -> FormDocument:
    return FormDocument(
        template=template,
        partnership=facts.procedure.partnership,
        title=title,
        reference=facts.reference,
        date=long_date(facts.now.date()),
        sections=sections,
        banner=banner,
        notes=notes,
        send_to=send_to(facts, form),
        prepared_at=facts.now,
    )


# --- TWSP Appendix 3 ----------------------------------------------------------------------


def twsp_referral(facts: CaseFacts, form: Form | None) -> FormDocument:
    """TWSP Appendix 3, every field in the original's order.

    The summary carries the record of stages 1 and 2, because the form asks how every
    effort was made to resolve it there (Appendix 3); the response, resolution and actions
    come from the record from stage 3, where the form is used ("from Stage 3 only").
    """
    from_number = _from_number(facts, form, default=3)
    earlier = facts.entries_where(below=from_number)
    later = facts.entries_where(from_number=from_number)
    responses = [e for e in later if e.kind in RESPONSES]
    actions = [e for e in later if e.kind in ACTIONS_TAKEN]
    with_whom = facts.other_agency + (
        f" ({facts.other_professional})" if facts.other_professional else ""
    )
    effort = facts.lines(earlier) or "Nothing is recorded at stages 1 and 2."
    summary = paragraphs(
        facts.summary,
        f"The disagreement is with {with_whom}.",
        f"Category: {facts.category}." if facts.category else "",
        f"Evidence: {facts.evidence}" if facts.evidence else "",
        f"What was done at stages 1 and 2 to resolve it:\n{effort}",
    )
    agency = (
        facts.raising_agency
        + (f" / {facts.raising_team}" if facts.raising_team else "")
        + (f". Raised by {facts.raising_party}" if facts.raised_by else "")
    )
    # The date of the referral: when the form first fell due, the day the case first
    # reached its stage (Appendix 1, stage 3: "referred in writing ... within 24 hours"),
    # however often or late the form is printed.
    referred = next((v.entered_at for v in facts.visits if v.number >= from_number), None)
    outstanding = (
        f"How outstanding issues will be pursued: {facts.outstanding}" if facts.outstanding else ""
    )
    sections = (
        Section(
            "The individual and the referring agency",
            (
                pair(
                    "Client Reference Number (if applicable)",
                    facts.subject_client_reference,
                    "Date",
                    facts.day(referred),
                ),
                one("Name of Individual", facts.subject_name),
                pair(
                    "Date of Birth",
                    long_date(facts.subject_date_of_birth),
                    "NHS Number",
                    nhs_number(facts.subject_nhs_number),
                ),
                one("Agency/Team", agency),
                one("Named GP and Surgery", facts.subject_gp),
            ),
        ),
        Section(
            "The concerns",
            (
                wide(TWSP_SUMMARY, summary, hint=TWSP_SUMMARY_HINT, lines=8),
                wide("Requested Action", facts.outcome_sought, lines=6),
            ),
        ),
        Section(
            "Response and resolution",
            (
                wide("Response", facts.lines(responses), lines=4),
                signed(facts.day(responses[-1].at) if responses else ""),
                wide("Resolution of Issues", facts.outcome, lines=5),
                signed(facts.day(facts.resolved_at)),
                wide(
                    "Actions taken to resolve the professional disagreement",
                    paragraphs(facts.lines(actions), outstanding),
                    lines=4,
                ),
                signed(facts.day(actions[-1].at) if actions else ""),
            ),
        ),
    )
    return document(
        facts,
        form,
        template="twsp-referral",
        title=TWSP_TITLE,
        banner=TWSP_BANNER,
        sections=sections,
    )


def _from_number(facts: CaseFacts, form: Form | None, *, default: int) -> int:
    if form is not None and form.from_stage and facts.track.has_stage(form.from_stage):
        return facts.track.stage(form.from_stage).number
    return default


# --- Wirral Appendices 1 and 2 ------------------------------------------------------------

# The published chapter 7.2 links its two proformas as separate files whose fields could
# not be read. These fields are Parley's design, from what section 2 says the proforma is
# for: the WSCB Business Manager's analysis of themes and learning for the quarterly
# report to the WSCB Executive Group. The child is named by initials and the agency's
# reference only: a thematic report needs no more (UK GDPR data minimisation).
WIRRAL_NOTE = (
    "This proforma follows chapter 7.2 of the WSCB procedures manual. The fields of the "
    "published Appendix {appendix} were not available to Parley, so this form covers what "
    "section 2 asks the proforma to report: the disagreement, how and when it was resolved, "
    "and the themes and learning for the WSCB's quarterly thematic report."
)


def _wirral_meeting(facts: CaseFacts, at_stage: list[Entry]) -> tuple[Part, ...]:
    """From the meeting's record: the last conflict resolution meeting at stage 3."""
    meetings = [e for e in at_stage if e.kind is EventKind.MEETING_HELD]
    meeting = meetings[-1] if meetings else None
    return (
        pair(
            "Date of the conflict resolution meeting",
            facts.day(meeting.at) if meeting else "",
            "Chaired by",
            meeting.chaired_by if meeting else "",
        ),
        wide(
            "WSCB Board representatives present",
            meeting.present if meeting else "",
            lines=2,
        ),
    )


def _wirral_opening(facts: CaseFacts) -> tuple[Section, Section]:
    """About this report, and the child (by initials and the agency's reference only)."""
    raised_on = facts.raised_at.astimezone(facts.now.tzinfo).date()
    return (
        Section(
            "About this report",
            (
                pair(
                    "Date of report",
                    long_date(facts.now.date()),
                    "Case reference",
                    facts.reference,
                ),
                one("Reporting agency", _reporting_agency(facts)),
                pair(
                    "Agency representative",
                    facts.preparer.name if facts.preparer else "",
                    "Role",
                    facts.preparer.job_title if facts.preparer else "",
                ),
            ),
        ),
        Section(
            "The child",
            (
                pair(
                    "Child's initials",
                    initials(facts.subject_name),
                    "Agency's reference for the child",
                    facts.subject_client_reference,
                ),
                one(
                    "Age when the disagreement was raised",
                    age_on(facts.subject_date_of_birth, raised_on),
                ),
            ),
        ),
    )


def _wirral_themes(facts: CaseFacts) -> Section:
    """Themes and learning, for the WSCB's quarterly thematic report."""
    learning = facts.entries_where(kinds=(EventKind.LEARNING_REFERRED,))
    debriefs = facts.entries_where(kinds=(EventKind.DEBRIEF_RECORDED,))
    return Section(
        "Themes and learning for the WSCB quarterly thematic report",
        (
            wide(
                "Themes",
                "",
                hint="For example: thresholds, information sharing, communication "
                "between agencies, timeliness.",
                lines=3,
            ),
            wide("What helped to resolve it, and what got in the way", "", lines=3),
            wide(
                "Learning for agencies or the WSCB",
                facts.lines(learning),
                lines=3,
            ),
            one(
                "Debrief held",
                facts.lines(debriefs) or "No debrief recorded.",
            ),
        ),
    )


def wirral_resolved(stage_number: int, appendix: int) -> Builder:
    def build(facts: CaseFacts, form: Form | None) -> FormDocument:
        at_stage = [
            e
            for e in facts.entries
            if facts.stage_number(e.stage) == stage_number
            and e.kind in (*ACTIONS_TAKEN, *RESPONSES)
        ]
        how_parts = _wirral_meeting(facts, at_stage) if stage_number == 3 else ()
        sections = (
            *_wirral_opening(facts),
            Section("The agencies in disagreement", (agencies_grid(facts),)),
            Section(
                "The disagreement",
                (
                    one("Nature of the disagreement", facts.category),
                    wide("What the disagreement was about", facts.summary, lines=5),
                    wide(
                        "Outcome sought by the agency that raised it", facts.outcome_sought, lines=3
                    ),
                ),
            ),
            Section("Stages gone through", (stages_grid(facts),)),
            Section(
                f"How it was resolved at stage {stage_number}",
                (
                    pair(
                        "Date resolved",
                        facts.day(facts.resolved_at),
                        "Stage resolved at",
                        facts.stage_words(facts.resolved_stage) if facts.resolved_stage else "",
                    ),
                    *how_parts,
                    wide("How it was resolved", facts.lines(at_stage), lines=4),
                    wide("Agreed outcome", facts.outcome, lines=4),
                    wide(
                        "Agreed actions, and how any outstanding issues will be pursued",
                        facts.outstanding,
                        lines=4,
                    ),
                ),
            ),
            _wirral_themes(facts),
            completed_by(facts),
        )
        return document(
            facts,
            form,
            template=f"wirral-resolved-stage-{stage_number}",
            title=(
                "Proforma for reporting conflicts which have been resolved at "
                f"Stage {stage_number} Agency Representative Level"
            ),
            banner=f"WSCB procedures manual, chapter 7.2, Appendix {appendix}",
            sections=sections,
            notes=(WIRRAL_NOTE.format(appendix=appendix),),
        )

    return build


def _reporting_agency(facts: CaseFacts) -> str:
    """The preparer's agency when they are one of the two parties; else the raising one."""
    if facts.preparer is not None:
        for agency in (facts.raising_agency, facts.other_agency):
            if agency in facts.preparer.agency.split(", "):
                return agency
    return facts.raising_agency


# --- written confirmation of the outcome -------------------------------------------------


def outcome_confirmation(facts: CaseFacts, form: Form | None) -> FormDocument:
    """The written confirmation between the parties that procedures ask for (e.g. TWSP
    section 3.1.9: "written confirmation between the parties about an agreed outcome of
    the disagreement and how any outstanding issues will be pursued")."""
    procedure = facts.procedure
    if procedure.outcome.written_confirmation:
        asked = one(
            "Required by",
            citation(facts, form.source)
            if form
            else citation(facts, procedure.outcome.source, "written_confirmation"),
        )
    else:
        # Bedfordshire Channel asks for responses in writing, not for this confirmation:
        # Parley offers it and says whose choice that is.
        asked = one(
            "Offered by",
            f"Parley: {procedure.document or procedure.name} does not ask for a written "
            "confirmation of the outcome; the parties may use this one if they wish",
        )
    sections = (
        Section(
            "The disagreement",
            (
                one("Procedure", f"{procedure.name} (version {procedure.version})"),
                pair("Date raised", facts.day(facts.raised_at), "Category", facts.category),
                pair(
                    "Person it is about",
                    facts.subject_name,
                    "Client reference",
                    facts.subject_client_reference,
                ),
                wide("What the disagreement was about", facts.summary, lines=4),
            ),
        ),
        Section("The parties", (agencies_grid(facts),)),
        Section("Stages gone through", (stages_grid(facts),)),
        Section(
            "The agreed outcome",
            (
                pair(
                    "Resolved on",
                    facts.day(facts.resolved_at),
                    "Resolved at",
                    facts.stage_words(facts.resolved_stage) if facts.resolved_stage else "",
                ),
                wide("Agreed outcome", facts.outcome, lines=5),
                wide("How any outstanding issues will be pursued", facts.outstanding, lines=4),
                asked,
            ),
        ),
        Section(
            "Confirmed by the parties",
            (
                pair("Name", facts.raised_by, "Agency", facts.raising_agency),
                signed(),
                pair("Name", facts.other_professional, "Agency", facts.other_agency),
                signed(),
            ),
            intro="Each party signs to confirm the agreed outcome and keeps a copy on the file.",
        ),
    )
    return document(
        facts,
        form,
        template="outcome-confirmation",
        title="Written confirmation of the agreed outcome",
        sections=sections,
    )


# --- a referral any procedure can use ----------------------------------------------------


def escalation_referral(facts: CaseFacts, form: Form | None) -> FormDocument:
    current = (
        facts.track.stage(facts.current_stage)
        if facts.track.has_stage(facts.current_stage)
        else None
    )
    referred_to = send_to(facts, form) or (
        role_list(facts.procedure, (*current.raising_side, *current.other_side)) if current else ""
    )
    from_number = _from_number(facts, form, default=current.number if current else 99)
    done = facts.lines(facts.entries_where(below=from_number)) or "Nothing recorded yet."
    within = ""
    if form is not None and form.within.is_limited:
        within = form.within.describe()
    sections = (
        Section(
            "The referral",
            (
                pair(
                    "Procedure",
                    facts.procedure.name,
                    "Stage now",
                    facts.stage_words(facts.current_stage),
                ),
                pair("Referred to", referred_to, "To be sent within", within),
            ),
        ),
        Section(
            "The person the disagreement is about",
            (
                pair(
                    "Name",
                    facts.subject_name,
                    "Date of birth",
                    long_date(facts.subject_date_of_birth),
                ),
                pair(
                    "NHS number",
                    nhs_number(facts.subject_nhs_number),
                    "Client reference",
                    facts.subject_client_reference,
                ),
                one("GP and surgery", facts.subject_gp),
            ),
        ),
        Section("The agencies", (agencies_grid(facts),)),
        Section(
            "The disagreement",
            (
                one("Category", facts.category),
                wide("What the disagreement is about", facts.summary, lines=5),
                wide("Evidence", facts.evidence, lines=3),
                wide("What has been done so far to resolve it", done, lines=4),
                wide("Outcome sought", facts.outcome_sought, lines=3),
            ),
        ),
        Section("Response", (wide("Response", "", lines=5), signed())),
        completed_by(facts, "Referred by"),
    )
    return document(
        facts,
        form,
        template="escalation-referral",
        title="Escalation referral",
        sections=sections,
    )


# --- the registry --------------------------------------------------------------------------

TEMPLATES: dict[str, FormTemplate] = {
    template.id: template
    for template in (
        FormTemplate(
            "twsp-referral",
            "TWSP Resolution and Escalation Referral Form",
            twsp_referral,
            "Telford and Wrekin's Appendix 3 form, used from stage 3.",
        ),
        FormTemplate(
            "wirral-resolved-stage-2",
            "Proforma for conflicts resolved at stage 2 (WSCB Appendix 1)",
            wirral_resolved(2, appendix=1),
            "Wirral's report to the WSCB Business Manager of a conflict resolved at stage 2.",
        ),
        FormTemplate(
            "wirral-resolved-stage-3",
            "Proforma for conflicts resolved at stage 3 (WSCB Appendix 2)",
            wirral_resolved(3, appendix=2),
            "Wirral's report to the WSCB Business Manager of a conflict resolved at stage 3.",
        ),
        FormTemplate(
            "outcome-confirmation",
            "Written confirmation of outcome",
            outcome_confirmation,
            "The agreed outcome and how outstanding issues will be pursued, for the parties.",
        ),
        FormTemplate(
            "escalation-referral",
            "Escalation referral",
            escalation_referral,
            "A referral to the next rung that any procedure can use.",
        ),
    )
}
