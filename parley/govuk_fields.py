"""Form fields in the GOV.UK Design System's patterns that the forms of every room share
(the case-work pages, the board's report settings, the learning log): typed text made
plain, and dates typed as day, month and year. Each message says what is wrong and how to
put it right, in the words of the Design System's error-message patterns.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms

from parley.core.engine import OLDEST_AGE_YEARS
from parley.core.loader import MAX_FILE_BYTES

# C0 control characters other than tab, line feed and carriage return. PostgreSQL refuses
# NUL in text, and none of them means anything in a typed answer, so they are removed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_typed(value: str) -> str:
    """Text as typed, minus control characters; line endings made plain."""
    return _CONTROL.sub("", value.replace("\r\n", "\n"))


# --- dates ------------------------------------------------------------------------------


class DateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year as three boxes."""

    def __init__(self) -> None:
        box = {"inputmode": "numeric"}
        super().__init__(
            widgets={
                "day": forms.TextInput(attrs=box),
                "month": forms.TextInput(attrs=box),
                "year": forms.TextInput(attrs=box),
            }
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.Field):
    """A date typed as day, month and year, checked as the GOV.UK pattern says."""

    widget = DateWidget

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        self.what = what
        self.parts_in_error: tuple[str, ...] = ()
        super().__init__(**kwargs)

    def clean(self, value: Any) -> date | None:
        self.parts_in_error = ()
        parts = dict(zip(("day", "month", "year"), value or ("", "", ""), strict=False))
        typed = {k: clean_typed(str(v or "")).strip() for k, v in parts.items()}
        if not any(typed.values()):
            if self.required:
                self.parts_in_error = ("day", "month", "year")
                raise forms.ValidationError(f"Enter {self.what}")
            return None
        missing = [k for k in ("day", "month", "year") if not typed[k]]
        if missing:
            self.parts_in_error = tuple(missing)
            raise forms.ValidationError(
                f"{self._what_cap()} must include a {' and a '.join(missing)}"
            )
        if not all(typed[k].isdigit() and typed[k].isascii() for k in typed):
            self.parts_in_error = tuple(k for k in typed if not typed[k].isdigit())
            raise forms.ValidationError(f"{self._what_cap()} must be a real date, in numbers")
        day, month, year = (int(typed[k]) for k in ("day", "month", "year"))
        if len(typed["year"]) != 4:
            self.parts_in_error = ("year",)
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            result = date(year, month, day)
        except ValueError:
            self.parts_in_error = ("day", "month", "year")
            raise forms.ValidationError(f"{self._what_cap()} must be a real date") from None
        return result

    def _what_cap(self) -> str:
        return self.what[0].upper() + self.what[1:]


# The earliest date of birth accepted, in years back: the core's raise rule.
OLDEST = OLDEST_AGE_YEARS


class PastDateField(DateField):
    def __init__(self, *, what: str, today: date, **kwargs: Any) -> None:
        self.today = today
        super().__init__(what=what, **kwargs)

    def clean(self, value: Any) -> date | None:
        result = super().clean(value)
        if result is not None and result > self.today:
            self.parts_in_error = ("day", "month", "year")
            raise forms.ValidationError(f"{self._what_cap()} must be today or in the past")
        # Parley's choice: nobody the procedures are about was born more than 120 years
        # ago, so an earlier date is a slip ("1 1 1900" was accepted and said "after 1900").
        earliest = date(self.today.year - OLDEST, 1, 1) if self.today.year > OLDEST else date.min
        if result is not None and result < earliest:
            self.parts_in_error = ("year",)
            raise forms.ValidationError(f"{self._what_cap()} must be in {earliest.year} or later")
        return result


def uploaded_or_pasted(form: forms.Form, data: dict[str, Any], *, missing: str) -> str | None:
    """A procedure file's text, from the form's ``file`` upload or else its pasted
    ``text``; None, with the problem added to the form, if it is too large for the
    loader, not UTF-8, or empty (``missing`` says what to do then)."""
    upload = data.get("file")
    text = str(data.get("text") or "")
    if upload is not None:
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", f"The file must be smaller than {MAX_FILE_BYTES // 1024}KB")
            return None
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", "The file must be a text file saved as UTF-8")
            return None
    if not text.strip():
        form.add_error("file", missing)
        return None
    return text
