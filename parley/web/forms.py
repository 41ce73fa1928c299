"""The forms behind the case-work pages: parsing and checking what people type, nothing more.

Every message says what is wrong and how to put it right, in the words of the GOV.UK
Design System's error-message patterns. No form saves anything: views pass the cleaned
values to :mod:`parley.cases.services`.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from parley.core.engine import SOMETHING_ELSE, answer_words, categories_of, nhs_number_is_valid
from parley.core.loader import MAX_FILE_BYTES
from parley.core.procedure import QuestionKind
from parley.govuk_fields import DateField, PastDateField, clean_typed, uploaded_or_pasted

LONG_TEXT = 5_000  # characters: about two pages of typed text
SHORT_TEXT = 200
TEN_MEGABYTES = 10 * 1024 * 1024


class TypedTextField(forms.CharField):
    """A text field that removes control characters (such as NUL) before checking length."""

    def __init__(self, *, what: str, max_length: int, required: bool = True, **kwargs: Any):
        self.what = what
        messages = {
            "required": kwargs.pop("required_message", f"Enter {what}"),
            "max_length": f"{what[0].upper()}{what[1:]} must be {max_length:,} characters or fewer",
        }
        super().__init__(
            max_length=max_length, required=required, error_messages=messages, **kwargs
        )

    def to_python(self, value: Any) -> str:
        # Removed here, before Django's own check refuses NUL with a message about a
        # character nobody can see.
        if isinstance(value, str):
            value = clean_typed(value)
        return str(super().to_python(value))


def long_text(what: str, *, required: bool = True, **kwargs: Any) -> TypedTextField:
    return TypedTextField(
        what=what,
        max_length=LONG_TEXT,
        required=required,
        widget=forms.Textarea(attrs={"rows": 8}),
        **kwargs,
    )


def short_text(what: str, *, required: bool = False, **kwargs: Any) -> TypedTextField:
    return TypedTextField(what=what, max_length=SHORT_TEXT, required=required, **kwargs)


def radios(
    choices: list[tuple[str, str]],
    *,
    required_message: str,
    hints: dict[str, str] | None = None,
    divider_before: str = "",
    **kwargs: Any,
) -> forms.ChoiceField:
    field = forms.ChoiceField(
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
        **kwargs,
    )
    field.option_hints = hints or {}  # type: ignore[attr-defined]
    field.divider_before = divider_before  # type: ignore[attr-defined]
    return field


# --- NHS numbers ------------------------------------------------------------------------


class NHSNumberField(forms.CharField):
    # A text box that brings up the numeric keypad: GOV.UK's pattern for numbers that are
    # not amounts (type="number" would drop leading zeros and let the wheel change them).
    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=20, **kwargs)
        self.validators = []

    def clean(self, value: Any) -> str:
        typed = clean_typed(str(value or ""))
        digits = re.sub(r"[\s-]", "", typed)
        if not digits:
            return ""
        if not digits.isascii() or not digits.isdigit() or len(digits) != 10:
            raise forms.ValidationError("NHS number must be 10 numbers, like 943 476 5919")
        if not nhs_number_is_valid(digits):
            raise forms.ValidationError(
                "Enter a valid NHS number: check it against the record, like 943 476 5919"
            )
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# --- files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG image", "image/png", (".png",))
JPEG = FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
TEXT = FileType("Plain text", "text/plain; charset=utf-8", (".txt",))
ACCEPTED = (PDF, PNG, JPEG, DOCX, TEXT)


def file_type_of(upload: UploadedFile) -> FileType | None:
    """What a file is, judged by its content (its first bytes), never by its name."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    found: FileType | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                found = DOCX if "word/document.xml" in archive.namelist() else None
        except (zipfile.BadZipFile, OSError, ValueError):
            found = None
    else:
        content = upload.read()
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text and _mostly_printable(text):
            found = TEXT
    upload.seek(0)
    return found


def _mostly_printable(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0c")
    return controls == 0


class EvidenceFileField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            error_messages={
                "required": "Select a file",
                "empty": "The selected file is empty",
                "invalid": "Select a file",
                "missing": "Select a file",
            },
            **kwargs,
        )

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if upload.size > TEN_MEGABYTES:
            raise forms.ValidationError("The selected file must be smaller than 10MB")
        kind = file_type_of(upload)
        if kind is None:
            raise forms.ValidationError(
                "The selected file must be a PDF, Word document (.docx), PNG, JPEG or plain text"
            )
        upload.parley_type = kind
        return upload


