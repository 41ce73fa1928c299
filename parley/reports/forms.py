"""The reports' forms: choosing a period, the learning log, a proposed procedure, settings.

They check what was typed and say plainly what is wrong; the rules live in the services
and the pure core.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from parley.core.loader import MAX_FILE_BYTES
from parley.core.report import Period, PeriodError, custom_period, parse_period
from parley.govuk_fields import DateField, uploaded_or_pasted
from parley.reports.models import LearningItem
from parley.reports.services import THRESHOLD_RANGE

CUSTOM = "custom"


class PeriodForm(forms.Form):
    """Which period the report covers: a recent one of the procedure's cadence, or dates."""

    choice = forms.ChoiceField(
        label="Which period should the report cover?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the period the report should cover"},
    )
    start = DateField(
        what="the first day of the period",
        label="First day",
        help_text="For example, 1 4 2026",
        required=False,
    )
    end = DateField(
        what="the last day of the period",
        label="Last day",
        help_text="For example, 30 9 2026",
        required=False,
    )

    def __init__(self, *args: Any, periods: list[Period], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["choice"]
        field.choices = [(p.code, p.label) for p in periods] + [
            (CUSTOM, "Another period: choose the dates")
        ]  # type: ignore[attr-defined]
        self.period: Period | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("choice")
        if not choice:
            return data
        if choice != CUSTOM:
            try:
                self.period = parse_period(choice)
            except PeriodError as error:
                self.add_error("choice", str(error))
            return data
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None:
            self.add_error("start", "Enter the first day of the period")
        if end is None:
            self.add_error("end", "Enter the last day of the period")
        if start is None or end is None:
            return data
        try:
            self.period = custom_period(start, end)
        except PeriodError as error:
            self.add_error("end", str(error))
        return data


class LearningItemForm(forms.Form):
    topic = forms.ChoiceField(
        label="What kind of issue is it?",
        choices=LearningItem.Topic.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of issue it is"},
    )
    summary = forms.CharField(
        label="The issue, as the board will read it",
        help_text=(
            "This goes in reports that are shared. Do not name anyone or give details that "
            "could identify a child, adult, family or professional."
        ),
        widget=forms.Textarea,
        max_length=1000,
        required=False,
    )
    referred_to = forms.CharField(label="Who it was referred to", max_length=200, required=False)
    decision = forms.CharField(
        label="What was decided", widget=forms.Textarea, max_length=2000, required=False
    )
    done_on = DateField(
        what="the date it was done",
        label="When was it done?",
        help_text="Leave empty if it is not done yet. For example, 27 3 2026",
        required=False,
    )
    follow_up_due = DateField(
        what="the follow-up date",
        label="When should it be followed up?",
        help_text="For example, 27 3 2026",
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("done_on") and not str(data.get("decision") or "").strip():
            self.add_error("decision", "Enter what was decided before saying when it was done")
        return data


class ProposalForm(forms.Form):
    """A proposed version of the procedure: a file, or the text pasted in."""

    file = forms.FileField(
        label="Upload the proposed procedure file",
        help_text="A .yaml file, such as the current one with its timescales changed.",
        required=False,
    )
    text = forms.CharField(
        label="Or paste the proposed procedure file",
        widget=forms.Textarea,
        required=False,
        max_length=MAX_FILE_BYTES,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        text = uploaded_or_pasted(
            self, data, missing="Upload the proposed procedure file or paste it in"
        )
        if text is not None:
            data["source"] = text
            data["source_name"] = upload.name if upload is not None else "proposed procedure"
        return data


class SettingsForm(forms.Form):
    suppression_threshold = forms.IntegerField(
        label="Smallest count shown in shared reports",
        help_text=(
            "Counts below this are shown as “fewer than” it in board papers and downloads. "
            "Most partnerships use 5."
        ),
        min_value=THRESHOLD_RANGE[0],
        max_value=THRESHOLD_RANGE[1],
        error_messages={
            "required": "Enter the smallest count shown",
            "invalid": "The smallest count shown must be a whole number, like 5",
            "min_value": f"The smallest count shown must be {THRESHOLD_RANGE[0]} or more",
            "max_value": f"The smallest count shown must be {THRESHOLD_RANGE[1]} or fewer",
        },
    )
