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