# --- raising a disagreement: one form per question page ---------------------------------

YES_NO = [("yes", "Yes"), ("no", "No")]


class JourneyForm(forms.Form):
    """A question page of the raising journey; ``journey`` supplies the choices."""

    def __init__(self, *args: Any, journey: Any, **kwargs: Any) -> None:
        self.journey = journey
        super().__init__(*args, **kwargs)
        self.setup(journey)

    def setup(self, journey: Any) -> None:
        """Fill in choices that depend on earlier answers."""

    def rows(self) -> list[tuple[str, str]]:
        """The lines this page adds to "Check your answers"."""
        return []


class ImmediateRiskForm(JourneyForm):
    at_risk = radios(
        YES_NO,
        label="Is anyone at immediate risk of significant harm?",
        help_text="For example, a child or adult who could be seriously harmed today if "
        "nothing is done.",
        required_message="Select yes if anyone is at immediate risk of significant harm",
    )

    def rows(self) -> list[tuple[str, str]]:
        answer = "Yes" if self.cleaned_data["at_risk"] == "yes" else "No"
        return [("Immediate risk of significant harm", answer)]


NOT_SIGNPOSTED = "another-agency"
ABOUT_CHOICES = [
    ("conduct-complaint", "A complaint about a worker's conduct or behaviour"),
    ("allegation-against-staff", "An allegation against a member of staff"),
    ("whistleblowing", "Whistleblowing: suspected wrongdoing or danger at work"),
    ("single-agency", "A disagreement inside your own agency"),
    ("system-issue", "A problem with a system or service, not one person's case"),
    (
        NOT_SIGNPOSTED,
        "None of these: I disagree with another agency's decision, action or inaction",
    ),
]


class AboutForm(JourneyForm):
    about = radios(
        ABOUT_CHOICES,
        label="What is this about?",
        help_text="This service is for disagreements between agencies about a person's "
        "safety. Other concerns have their own routes, which we will show you.",
        required_message="Select what this is about",
        divider_before=NOT_SIGNPOSTED,
    )

    def rows(self) -> list[tuple[str, str]]:
        return [("What it is about", dict(ABOUT_CHOICES)[self.cleaned_data["about"]])]


class ProcedureForm(JourneyForm):
    procedure = radios(
        [],
        label="Which procedure applies?",
        help_text="Use the procedure of the partnership that covers the person.",
        required_message="Select the procedure that applies",
    )

    def setup(self, journey: Any) -> None:
        field = self.fields["procedure"]
        field.choices = [(v.procedure_id, v.name) for v in journey.versions]
        field.option_hints = {  # type: ignore[attr-defined]
            v.procedure_id: journey.procedure_hint(v) for v in journey.versions
        }

    def rows(self) -> list[tuple[str, str]]:
        names = dict(self.fields["procedure"].choices)  # type: ignore[attr-defined]
        return [("Procedure", names[self.cleaned_data["procedure"]])]


class RouteForm(JourneyForm):
    track = radios([], label="Which route does it follow?", required_message="Select a route")

    def setup(self, journey: Any) -> None:
        procedure = journey.procedure
        tracks = procedure.tracks if procedure else ()
        self.fields["track"].choices = [(t.id, t.name) for t in tracks]
        self.fields["track"].option_hints = {t.id: t.description for t in tracks}  # type: ignore[attr-defined]

    def rows(self) -> list[tuple[str, str]]:
        return [("Route", dict(self.fields["track"].choices)[self.cleaned_data["track"]])]  # type: ignore[attr-defined]


class RiskRouteForm(JourneyForm):
    """The immediate-risk page: where the procedure says to start, or the raiser's choice."""

    start_stage = radios(
        [],
        label="Which stage should it start at?",
        help_text="The procedure leaves this to your judgement: choose the stage that can "
        "act quickly enough to protect the person.",
        required_message="Select the stage to start at",
    )
    seen = forms.CharField(widget=forms.HiddenInput, initial="yes", required=False)

    def setup(self, journey: Any) -> None:
        choices = journey.immediate_start_choices
        if choices:
            self.fields["start_stage"].choices = choices
        else:
            del self.fields["start_stage"]

    def rows(self) -> list[tuple[str, str]]:
        return [("Route", self.journey.route_words)]


