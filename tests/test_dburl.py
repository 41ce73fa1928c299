import pytest

from parley.dburl import connect_options, database_from_url, is_postgres_url, redact


def test_postgres_url() -> None:
    db = database_from_url("postgres://postgres@127.0.0.1:5432/parley")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "parley",
        "postgres",
        "",
        "127.0.0.1",
        "5432",
    )
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_postgres_url_with_password_socket_and_options() -> None:
    db = database_from_url("postgresql://u%40x:p%2Fw@%2Fvar%2Frun%2Fpostgresql/db?sslmode=require")
    assert (db["USER"], db["PASSWORD"], db["HOST"]) == ("u@x", "p/w", "/var/run/postgresql")
    assert db["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


def test_the_url_may_replace_the_default_session_options() -> None:
    db = database_from_url("postgres://h/db?options=-c%20statement_timeout%3D5000")
    assert db["OPTIONS"] == {
        "options": "-c statement_timeout=5000",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


def test_psycopg_is_handed_the_options_it_takes_and_not_djangos_own() -> None:
    db = database_from_url("postgres://h/db?sslmode=require")
    assert connect_options(db) == {
        "sslmode": "require",
        "options": "-c jit=off",
        "prepare_threshold": 5,
    }


@pytest.mark.parametrize(("given", "taken"), [("off", None), ("none", None), ("20", 20)])
def test_prepared_statements_may_be_turned_off_or_kept_sooner(
    given: str, taken: int | None
) -> None:
    db = database_from_url(f"postgres://h/db?prepare_threshold={given}")
    assert db["OPTIONS"]["prepare_threshold"] == taken


def test_a_prepare_threshold_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="prepare_threshold"):
        database_from_url("postgres://h/db?prepare_threshold=sometimes")


def test_sqlite_url() -> None:
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host:5432/", "sqlite://"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        database_from_url(url)


def test_helpers() -> None:
    assert is_postgres_url("postgres://x/y")
    assert not is_postgres_url("")
    assert redact("postgres://u:secret@h/db") == "postgres://u:***@h/db"
