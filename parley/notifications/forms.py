"""Filters on the operators' page: only values from the lists are accepted."""

from __future__ import annotations

from django import forms

from parley.notifications.models import Notification


class NotificationFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Notification.Status.choices],
        error_messages={"invalid_choice": "Choose a status from the list"},
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Any kind"), *Notification.Kind.choices],
        error_messages={"invalid_choice": "Choose a kind of notification from the list"},
    )
    retried = forms.BooleanField(required=False)