class StartForm(JourneyForm):
    start = radios([], label="Where does it start?", required_message="Select where it starts")

    def setup(self, journey: Any) -> None:
        informal, formal = journey.informal_and_formal_stages
        self.fields["start"].choices = [
            ("informal", f"Informally: {informal.name}"),
            ("formal", f"Formally: {formal.name}"),
        ]
        self.fields["start"].option_hints = {  # type: ignore[attr-defined]
            "informal": informal.description
            or "Talk it through first; it moves on to the formal stages if that fails.",
            "formal": formal.description or "",
        }

    def rows(self) -> list[tuple[str, str]]:
        return [("Starts", dict(self.fields["start"].choices)[self.cleaned_data["start"]])]  # type: ignore[attr-defined]


class YourAgencyForm(JourneyForm):
    agency = radios(
        [], label="Which agency are you raising it for?", required_message="Select your agency"
    )

    def setup(self, journey: Any) -> None:
        self.fields["agency"].choices = [(str(a.pk), a.name) for a in journey.own_agency_choices]

    def rows(self) -> list[tuple[str, str]]:
        return [("Your agency", dict(self.fields["agency"].choices)[self.cleaned_data["agency"]])]  # type: ignore[attr-defined]


class YourTeamForm(JourneyForm):
    """Asked only where a form of the procedure prints the team (TWSP Appendix 3,
    "Agency/Team")."""

    raising_team = short_text(
        "your team",
        required=True,
        label="Which team are you in?",
        help_text="The referral form gives your agency and your team.",
    )

    def rows(self) -> list[tuple[str, str]]:
        return [("Your team", self.cleaned_data["raising_team"])]


class OnBehalfForm(JourneyForm):
    on_behalf = radios(
        YES_NO,
        label="Are you raising it on behalf of someone else?",
        required_message="Select yes if you are raising it on behalf of someone else",
    )
    on_behalf_name = short_text(
        "the name of the person you are raising it for",
        label="If yes, their name and role",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("on_behalf") == "yes" and not data.get("on_behalf_name"):
            self.add_error("on_behalf_name", "Enter the name of the person you are raising it for")
        if data.get("on_behalf") == "no":
            data["on_behalf_name"] = ""
        return data

    def rows(self) -> list[tuple[str, str]]:
        name = self.cleaned_data.get("on_behalf_name") or "No"
        return [("Raised on behalf of", name)]


class PersonForm(JourneyForm):
    """Only what the procedure's forms need; a name or a reference is required."""

    subject_name = short_text("the person's name", label="Full name")
    subject_client_reference = TypedTextField(
        what="the client reference",
        max_length=60,
        required=False,
        label="Client reference number",
        help_text="Your agency's reference for the person, if they have one",
    )
    subject_date_of_birth = PastDateField(
        what="date of birth",
        today=date.max,  # set from the view's "now" in setup()
        required=False,
        label="Date of birth",
        help_text="For example, 27 3 2019",
    )
    subject_nhs_number = NHSNumberField(
        label="NHS number", help_text="10 numbers, for example 943 476 5919"
    )
    subject_gp = short_text("the GP and surgery", label="Named GP and surgery")

    LABELS = {
        "subject_name": "Name",
        "subject_client_reference": "Client reference",
        "subject_date_of_birth": "Date of birth",
        "subject_nhs_number": "NHS number",
        "subject_gp": "GP and surgery",
    }

    def setup(self, journey: Any) -> None:
        for name in list(self.fields):
            if name not in journey.subject_fields:
                del self.fields[name]
        # A child's name, date of birth and numbers are not to be offered back to the next
        # person at a shared computer.
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"
        if "subject_date_of_birth" in self.fields:
            self.fields["subject_date_of_birth"].today = journey.today  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            "subject_name" not in self.errors
            and "subject_client_reference" not in self.errors
            and not data.get("subject_name")
            and not data.get("subject_client_reference")
        ):
            self.add_error("subject_name", "Enter the person's name or a client reference")
        return data

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, date):
                value = f"{value.day} {value:%B %Y}"
            rows.append((self.LABELS[name], str(value or "Not given")))
        return rows


