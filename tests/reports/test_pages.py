"""The report pages: who sees them, the period, figures linked to their cases, audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from django.db import transaction
from django.http import QueryDict

from parley.audit.models import AuditEntry
from parley.cases.demo import demo_load, person
from parley.core.report import parse_period
from parley.reports.behind import Behind, cases_behind
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from tests.reports.conftest import TODAY


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- who may see what -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "procedure_id", "status"),
    [
        ("ben.business", "twsp", 200),  # business manager
        ("chris.chair", "wirral-children", 200),  # board and panel chair
        ("ben.business", "bedfordshire-channel", 404),  # a board does not see Prevent cases
        ("chris.chair", "torbay-channel", 404),
        ("col.coordinator", "bedfordshire-channel", 200),  # Channel coordinator
        ("cora.channel", "torbay-channel", 200),  # Channel chair
        ("col.coordinator", "twsp", 404),  # Channel roles see only Channel procedures
        ("tia.executive", "twsp", 404),  # sight of cases, but not a reporting role
        ("dana.dsl", "twsp", 404),  # an agency's senior manager
        ("sam.social", "twsp", 404),  # a practitioner
        ("ari.admin", "twsp", 404),  # the administrator
        ("ben.business", "no-such-procedure", 404),
    ],
)
def test_reports_are_for_the_partnership_roles_that_run_the_procedure(
    year, signed_in, username, procedure_id, status
):
    response = signed_in(username).get(f"/reports/{procedure_id}/?period=2025-H2")
    assert response.status_code == status


def test_the_list_of_reports_shows_only_the_procedures_a_person_reports_on(year, signed_in):
    text = _text(signed_in("col.coordinator").get("/reports/"))
    assert "Bedfordshire Channel Panel" in text
    assert "TWSP Resolution" not in text
    assert signed_in("sam.social").get("/reports/").status_code == 404


def test_a_report_opens_at_the_last_whole_period_of_the_procedures_cadence(year, signed_in):
    response = signed_in("ben.business").get("/reports/wirral-children/")
    assert response.status_code == 200
    assert re.search(r"Report for \w+ to \w+ \d{4}", _text(response))  # a quarter


@pytest.fixture(scope="module")
def _demo_with_cases(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        atomic = transaction.atomic()
        atomic.__enter__()
        demo_load()
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("username", "procedure_id", "period"),
    [
        ("ben.business", "twsp", "2025-H2"),
        ("ben.business", "wirral-children", "2025-Q4"),
        ("ben.business", "torbay-children", "FY2024-25"),
        ("col.coordinator", "bedfordshire-channel", "2025-Q4"),
        ("cora.channel", "torbay-channel", "FY2024-25"),
    ],
)
def test_each_procedures_report_is_produced_from_the_demo_data_at_its_cadence(
    _demo_with_cases, db, signed_in, username, procedure_id, period
):
    client = signed_in(username)
    assert client.get(f"/reports/{procedure_id}/").status_code == 200
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/reports/{procedure_id}/report.{fmt}?period={period}")
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'.{fmt}"')


def test_the_board_paper_is_a_pdf_from_the_demo_data(_demo_with_cases, db, signed_in):
    response = signed_in("ben.business").get("/reports/twsp/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_every_view_and_export_is_audited(year, signed_in):
    client = signed_in("ben.business")
    client.get("/reports/twsp/?period=2025-H2")
    client.get("/reports/twsp/report.csv?period=2025-H2")
    views = AuditEntry.objects.filter(action="report.view", username="ben.business")
    exports = AuditEntry.objects.filter(action="report.export", username="ben.business")
    assert views.filter(detail__period="2025-H2", detail__procedure="twsp").exists()
    assert exports.filter(detail__format="csv").exists()


# --- the period ---------------------------------------------------------------------------


def test_a_period_that_cannot_be_read_gets_the_period_page_with_the_problem(year, signed_in):
    response = signed_in("ben.business").get("/reports/twsp/?period=2025-Q9")
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and "is not a period" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("choice=", "Choose the period the report should cover"),
        ("choice=custom", "Enter the first day of the period"),
        (
            "choice=custom&start_day=1&start_month=13&start_year=2025&end_day=1&end_month=1&end_year=2026",
            "The first day of the period must be a real date",
        ),
        (
            "choice=custom&start_day=1&start_month=6&start_year=2025&end_day=1&end_month=5&end_year=2025",
            "The end date must be the same as or after the start date",
        ),
        (
            "choice=custom&start_day=1&start_month=6&start_year=2025&end_day=1&end_month=5",
            "must include a year",
        ),
    ],
)
def test_choosing_a_period_says_what_is_wrong(year, signed_in, query, message):
    response = signed_in("ben.business").get(f"/reports/twsp/period/?{query}")
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and message in text


def test_a_custom_period_goes_to_its_report(year, signed_in):
    query = (
        "choice=custom&start_day=1&start_month=4&start_year=2025"
        "&end_day=30&end_month=9&end_year=2025"
    )
    response = signed_in("ben.business").get(f"/reports/twsp/period/?{query}")
    assert response.status_code == 302
    assert response["Location"].endswith("?period=2025-04-01..2025-09-30")
    page = signed_in("ben.business").get(response["Location"])
    assert "1 April 2025 to 30 September 2025" in _text(page)


# --- figures and the cases behind them ----------------------------------------------------


def test_the_page_shows_exact_figures_marked_not_for_sharing(year, signed_in):
    text = _text(signed_in("ben.business").get("/reports/twsp/?period=2025-H2"))
    assert "Exact figures: not for sharing" in text


def test_the_shared_view_shows_what_the_board_paper_shows(year, signed_in):
    text = _text(signed_in("ben.business").get("/reports/twsp/?period=2025-H2&view=shared"))
    assert "This is what the board paper and the downloads show" in text
    assert "fewer than 5" in text


@pytest.mark.parametrize(
    ("username", "procedure_id"),
    [("ben.business", "twsp"), ("col.coordinator", "bedfordshire-channel")],
)
def test_each_figure_links_to_exactly_the_cases_behind_it(year, signed_in, username, procedure_id):
    scope = report_scope(partnership=year, procedure_id=procedure_id)
    period = parse_period("2025-H2")
    report = report_build(scope=scope, period=period, threshold=5, today=TODAY)
    linked = [cell for cell in report.cells() if cell.link]
    assert len(linked) > 20
    for cell in linked:
        query = QueryDict(cell.link)
        behind = cases_behind(
            person=person(username),
            scope=scope,
            period=parse_period(query["period"]),
            behind=Behind.read(query),
            today=TODAY,
        )
        assert behind.count() == cell.value, cell.link


def test_a_figures_page_lists_its_cases_with_links_to_them(year, signed_in):
    response = signed_in("ben.business").get("/reports/twsp/cases/?period=2025-H2&figure=overdue")
    assert response.status_code == 200
    text = _text(response)
    shown = int(re.search(r"(\d+) disagreements?\.", text).group(1))
    assert shown == len(re.findall(r'href="/cases/TWSP-', response.content.decode()))
    assert "past their stage's timescale" in text


def test_someone_without_sight_of_cases_cannot_open_a_figures_list(year, signed_in):
    response = signed_in("sam.social").get("/reports/twsp/cases/?period=2025-H2&figure=raised")
    assert response.status_code == 404


def test_an_unknown_figure_is_not_found(year, signed_in):
    client = signed_in("ben.business")
    assert client.get("/reports/twsp/cases/?period=2025-H2&figure=everything").status_code == 404
    assert (
        client.get("/reports/twsp/cases/?period=2025-H2&figure=raised&raising=x").status_code == 404
    )
