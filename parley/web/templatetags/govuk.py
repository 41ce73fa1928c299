"""GOV.UK Design System markup for Django forms, and dates in GOV.UK style.

``{{ govuk_field(form.summary, heading=True) }}`` renders a field as the GOV.UK component
for its widget (input, textarea with character count, radios, date input, file upload),
with its label, hint and error message. ``{{ govuk_error_summary(form) }}`` renders the
error summary whose links move focus to each field in error. The functions here make the
context for their templates (parley/web/govuk/); parley.web.jinja renders them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from parley.core.words import clock, long_date, moment_words
from parley.govuk_fields import DateField, DateWidget


def _kind(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, DateWidget):
        return "date"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


def _first_input_id(field: forms.BoundField) -> str:
    return field.auto_id or field.html_name


def govuk_field(
    field: forms.BoundField,
    heading: bool = False,
    size: str = "m",
    width: str = "",
    autocomplete: str = "",
) -> dict[str, Any]:
    kind = _kind(field)
    errors = list(field.errors)
    context: dict[str, Any] = {
        "field": field,
        "kind": kind,
        "id": _first_input_id(field),
        "name": field.html_name,
        "label": field.label,
        "hint": field.help_text,
        "error": errors[0] if errors else "",
        "heading": heading,
        "size": size,
        "width": width,
        # As the call says, else as the form's widget says (PersonForm, NHSNumberField).
        "autocomplete": autocomplete or field.field.widget.attrs.get("autocomplete", ""),
        "inputmode": field.field.widget.attrs.get("inputmode", ""),
        "required": field.field.required,
    }
    value = field.value()
    if kind == "radios":
        context["options"] = _radio_options(field, value)
    elif kind == "select":
        context["options"] = [
            {"value": str(v), "label": label, "selected": str(v) == str(value or "")}
            for v, label in field.field.choices  # type: ignore[attr-defined]
        ]
    elif kind == "date":
        context["parts"] = _date_parts(field, value)
    elif kind == "textarea":
        context["value"] = value or ""
        context["max_length"] = getattr(field.field, "max_length", None)
        context["max_length_words"] = f"{context['max_length'] or 0:,}"
    elif kind in ("input", "hidden"):
        context["value"] = "" if value is None else value
    return context


def _radio_options(field: forms.BoundField, value: Any) -> list[dict[str, Any]]:
    hints: dict[str, str] = getattr(field.field, "option_hints", {})
    divider = getattr(field.field, "divider_before", "")
    conditional: dict[str, str] = getattr(field.field, "conditional", {})
    options = []
    base = _first_input_id(field)
    for index, (option_value, label) in enumerate(field.field.choices):  # type: ignore[attr-defined]
        reveal = conditional.get(str(option_value))
        options.append(
            {
                "value": str(option_value),
                "label": label,
                "hint": hints.get(str(option_value), ""),
                "id": base if index == 0 else f"{base}-{index + 1}",
                "checked": value is not None and str(value) == str(option_value),
                "divider": divider and str(option_value) == divider,
                "conditional": field.form[reveal] if reveal else None,
            }
        )
    return options


def _date_parts(field: forms.BoundField, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, date):
        values = [str(value.day), str(value.month), str(value.year)]
    elif isinstance(value, list | tuple):
        values = ["" if v is None else str(v) for v in value]
    else:
        values = ["", "", ""]
    in_error: tuple[str, ...] = ()
    if field.errors and isinstance(field.field, DateField):
        in_error = field.field.parts_in_error or ("day", "month", "year")
    base = _first_input_id(field)
    parts = []
    for index, (part, label, width) in enumerate(
        (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))
    ):
        parts.append(
            {
                "id": base if index == 0 else f"{base}-{part}",
                "name": f"{field.html_name}_{part}",
                "label": label,
                "width": width,
                "value": values[index] if index < len(values) else "",
                "error": part in in_error,
            }
        )
    return parts


def govuk_error_summary(
    form: forms.Form | None = None,
    problems: list[str] | None = None,
    anchored: Iterable[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The summary of everything wrong: ``problems`` (a refusal, with no field to point
    at) first, then ``anchored`` (id, message) pairs, then each field's first error
    linked to the field."""
    items: list[dict[str, str]] = [{"text": p, "href": ""} for p in problems or []]
    items += [{"text": message, "href": f"#{anchor}"} for anchor, message in anchored or ()]
    if form is not None and form.is_bound and form.errors:
        first = next(iter(form.visible_fields()), None)
        for message in form.non_field_errors():
            items.append({"text": message, "href": f"#{_first_input_id(first)}" if first else ""})
        for name in form.fields:
            if name in form.errors:
                bound = form[name]
                items.append({"text": form.errors[name][0], "href": f"#{_first_input_id(bound)}"})
    return {"items": items}


# --- dates and times in GOV.UK style ----------------------------------------------------


def govuk_date(value: date | datetime | None) -> str:
    """22 December 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return long_date(value)


def govuk_day(value: date | datetime | None) -> str:
    """Tuesday 22 December 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return long_date(value, weekday=True)


def govuk_datetime(value: datetime | None) -> str:
    """5pm on Tuesday 22 December 2026."""
    if value is None:
        return ""
    return moment_words(timezone.localtime(value))


def govuk_time_date(value: datetime | None) -> str:
    """22 December 2026 at 10:15am: for when something happened."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{govuk_date(local)} at {clock(local)}"


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
