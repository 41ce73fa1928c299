"""The directory upload: a CSV file of at most 2MB, checked by what it contains."""

from __future__ import annotations

from typing import Any

from django import forms

from parley.directory import csv_io


class DirectoryFileField(forms.FileField):
    """Cleans to the file's text, or says plainly why it is not a CSV file."""

    def __init__(self, **kwargs: Any) -> None:
        messages = {
            "required": "Select a CSV file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV file",
            "missing": "Select a CSV file",
        }
        super().__init__(error_messages=messages, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if upload.size > csv_io.MAX_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 2MB")
        try:
            return csv_io.decode(upload.read(csv_io.MAX_BYTES + 1))
        except csv_io.NotACsv as refused:
            raise forms.ValidationError(refused.message) from None


class DirectoryUploadForm(forms.Form):
    file = DirectoryFileField()
    remove_missing = forms.BooleanField(required=False)


# --- one entry at a time ------------------------------------------------------------------

PARTNERSHIP_WIDE = ""


def _text(label: str, required_message: str = "", **kwargs: Any) -> forms.CharField:
    messages = {"required": required_message} if required_message else {}
    return forms.CharField(
        label=label,
        required=bool(required_message),
        max_length=200,
        error_messages=messages,
        **kwargs,
    )


class RoleEntryForm(forms.Form):
    """A person and one role they hold: a row of the directory file, on a page."""

    agency = forms.ChoiceField(
        label="Where is the role held?",
        required=False,
        help_text="In one agency, or for the whole partnership (a chair, the business "
        "manager, an administrator).",
    )
    team = _text("Team (optional)", help_text="A team inside the agency, if there is one.")
    name = _text("Full name", "Enter the person's full name")
    email = forms.CharField(
        label="Work email address",
        max_length=254,
        help_text="How the directory knows the person: an existing address changes their "
        "details and adds the role.",
        error_messages={"required": "Enter the person's work email address"},
    )
    job_title = _text("Job title (optional)")
    phone = _text("Phone number (optional)")
    role = forms.ChoiceField(
        label="Role",
        error_messages={"required": "Select the role", "invalid_choice": "Select the role"},
    )
    procedures = _text(
        "Only for these procedures (optional)",
        help_text="Procedure ids separated by commas, such as twsp. Leave empty for every "
        "procedure.",
    )
    acting_for = forms.ChoiceField(
        label="Acting for another agency (optional)",
        required=False,
        help_text="For an agency with no escalation officer of its own, such as a GP "
        "practice for which the ICB's named GP lead acts. The role counts in that agency.",
    )

    def __init__(
        self,
        *args: Any,
        agencies: list[tuple[str, str]],
        roles: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(PARTNERSHIP_WIDE, "The whole partnership"), *agencies]
        self.fields["role"].choices = [("", "Select a role"), *roles]
        self.fields["acting_for"].choices = [("", "No: it is held for its own agency"), *agencies]


class PersonChangeForm(forms.Form):
    name = _text("Full name", "Enter the person's full name")
    job_title = _text("Job title (optional)")
    phone = _text("Phone number (optional)")


class AgencyForm(forms.Form):
    name = _text("Name of the agency", "Enter the name of the agency")
    kind = forms.ChoiceField(
        label="Type of agency",
        error_messages={
            "required": "Select the type of agency",
            "invalid_choice": "Select the type of agency",
        },
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Select a type"), *kinds]