class OtherAgencyForm(JourneyForm):
    agency = radios(
        [],
        label="Which agency do you disagree with?",
        help_text="The agency whose decision, action or inaction concerns you.",
        required_message="Select the agency you disagree with",
    )

    def setup(self, journey: Any) -> None:
        self.fields["agency"].choices = [(str(a.pk), a.name) for a in journey.other_agency_choices]

    def rows(self) -> list[tuple[str, str]]:
        return [
            (
                "Agency you disagree with",
                dict(self.fields["agency"].choices)[self.cleaned_data["agency"]],
            )
        ]  # type: ignore[attr-defined]


SOMEONE_ELSE = "someone-else"
NOT_KNOWN = "not-known"


class OtherProfessionalForm(JourneyForm):
    professional = radios(
        [],
        label="Who made the decision?",
        help_text="The professional you disagree with, if you know.",
        required_message="Select who made the decision, or that you do not know",
    )
    # Not a conditional reveal: GOV.UK Frontend's script marks a revealing radio with
    # aria-expanded, which radios may not carry (axe-core: aria-allowed-attr).
    # Needed only with "Someone else" (clean() asks for it then), so not marked optional.
    professional_name = short_text(
        "their name", label="If someone else, their name and role", required=False
    )

    def setup(self, journey: Any) -> None:
        people = journey.other_agency_people
        field = self.fields["professional"]
        field.choices = [
            *((str(p.pk), p.name) for p in people),
            (SOMEONE_ELSE, "Someone else"),
            (NOT_KNOWN, "I do not know"),
        ]
        field.option_hints = {str(p.pk): p.job_title for p in people}  # type: ignore[attr-defined]
        field.divider_before = SOMEONE_ELSE if people else ""  # type: ignore[attr-defined]
        if journey.other_agency is not None:
            field.label = f"Who in {journey.other_agency.name} made the decision?"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("professional") == SOMEONE_ELSE and not data.get("professional_name"):
            self.add_error(
                "professional_name", "Enter their name and role, or choose another answer"
            )
        if data.get("professional") != SOMEONE_ELSE:
            data["professional_name"] = ""
        return data

    def rows(self) -> list[tuple[str, str]]:
        choice = self.cleaned_data["professional"]
        if choice == SOMEONE_ELSE:
            return [("Professional", self.cleaned_data["professional_name"])]
        return [("Professional", dict(self.fields["professional"].choices)[choice])]  # type: ignore[attr-defined]


OTHER_CATEGORY = SOMETHING_ELSE


class CategoryForm(JourneyForm):
    category = radios(
        [], label="What kind of disagreement is it?", required_message="Select what kind it is"
    )

    def setup(self, journey: Any) -> None:
        procedure = journey.procedure
        field = self.fields["category"]
        # The procedure's own kinds, and "Something else" unless it lists its own.
        choices = categories_of(procedure) if procedure else []
        if any(value == OTHER_CATEGORY for value, _ in choices):
            field.divider_before = OTHER_CATEGORY  # type: ignore[attr-defined]
        field.choices = choices

    def rows(self) -> list[tuple[str, str]]:
        return [
            (
                "Kind of disagreement",
                dict(self.fields["category"].choices)[self.cleaned_data["category"]],
            )
        ]  # type: ignore[attr-defined]


class QuestionForm(JourneyForm):
    """One of the procedure's own questions (its ``questions``), on a page of its own: a
    date as day, month and year, yes-no and a choice as radios. The core checks the
    answer again when the case is raised (parley.core.engine.check_answers)."""

    question_id = ""

    def setup(self, journey: Any) -> None:
        procedure = journey.procedure
        question = next((q for q in procedure.questions if q.id == self.question_id), None)
        if question is None:
            return
        self.question = question
        field: forms.Field
        if question.kind is QuestionKind.DATE:
            field = PastDateField(what="the date", today=journey.today, required=question.required)
        else:
            options = [(o.id, o.label) for o in question.options]
            field = radios(
                YES_NO if question.kind is QuestionKind.YES_NO else options,
                required_message=f"Select an answer to “{question.text}”",
                required=question.required,
            )
        field.label = question.text
        field.help_text = question.hint
        self.fields["answer"] = field

    def answer(self) -> str:
        """The answer as the core keeps it: a date as YYYY-MM-DD, else the option's id."""
        value = self.cleaned_data.get("answer") if self.is_valid() else None
        return value.isoformat() if isinstance(value, date) else str(value or "")

    def rows(self) -> list[tuple[str, str]]:
        if not hasattr(self, "question"):
            return []
        words = answer_words(self.journey.procedure, self.question.id, self.answer())
        return [(self.question.text, words or "Not answered")]


