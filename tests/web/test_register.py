"""The register of ongoing disagreements, and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.cases.models import Person
from parley.core.engine import EventKind
from parley.web.views_cases_register import safe_cell
from tests.office import BOM, csv_in_libreoffice
from tests.web.conftest import (
    HEALTH,
    POLICE,
    SCHOOL,
    SOCIAL_CARE,
    act,
    agency,
    main_html,
    raise_case,
)

pytestmark = pytest.mark.django_db


def csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_people_without_partnership_wide_sight_get_page_not_found(
    as_person: Callable[[str], Client],
) -> None:
    for username in ["nia.nurse", "max.manager", "dana.dsl", "drew.director", "ari.admin"]:
        client = as_person(username)
        assert client.get("/register/").status_code == 404
        assert client.get("/register.csv").status_code == 404
        assert 'href="/register/"' not in client.get("/").content.decode()


def test_the_register_lists_every_ongoing_disagreement_and_nothing_else(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    open_case = raise_case()
    resolved = raise_case()
    act(resolved, "sam.social", EventKind.RESOLVED, outcome="Agreed.", outstanding="None")
    channel = raise_case("torbay-channel")
    audited.clear()  # what raising and resolving them recorded
    page = main_html(as_person("ben.business").get("/register/"))
    assert open_case.reference in page
    assert resolved.reference not in page
    # The board's business manager does not see Prevent (Channel) cases ...
    assert channel.reference not in page
    assert [c["action"] for c in audited] == ["register.view"]
    # ... the Channel chair sees only those.
    channel_page = main_html(as_person("cora.channel").get("/register/"))
    assert channel.reference in channel_page and open_case.reference not in channel_page


def test_filters_by_procedure_stage_agency_and_overdue(as_person: Callable[[str], Client]) -> None:
    twsp = raise_case()
    wirral = raise_case(
        "wirral-children", raiser="tess.teacher", raising=SCHOOL, other=POLICE, professional=None
    )
    escalated = raise_case(at=timezone.now() - timedelta(days=40))
    act(
        escalated,
        "nia.nurse",
        EventKind.ESCALATED,
        reason="no-agreement",
        at=timezone.now() - timedelta(days=39),
    )
    client = as_person("ben.business")

    def listed(query: str) -> set[str]:
        page = main_html(client.get(f"/register/?{query}"))
        return {c.reference for c in (twsp, wirral, escalated) if c.reference in page}

    assert listed("procedure=wirral-children") == {wirral.reference}
    assert listed("stage=stage-2") == {escalated.reference}
    assert listed(f"agency={agency(SCHOOL).pk}") == {wirral.reference}
    assert listed(f"agency={agency(SOCIAL_CARE).pk}") == {twsp.reference, escalated.reference}
    assert listed("overdue=yes") == {escalated.reference}
    page = main_html(client.get("/register/?procedure=twsp&overdue=yes"))
    assert "Selected filters" in page and "Clear filters" in page
    assert "Stage 2: Line or team managers" in page  # a procedure's own stage names


def test_sorting_by_each_column_both_ways(as_person: Callable[[str], Client]) -> None:
    older = raise_case(at=timezone.now() - timedelta(days=3))
    newer = raise_case(at=timezone.now() - timedelta(days=1))
    act(older, "nia.nurse", EventKind.ESCALATED, reason="no-agreement")
    client = as_person("ben.business")

    def order(query: str) -> list[str]:
        page = main_html(client.get(f"/register/?{query}"))
        return sorted((older.reference, newer.reference), key=page.index)

    assert order("sort=raised") == [older.reference, newer.reference]
    assert order("sort=raised&order=desc") == [newer.reference, older.reference]
    assert order("sort=stage") == [newer.reference, older.reference]
    assert order("sort=reference&order=desc") == [newer.reference, older.reference]
    assert order("sort=deadline") in (
        [older.reference, newer.reference],
        [newer.reference, older.reference],
    )
    page = main_html(client.get("/register/?sort=raised"))
    assert 'aria-sort="ascending"' in page
    assert client.get("/register/?sort=nonsense&order=sideways&page=-3").status_code == 200


def test_fifty_a_page(as_person: Callable[[str], Client]) -> None:
    cases = [raise_case(at=timezone.now() - timedelta(minutes=i)) for i in range(51)]
    client = as_person("ben.business")
    first = main_html(client.get("/register/?sort=reference"))
    second = main_html(client.get("/register/?sort=reference&page=2"))
    assert cases[0].reference in first and cases[50].reference not in first
    assert cases[50].reference in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_the_csv_has_the_same_filters_and_is_audited(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    twsp = raise_case()
    wirral = raise_case(
        "wirral-children", raiser="tess.teacher", raising=SCHOOL, other=POLICE, professional=None
    )
    client = as_person("ben.business")
    audited.clear()  # what raising them recorded
    response = client.get("/register.csv?procedure=twsp")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [twsp.reference]
    assert wirral.reference not in str(rows)
    assert rows[1][7] == HEALTH
    assert [c["action"] for c in audited] == ["register.export"]
    assert 'href="/register.csv?procedure=twsp' in main_html(
        client.get("/register/?procedure=twsp")
    )


def test_the_csv_opens_in_libreoffice_with_names_as_they_were_written(
    as_person: Callable[[str], Client], tmp_path: Path
) -> None:
    from parley.cases.models import Agency

    Agency.objects.filter(name=SCHOOL).update(name="Demoshire Academy → Trust")
    case = raise_case(
        raiser="tess.teacher", raising="Demoshire Academy → Trust", professional="sam.social"
    )
    Person.objects.filter(pk=case.raised_by_id).update(name="Siân Ó Briain-Çelik")
    data = b"".join(as_person("ben.business").get("/register.csv").streaming_content)
    assert data.startswith(BOM)  # what tells Excel and LibreOffice it is UTF-8
    rows = csv_in_libreoffice(data, tmp_path)
    assert rows[0][:2] == ["Reference", "Procedure"]  # the mark is not read as text
    assert rows[1][0] == case.reference
    assert rows[1][6:8] == ["Siân Ó Briain-Çelik", "Demoshire Academy → Trust"]


def test_the_csv_cannot_carry_a_spreadsheet_formula(as_person: Callable[[str], Client]) -> None:
    from parley.cases.models import Agency, Partnership

    partnership = Partnership.objects.get()
    hostile = Agency.objects.create(partnership=partnership, name='=HYPERLINK("http://x","y")')
    raise_case(other=hostile.name, professional=None)
    rows = csv_rows(as_person("ben.business").get("/register.csv"))
    assert rows[1][8] == '\'=HYPERLINK("http://x","y")'
    for cell in ("+1", "-1", "@SUM(A1)", "\t=1"):
        assert safe_cell(cell).startswith("'")
    assert safe_cell("Plain") == "Plain"


def test_the_number_of_queries_stays_flat_as_cases_grow(
    as_person: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    client = as_person("ben.business")
    client.get("/register/")
    for index in range(10):
        raise_case(at=timezone.now() - timedelta(hours=index))
    # A few more on PostgreSQL than on SQLite (the audit trail's advisory lock); what
    # matters is that the count does not grow with the cases, checked below.
    with django_assert_max_num_queries(24) as page_queries:
        client.get("/register/?sort=stage")
    with django_assert_max_num_queries(24) as csv_queries:
        csv_rows(client.get("/register.csv"))
    for index in range(90):
        raise_case(at=timezone.now() - timedelta(days=1, hours=index))
    with django_assert_max_num_queries(len(page_queries.captured_queries)):
        client.get("/register/?sort=stage")
    with django_assert_max_num_queries(len(csv_queries.captured_queries)):
        csv_rows(client.get("/register.csv"))
