"""Turn a database URL into a Django ``DATABASES`` entry.

Only what Parley uses is supported: ``postgres://`` (also ``postgresql://``)
and ``sqlite:///path``. Query parameters on a PostgreSQL URL become connection
options, so ``?sslmode=require`` works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in POSTGRES_SCHEMES


def sqlite_database(path: Path | str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # The web process and the task worker both write: take the write
            # lock at BEGIN and wait for it rather than failing with "locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        },
    }


def database_from_url(url: str) -> dict[str, Any]:
    """Return a Django database settings dict for ``url``.

    Raises ``ValueError`` for a URL it does not understand.
    """
    parts = urlsplit(url)
    if parts.scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError(f"database URL names no database: {redact(url)}")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            # A percent-encoded host is a Unix socket directory.
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # Parley's queries are short and indexed: compiling them with JIT costs
                # more than it saves (docs/performance.md).
                # ``?options=...`` replaces this. PostgreSQL chooses between a statement's
                # generic plan and one for its values itself: forcing the generic plan, once
                # values were sent apart from the SQL, gave every statement a generic plan
                # and cost the home page and the national report (docs/performance.md).
                "options": "-c jit=off",
                # Values are sent apart from the SQL (Django's option), so that psycopg can
                # prepare a statement once it has run ``prepare_threshold`` times on a
                # connection (parley.dbprepared, ADR 0013).
                "server_side_binding": True,
                # ``?prepare_threshold=off`` prepares nothing, e.g. behind a connection
                # pooler in transaction mode that cannot keep prepared statements.
                "prepare_threshold": 5,
                **_options(parse_qsl(parts.query)),
            },
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path or path == "/":
            raise ValueError(f"use sqlite:///relative/path or sqlite:////absolute/path: {url}")
        # sqlite:///var/x.db -> "var/x.db"; sqlite:////tmp/x.db -> "/tmp/x.db"
        return sqlite_database(path[1:])
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r}: {redact(url)}")


def _options(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    options: dict[str, Any] = dict(pairs)
    if "prepare_threshold" in options:
        value = str(options["prepare_threshold"]).strip().lower()
        if value in {"off", "none", "0", ""}:
            options["prepare_threshold"] = None
        elif value.isdigit():
            options["prepare_threshold"] = int(value)
        else:
            raise ValueError(f"prepare_threshold must be a number or off, not {value!r}")
    return options


# Options Django reads itself rather than handing to psycopg.
DJANGO_ONLY_OPTIONS = frozenset({"server_side_binding", "pool", "isolation_level", "assume_role"})


def connect_options(db: dict[str, Any]) -> dict[str, Any]:
    """A database's OPTIONS as psycopg.connect takes them (Django's own left out)."""
    return {k: v for k, v in (db.get("OPTIONS") or {}).items() if k not in DJANGO_ONLY_OPTIONS}


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