def question_form(question_id: str) -> type[QuestionForm]:
    """The page's form for one of the procedure's questions."""
    return _QUESTION_FORMS.setdefault(
        question_id, type("QuestionForm", (QuestionForm,), {"question_id": question_id})
    )


_QUESTION_FORMS: dict[str, type[QuestionForm]] = {}


class SummaryForm(JourneyForm):
    summary = long_text(
        "what the disagreement is about",
        label="What is the disagreement about?",
        help_text="Say what was decided or not done, why you think it is not safe, and what "
        "you have already tried. Include only the personal details the other agency needs.",
    )

    def rows(self) -> list[tuple[str, str]]:
        return [("What the disagreement is about", self.cleaned_data["summary"])]


class EvidenceForm(JourneyForm):
    evidence = long_text(
        "the evidence",
        required=False,
        label="What is your concern based on?",
        help_text="Records, observations, dates and who said what. You can attach files "
        "on the disagreement's page once you have raised it.",
    )

    def rows(self) -> list[tuple[str, str]]:
        return [("Evidence", self.cleaned_data["evidence"] or "None given")]


class OutcomeForm(JourneyForm):
    outcome_sought = long_text(
        "the outcome you want",
        label="What outcome do you want?",
        help_text="For example, a strategy discussion, an assessment, or information shared.",
    )

    def rows(self) -> list[tuple[str, str]]:
        return [("Outcome wanted", self.cleaned_data["outcome_sought"])]


# --- actions on a disagreement ----------------------------------------------------------


# A submission's key: 32 hexadecimal characters, made when the page is drawn.
_SUBMISSION_KEY = re.compile("[0-9a-f]{32}")
OUT_OF_DATE = "This page is out of date. Go back to the disagreement and open it again."


