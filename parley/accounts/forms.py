"""The sign-in forms: what was typed, and whether it has the right shape.

Whether a password or code is right is the services' business, not the forms'.
"""

from __future__ import annotations

from django import forms

from parley.accounts.services import RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH, normalise_code


class SignInForm(forms.Form):
    username = forms.CharField(
        max_length=254,
        strip=True,
        error_messages={
            "required": "Enter your username or email address",
            "max_length": "Username or email address must be 254 characters or fewer",
        },
    )
    password = forms.CharField(
        max_length=4096,
        strip=False,
        error_messages={
            "required": "Enter your password",
            "max_length": "Password must be 4096 characters or fewer",
        },
    )


class CodeForm(forms.Form):
    """A 6-digit code from an authenticator app."""

    code = forms.CharField(
        max_length=20,
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app",
            "max_length": "The code must be 6 digits, like 123456",
        },
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("The code must be 6 digits, like 123456")
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        error_messages={
            "required": "Enter one of your recovery codes",
            "max_length": "A recovery code is 10 letters and numbers, like abcde-23456",
        },
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != RECOVERY_CODE_LENGTH or any(c not in RECOVERY_CODE_ALPHABET for c in code):
            raise forms.ValidationError(
                "A recovery code is 10 letters and numbers, like abcde-23456"
            )
        return code
