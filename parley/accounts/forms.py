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


class ForgottenPasswordForm(forms.Form):
    username = forms.CharField(
        max_length=254,
        strip=True,
        error_messages={
            "required": "Enter your username or email address",
            "max_length": "Username or email address must be 254 characters or fewer",
        },
    )


def _new_password(label: str = "New password") -> forms.CharField:
    return forms.CharField(
        max_length=4096,
        strip=False,
        error_messages={
            "required": f"Enter your {label.lower()}",
            "max_length": "Password must be 4096 characters or fewer",
        },
    )


class NewPasswordForm(forms.Form):
    """A new password, typed twice; a code from the app when the link asks for one."""

    password = _new_password()
    password_again = forms.CharField(
        max_length=4096,
        strip=False,
        error_messages={"required": "Enter your new password again"},
    )
    code = forms.CharField(required=False, max_length=20)

    def __init__(self, *args: object, needs_code: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.needs_code = needs_code

    def clean_code(self) -> str:
        if not self.needs_code:
            return ""
        code = normalise_code(self.cleaned_data.get("code") or "")
        if not code:
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app")
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("The code must be 6 digits, like 123456")
        return code

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, again = data.get("password"), data.get("password_again")
        if first and again is not None and first != again:
            self.add_error("password_again", "The passwords do not match: type it again")
        return data


class ChangePasswordForm(NewPasswordForm):
    current = forms.CharField(
        max_length=4096,
        strip=False,
        error_messages={"required": "Enter your current password"},
    )
    field_order = ["current", "password", "password_again"]
