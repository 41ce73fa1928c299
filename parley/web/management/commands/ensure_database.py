"""Create the configured PostgreSQL database if it does not exist yet.

SQLite creates its file on first use, so for SQLite this does nothing.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parley.dburl import connect_options


class Command(BaseCommand):
    help = "Create the PostgreSQL database named by PARLEY_DATABASE_URL if it is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            return

        import psycopg
        from psycopg import sql

        params = {
            "dbname": "postgres",
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "connect_timeout": 10,
            **connect_options(db),
        }
        name = db["NAME"]
        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if exists:
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise CommandError(f"could not create PostgreSQL database {name!r}: {error}") from error
        self.stdout.write(f"Created PostgreSQL database {name!r}")
