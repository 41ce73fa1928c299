"""The filters on the audit trail page: parsing and plain-English errors only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from parley.audit.selectors import EntryFilter
from parley.audit.services import ACTIONS

DATE_PARTS = ("day", "month", "year")


class DateProblem(Exception):
    pass


def date_from_parts(label: str, day: str, month: str, year: str) -> date | None:
    """A date typed in the GOV.UK date input's three boxes; None when all are empty."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        return None
    missing = [name for name in DATE_PARTS if not parts[name]]
    if missing:
        raise DateProblem(f"{label} must include a {' and '.join(missing)}")
    if not all(value.isdigit() for value in parts.values()):
        raise DateProblem(f"{label} must be a real date")
    if len(parts["year"]) != 4:
        raise DateProblem("Year must include 4 numbers")
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise DateProblem(f"{label} must be a real date") from None


class EntryFilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any action"), *sorted(ACTIONS.items(), key=lambda item: item[1])],
        error_messages={"invalid_choice": "Select an action from the list"},
    )
    person = forms.CharField(required=False, max_length=150)
    reference = forms.CharField(required=False, max_length=40)
    from_day = forms.CharField(required=False, max_length=2)
    from_month = forms.CharField(required=False, max_length=2)
    from_year = forms.CharField(required=False, max_length=4)
    to_day = forms.CharField(required=False, max_length=2)
    to_month = forms.CharField(required=False, max_length=2)
    to_year = forms.CharField(required=False, max_length=4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from", "to"):
            for part in DATE_PARTS:
                self.fields[f"{name}_{part}"].error_messages["max_length"] = (
                    f"Date {name} must be a real date"
                )
        self.fields["person"].error_messages["max_length"] = (
            "Name or username must be 150 characters or fewer"
        )
        self.fields["reference"].error_messages["max_length"] = (
            "Reference must be 40 characters or fewer"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        dates: dict[str, date | None] = {}
        for name in ("from", "to"):
            if any(f"{name}_{part}" in self.errors for part in DATE_PARTS):
                continue
            try:
                dates[name] = date_from_parts(
                    f"Date {name}", *(cleaned.get(f"{name}_{part}", "") for part in DATE_PARTS)
                )
            except DateProblem as problem:
                self.add_error(f"{name}_day", str(problem))
        if dates.get("from") and dates.get("to") and dates["to"] < dates["from"]:
            self.add_error("to_day", "Date to must be the same as or after date from")
        cleaned["date_from"] = dates.get("from")
        cleaned["date_to"] = dates.get("to")
        return cleaned

    def chosen(self) -> EntryFilter:
        """The filter asked for; call after ``is_valid()``."""
        data = self.cleaned_data
        query = {
            name: data[name].strip()
            for name in self.fields
            if isinstance(data.get(name), str) and data[name].strip()
        }
        return EntryFilter(
            action=data.get("action", ""),
            person=data.get("person", "").strip(),
            reference=data.get("reference", "").strip().upper(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            as_query=query,
        )

    def _date_error(self, name: str) -> str:
        errors = [error for part in DATE_PARTS for error in self.errors.get(f"{name}_{part}", [])]
        return str(errors[0]) if errors else ""

    @property
    def from_error(self) -> str:
        return self._date_error("from")

    @property
    def to_error(self) -> str:
        return self._date_error("to")

    def summary(self) -> list[tuple[str, str]]:
        """The error summary: (anchor, message), in the order of the page, once each."""
        seen: list[tuple[str, str]] = []
        for name in ("action", "person", "reference"):
            for error in self.errors.get(name, []):
                seen.append((name, str(error)))
        for name in ("from", "to"):
            if message := self._date_error(name):
                seen.append((f"{name}_day", message))
        return seen
