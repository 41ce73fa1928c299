"""Helpers that sign in through the real pages, as a person would."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp

from parley.accounts.demo import DEMO_TOTP_KEY
from parley.cases.demo import DEMO_PASSWORD


def demo_code(offset_steps: int = 0) -> str:
    """What an authenticator app holding the demo secret shows now."""
    return f"{totp(DEMO_TOTP_KEY, drift=offset_steps):06d}"


def password_step(
    client: Client, username: str, password: str = DEMO_PASSWORD, **extra: Any
) -> Any:
    return client.post("/sign-in/", {"username": username, "password": password}, **extra)


def code_step(client: Client, code: str, **extra: Any) -> Any:
    return client.post("/sign-in/code/", {"code": code}, **extra)


def sign_in_fully(client: Client, username: str, **extra: Any) -> Any:
    response = password_step(client, username, **extra)
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].startswith("/sign-in/code/")
    return code_step(client, demo_code(), **extra)


def error_summary(response: Any) -> str:
    """The text of the GOV.UK error summary, or '' if the page has none."""
    html = response.content.decode()
    start = html.find('class="govuk-error-summary"')
    if start < 0:
        return ""
    end = html.find("</ul>", start)
    return html[start:end]