class ActionForm(forms.Form):
    """An action page's form; ``choices`` carries options worked out from the case.

    Every action form carries, hidden, the version of the case it was drawn against
    (``version``: the service refuses it if the case has moved on since) and a key made
    for this one page (``submission``: sent twice, it gets the first result, never a
    second entry in the record).
    """

    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    submission = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: dict[str, Any] | None = None, **kwargs: Any):
        self.choices = choices or {}
        super().__init__(*args, **kwargs)
        self.setup()

    def setup(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = str(data.get("submission") or "")
        if data.get("version") is None or not _SUBMISSION_KEY.fullmatch(key):
            raise forms.ValidationError(OUT_OF_DATE)
        return data

    def fields_for_service(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if v not in (None, "") and k not in ("version", "submission")
        }

    @property
    def acted_on(self) -> tuple[int, str]:
        """The version of the case this form was filled in against, and its key."""
        return int(self.cleaned_data["version"]), str(self.cleaned_data["submission"])


class TextActionForm(ActionForm):
    text = long_text("what happened", label="What happened?")

    def setup(self) -> None:
        field = self.fields["text"]
        field.label = self.choices.get("label", field.label)
        field.help_text = self.choices.get("hint", "")
        field.error_messages["required"] = self.choices.get("required", "Enter what happened")


class AgreementActionForm(TextActionForm):
    agreed = radios(
        YES_NO,
        label="Did you reach agreement?",
        required_message="Select yes if you reached agreement",
    )

    def fields_for_service(self) -> dict[str, Any]:
        fields = super().fields_for_service()
        fields["agreed"] = fields.get("agreed") == "yes"
        return fields


class MeetingActionForm(AgreementActionForm):
    """A meeting's record; who chaired it and who was there go on the forms that ask
    (Wirral Appendix 2: the conflict resolution meeting's chair and the Board
    representatives present)."""

    chaired_by = short_text("who chaired the meeting", label="Who chaired it? (optional)")
    present = long_text(
        "who was there",
        required=False,
        label="Who was there? (optional)",
        help_text="Each person's name, role and agency.",
    )


class EscalateForm(ActionForm):
    reason = radios([], label="Why are you escalating it?", required_message="Select why")
    text = long_text("anything to add", required=False, label="Anything to add (optional)")

    def setup(self) -> None:
        self.fields["reason"].choices = self.choices["reasons"]


class BypassForm(ActionForm):
    to_stage = radios(
        [], label="Which stage should it go to?", required_message="Select the stage to go to"
    )
    reason = long_text(
        "the reason for bypassing a stage",
        label="Why are you bypassing the stages in between?",
    )

    def setup(self) -> None:
        self.fields["to_stage"].choices = self.choices["stages"]


class ViewsForm(TextActionForm):
    """The views of the person the disagreement is about, or their representative."""

    by = short_text(
        "who gave them",
        label="Who gave their views?",
        help_text=(
            "The child or adult themselves, or their representative and how they are related."
        ),
    )


class AskAdviserForm(ActionForm):
    adviser = radios(
        [], label="Which adviser are you asking?", required_message="Select the adviser"
    )
    text = long_text("your question", label="What do you want to ask them?")

    def setup(self) -> None:
        self.fields["adviser"].choices = self.choices["advisers"]


class AgencyInvolvedForm(ActionForm):
    agency = radios([], label="Which agency is involved?", required_message="Select the agency")

    def setup(self) -> None:
        self.fields["agency"].choices = self.choices["agencies"]


class AcknowledgeFormForm(ActionForm):
    form = radios([], label="Which form have you received?", required_message="Select the form")

    def setup(self) -> None:
        self.fields["form"].choices = self.choices["forms"]


class ImmediateRiskActionForm(ActionForm):
    to_stage = radios(
        [], label="Which stage should it go to?", required_message="Select the stage to go to"
    )
    text = long_text(
        "who is at risk and what you have done",
        label="Who is at risk, and what have you done so far today?",
    )

    def setup(self) -> None:
        if self.choices.get("stages"):
            self.fields["to_stage"].choices = self.choices["stages"]
        else:
            del self.fields["to_stage"]


class SideRouteForm(ActionForm):
    """Starting, taking on or ending a side route out of the ladder (a complaint about the
    partnership's handling): which route, and the words the route asks for."""

    route = radios([], label="Which route?", required_message="Select the route")

    def setup(self) -> None:
        self.fields["route"].choices = self.choices["routes"]


class SideRouteStartForm(SideRouteForm):
    text = long_text("what the complaint is", label="What is it about?")


class SideRouteOnForm(SideRouteForm):
    reason = long_text("why it goes to the next stage", label="Why should it go further?")


class SideRouteEndForm(SideRouteForm):
    outcome = long_text("the outcome", label="What is the outcome?")


class ResolveForm(ActionForm):
    outcome = long_text(
        "the written outcome agreed between the parties",
        label="What outcome was agreed?",
        help_text="The written confirmation of the agreed outcome that every party keeps.",
    )
    outstanding = long_text(
        'how any outstanding issues will be pursued, or "None" if there are none',
        label="How will any outstanding issues be pursued?",
        help_text='Who will do what, by when. Write "None" if nothing is outstanding.',
    )


VISIBILITY_ALL = "all"


class NoteForm(ActionForm):
    text = long_text("the note", label="Note")
    visibility = radios(
        [],
        label="Who can read this note?",
        required_message="Select who can read this note",
    )

    def setup(self) -> None:
        self.fields["visibility"].choices = self.choices["visibility"]
        if len(self.choices["visibility"]) == 1:
            self.fields["visibility"].initial = VISIBILITY_ALL
            self.fields["visibility"].widget = forms.HiddenInput()


class AttachEvidenceForm(ActionForm):
    file = EvidenceFileField(
        label="Upload a file",
        help_text="PDF, Word (.docx), PNG, JPEG or plain text, smaller than 10MB.",
    )
    description = short_text("what the file is", label="What is this file? (optional)")

    def fields_for_service(self) -> dict[str, Any]:
        return {"description": self.cleaned_data.get("description", "")}


class CloseForm(ActionForm):
    text = long_text("anything to add", required=False, label="Anything to add (optional)")


class ShortenLimitForm(ActionForm):
    """A shorter time limit for the stage the case is at, for this case ("whichever is
    less"): its new last day and why. Whether it may be, and how short, is the core's
    (engine: ``limit-shortened``); the page only reads the date."""

    due = DateField(
        what="the new last day of the stage",
        label="What is the stage's new last day?",
        help_text="For example, 23 12 2026",
    )
    reason = long_text(
        "why the time limit must be shorter",
        label="Why must it be shorter?",
        help_text="What a shorter time protects the child or adult from.",
    )

    def setup(self) -> None:
        if self.choices.get("hint"):
            self.fields["due"].help_text = self.choices["hint"]

    def fields_for_service(self) -> dict[str, Any]:
        fields = super().fields_for_service()
        fields["due"] = self.cleaned_data["due"].isoformat()
        return fields


class PriorityForm(ActionForm):
    """The priority given at this stage, which sets its time limit (``priorities``)."""

    priority = radios(
        [],
        label="What priority does this disagreement have?",
        required_message="Select the priority",
    )

    def setup(self) -> None:
        self.fields["priority"].choices = self.choices["priorities"]


class WithdrawForm(ActionForm):
    reason = long_text("why you are withdrawing it", label="Why are you withdrawing it?")


# A procedure file is a few tens of kilobytes: the loader's own limit.
PROCEDURE_UPLOAD_LIMIT = MAX_FILE_BYTES


PASTED = "pasted procedure"


class ProcedureFileForm(forms.Form):
    """A procedure file to publish: uploaded, or its text pasted in."""

    file = forms.FileField(
        label="Upload the procedure file",
        help_text="A .yaml file written as the guide to the procedure format describes.",
        required=False,
    )
    text = forms.CharField(
        label="Or paste the procedure file",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        required=False,
        strip=False,
        max_length=PROCEDURE_UPLOAD_LIMIT,
        error_messages={"max_length": "The pasted file must be smaller than 512KB"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is None and "text" in self.errors:
            return data
        text = uploaded_or_pasted(self, data, missing="Upload the procedure file or paste it in")
        if text is None:
            return data
        data["source"] = text.replace("\r\n", "\n")
        # Only the name is kept, never a folder: it is shown and offered as a download name.
        data["source_name"] = (
            re.sub(r"[^A-Za-z0-9._-]+", "-", upload.name.rsplit("/", 1)[-1])[:120]
            if upload is not None
            else PASTED
        )
        data["field"] = "file" if upload is not None else "text"
        return data


class PublishForm(forms.Form):
    """The checked file, carried from the check page to be published."""

    text = forms.CharField(widget=forms.HiddenInput, max_length=PROCEDURE_UPLOAD_LIMIT, strip=False)
    source_name = forms.CharField(widget=forms.HiddenInput, max_length=120)
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_text(self) -> str:
        # A browser sends a form's line breaks as CR LF: the file as checked had LF.
        return str(self.cleaned_data["text"]).replace("\r\n", "\n")


class MoveCasesForm(forms.Form):
    """Which open cases to move onto the version in use."""

    cases = forms.MultipleChoiceField(
        label="Which open disagreements should move to the new version?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the disagreements to move"},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = choices


# --- closure days -----------------------------------------------------------------------


class ClosureDayForm(forms.Form):
    day = DateField(
        what="the closure day",
        label="Which day is the partnership closed?",
        help_text="For example, 24 12 2027",
    )
    name = short_text(
        "a name for the closure",
        required=True,
        label="What is the closure called?",
        help_text="For example, Office closure. People see it beside the deadlines it moves.",
    )

    def __init__(self, *args: Any, today: date, closed: frozenset[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.closed = closed

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        # Parley's choice: closure days are planned, so a day already gone is a slip.
        if day < self.today:
            self.fields["day"].parts_in_error = ("day", "month", "year")  # type: ignore[attr-defined]
            raise forms.ValidationError("The closure day must be today or in the future")
        if day in self.closed:
            self.fields["day"].parts_in_error = ("day", "month", "year")  # type: ignore[attr-defined]
            raise forms.ValidationError("That day is already a closure day")
        return day
