"""Test-run switches, read from the environment.

``PARLEY_DATABASE_URL``
    Run against that database (PostgreSQL); SQLite otherwise.
``PARLEY_REQUIRE_POSTGRES=1``
    Fail the run at the start unless PARLEY_DATABASE_URL is a PostgreSQL URL
    whose server answers.
``PARLEY_BROWSER_TESTS``
    The tests marked ``browser`` run wherever Chromium and playwright are installed
    (``make browser-deps``) and are skipped, saying why, where they are not.
    ``PARLEY_BROWSER_TESTS=0`` turns them off; ``=1`` insists on them.
``PARLEY_REQUIRE_BROWSER=1``
    With browser tests on, fail the run at the start if Chromium or the
    playwright package is missing, instead of skipping the browser tests.
``PARLEY_CHROMIUM``
    The Chromium binary (``/usr/bin/chromium``, from Debian's package).

Tests marked ``postgres_only`` are skipped unless the database is PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from parley.dburl import connect_options, database_from_url, is_postgres_url, redact

CHROMIUM = Path(os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium"))


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    return os.environ.get("PARLEY_DATABASE_URL", "").strip()


def browser_tests_enabled() -> bool:
    """On when asked for, off when turned off, and otherwise on if Chromium is here."""
    setting = os.environ.get("PARLEY_BROWSER_TESTS", "").strip().lower()
    if setting:
        return setting in {"1", "true", "yes", "on"}
    return browser_missing() is None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if not CHROMIUM.exists():
        return (
            f"Chromium not found at {CHROMIUM} "
            "(apt-get install -y chromium chromium-driver, or set PARLEY_CHROMIUM)"
        )
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def _postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None if it answers."""
    import psycopg

    db = database_from_url(url)
    try:
        # The maintenance database: the test database does not exist yet.
        with psycopg.connect(
            dbname="postgres",
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            connect_timeout=10,
            **connect_options(db),
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip()
    return None


def pytest_configure(config: pytest.Config) -> None:
    url = _database_url()
    if _flag("PARLEY_REQUIRE_POSTGRES"):
        if not is_postgres_url(url):
            raise pytest.UsageError(
                "PARLEY_REQUIRE_POSTGRES=1 but PARLEY_DATABASE_URL is not a PostgreSQL URL "
                f"({url or 'unset'}); set it to postgres://user@host:5432/name"
            )
        problem = _postgres_unreachable(url)
        if problem:
            raise pytest.UsageError(
                f"PARLEY_REQUIRE_POSTGRES=1 but PostgreSQL at {redact(url)} "
                f"cannot be reached: {problem}"
            )

    if browser_tests_enabled() and _flag("PARLEY_REQUIRE_BROWSER"):
        problem = browser_missing()
        if problem:
            raise pytest.UsageError(f"PARLEY_REQUIRE_BROWSER=1 but {problem}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = _database_url()
    database = redact(url) if url else "SQLite"
    browser = "on" if browser_tests_enabled() else "off"
    return [f"parley: database {database}; browser tests {browser}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if browser_tests_enabled():
        problem = browser_missing()
        skip_browser = pytest.mark.skip(reason=f"browser tests cannot run: {problem}")
    else:
        problem = "off"
        skip_browser = pytest.mark.skip(
            reason=f"browser tests are off: {browser_missing() or 'PARLEY_BROWSER_TESTS=0'}"
        )

    skip_postgres = pytest.mark.skip(
        reason="needs PostgreSQL: set PARLEY_DATABASE_URL=postgres://..."
    )
    on_postgres = is_postgres_url(_database_url())

    for item in items:
        if problem and item.get_closest_marker("browser"):
            item.add_marker(skip_browser)
        if not on_postgres and item.get_closest_marker("postgres_only"):
            item.add_marker(skip_postgres)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    """Argon2 is slow on purpose; tests of sign-in itself ask for it back explicitly."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
        "client",
        "signed_in",
        "admin_client",
    } & set(request.fixturenames)
    if uses_db and request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _let_the_test_database_be_emptied(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that commit are emptied by a flush, which the record's triggers would refuse.

    On SQLite the flush is a DELETE, so grant the purge permit for it; on PostgreSQL it is
    a TRUNCATE, which the row triggers do not see. A test's own transaction removes any
    permit left over, so the triggers guard every test body.
    """
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = bool({"transactional_db", "live_server"} & set(request.fixturenames))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_purge_permit")
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO cases_purge_permit DEFAULT VALUES")


@pytest.fixture
def signed_in(db: None) -> Callable[[str], Any]:
    """``signed_in(username)``: a new test Client signed in as that user, second factor passed.

    The user must exist (``demo_load()`` makes the demo people). A user with no
    authenticator app gets one, so the page middleware sees a verified session.
    """
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parley.accounts.services import session_mark_signed_in

    def sign_in(username: str) -> Client:
        user = get_user_model().objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app")
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session_mark_signed_in(session)
        session.save()
        return client

    return sign_in
