"""Production refuses to start with a weak or development secret key, saying why.

Before, ``PARLEY_SECRET_KEY=abc``, 56 × "a" or the development key all started.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from parley.secret_key import secret_key_problem

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_KEY = "django-insecure-parley-development-only-do-not-use-in-production"


def start(key: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_"))}
    environment.update(
        PARLEY_ENV="production",
        PARLEY_SECRET_KEY=key,
        PARLEY_ALLOWED_HOSTS="parley.example",
        PARLEY_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="parley.settings",
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("abc", "3 characters long"),
        ("a" * 56, "only 1 different character"),
        (DEVELOPMENT_KEY, "the development key"),
        ("django-insecure-" + secrets.token_urlsafe(50), "django-insecure-"),
        ("ab" * 40, "only 2 different characters"),
    ],
)
def test_production_refuses_a_weak_key_and_says_why(tmp_path: Path, key: str, why: str) -> None:
    result = start(key, tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "PARLEY_SECRET_KEY" in result.stderr and why in result.stderr
    assert key not in result.stderr  # the key itself is never printed


def test_production_starts_with_a_strong_key(tmp_path: Path) -> None:
    result = start(secrets.token_urlsafe(60), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_a_random_key_has_no_problem() -> None:
    assert secret_key_problem(secrets.token_urlsafe(60), development_key=DEVELOPMENT_KEY) is None
