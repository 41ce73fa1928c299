"""Every page sends a strict Content-Security-Policy and the other protective headers."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def assert_protected(response: Any) -> None:
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    [
        "/sign-in/",
        "/sign-in/code/",
        "/sign-in/recovery-code/",
        "/sign-out/",
        "/account/set-up-authenticator/",
        "/",
        "/account/",
        "/healthz",
        "/no-such-page",
    ],
)
def test_every_page_sends_the_security_headers_signed_out(demo: Any, path: str) -> None:
    assert_protected(Client().get(path))


@pytest.mark.parametrize("path", ["/", "/account/", "/sign-out/", "/no-such-page"])
def test_every_page_sends_the_security_headers_signed_in(
    demo: Any, signed_in: Any, path: str
) -> None:
    assert_protected(signed_in("nia.nurse").get(path))


def test_sign_in_pages_are_not_cached(demo: Any) -> None:
    response = Client().get("/sign-in/")
    assert "no-store" in response["Cache-Control"]


def is_pdf_source(path: Path) -> bool:
    """A whole HTML document with print rules (@page): WeasyPrint makes a PDF of it.

    It is never served as a web page, so the CSP does not apply and it keeps its <style>.
    """
    text = path.read_text(encoding="utf-8")
    return "@page" in text and "{% extends" not in text


# The templates of pages a browser shows.
TEMPLATES = sorted(
    path
    for path in (ROOT / "parley").rglob("*.html")
    if "jinja2" in path.parts and not is_pdf_source(path)
)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on...= event handler"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: address"),
]


def test_the_templates_are_found() -> None:
    assert len(TEMPLATES) > 60


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    """The CSP refuses them, so they would silently not work."""
    text = template.read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == [], f"{template.relative_to(ROOT)} has {', '.join(found)}"


PRODUCTION_CHECK = """
import django
django.setup()
from django.conf import settings as s
from django.core.management import call_command
call_command("check", deploy=True, fail_level="DEBUG")
print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
      s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,
      s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_AGE, s.PARLEY_SESSION_MAX_AGE)
"""


def test_production_settings_pass_check_deploy_and_are_hardened(tmp_path: Path) -> None:
    """Settings are read from the environment at import, so a fresh process reads them."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PARLEY_", "DJANGO_"))
    }
    environment.update(
        PARLEY_ENV="production",
        PARLEY_SECRET_KEY=secrets.token_urlsafe(60),
        PARLEY_ALLOWED_HOSTS="parley.example",
        PARLEY_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="parley.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_CHECK],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "System check identified no issues (0 silenced)."
    assert lines[1].split() == [
        "True",
        str(365 * 24 * 60 * 60),
        "True",
        "True",
        "True",
        "True",
        "__Host-parley-session",
        "__Host-parley-csrf",
        "1800",
        "36000",
    ]
