"""Procedures, readable: the list, each procedure's ladder and flowchart, and the dates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction

from parley.cases import selectors, services
from parley.cases.demo import demo_load
from parley.cases.models import Partnership
from parley.web.flowchart import flowchart_of, flowchart_sentences, flowchart_svg

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
NORTHSHIRE = Path(__file__).resolve().parents[1] / "core/fixtures/procedures/northshire.yaml"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[int]:
    """The demo partnership, loaded once for the module (loading it takes most of a second).

    Each test runs inside its own savepoint within this transaction, as Django's
    ``TestCase.setUpTestData`` does, and the whole lot is rolled back at the end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(with_cases=False).pk
        transaction.set_rollback(True)


@pytest.fixture
def partnership(demo, db) -> Partnership:
    return Partnership.objects.get(pk=demo)


@pytest.fixture
def client(partnership, signed_in):
    return signed_in("nia.nurse")


def page(client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def text_of(html: str) -> str:
    """The words of a page, tags and repeated spaces removed, entities decoded."""
    import html as html_module

    words = " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([:.,;])", r"\1", words)


def svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert match, "the page has an inline SVG"
    return ET.fromstring(match.group(0))


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_the_partnerships_current_procedures(client):
    words = text_of(page(client, "/procedures/"))
    for name, partnership in (
        ("TWSP Resolution and Escalation Process", "Telford and Wrekin Safeguarding Partnership"),
        ("WSCB Multi-Agency Escalation Procedure", "Wirral Safeguarding Children Board"),
        ("Torbay Channel Panel multi-agency escalation process", "Torbay Channel Panel"),
    ):
        assert name in words
        assert partnership in words
    assert "2024-3" in words
    assert "Children, Adults" in words
    assert "Channel (Prevent)" in words


def test_the_list_needs_sign_in(partnership, client):
    from django.test import Client

    response = Client().get("/procedures/")
    assert response.status_code == 302
    assert "next=%2Fprocedures%2F" in response["Location"]


def test_someone_with_no_partnership_sees_no_procedures(partnership, signed_in):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("visitor", password="not-used-here-1")
    words = text_of(page(signed_in("visitor"), "/procedures/"))
    assert "no procedures loaded" in words
    assert signed_in("visitor").get("/procedures/twsp/").status_code == 404


def test_the_list_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/procedures/")


def test_another_partnerships_procedure_is_not_found(client):
    other = Partnership.objects.create(name="Elsewhere Partnership", slug="elsewhere")
    services.procedure_load(
        partnership=other, text=NORTHSHIRE.read_text(encoding="utf-8"), source_name="n.yaml"
    )
    assert client.get("/procedures/northshire/").status_code == 404
    assert client.get("/procedures/no-such-procedure/").status_code == 404


# --- each procedure's page -------------------------------------------------------------------


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_each_procedure_page_shows_every_stage_and_an_accessible_flowchart(
    client, partnership, procedure_id
):
    version = partnership.procedures.get(procedure_id=procedure_id, is_current=True)
    procedure = selectors.procedure_of(version)
    html = page(client, f"/procedures/{procedure_id}/")
    words = text_of(html)
    assert procedure.name in words
    for track in procedure.tracks:
        for stage in track.stages:
            assert stage.name in words, stage.name
    svg = svg_of(html)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and procedure.name in (title.text or "")
    assert desc is not None and desc.text
    # Named by its title; the whole chart in words is its description, not its name.
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")
    # One element with the heading's id, which the contents link to.
    assert html.count('id="flowchart"') == 1
    assert '<h2 class="govuk-heading-l" id="flowchart">' in html
    # The same content as a list, for people who cannot see the picture.
    for sentence in flowchart_sentences(flowchart_of(procedure)):
        assert text_of(sentence) in words
    # Nothing in the picture is fetched from elsewhere.
    assert "href=" not in re.search(r"<svg\b.*?</svg>", html, re.DOTALL).group(0)


def test_twsp_page_shows_the_ladder_in_plain_words(client):
    words = text_of(page(client, "/procedures/twsp/"))
    assert "Stage 3: Senior managers and designated safeguarding leads" in words
    assert "24 hours from the start of the stage" in words
    assert "14 working days in all" in words
    assert "Escalate it the same working day, starting at Stage 3" in words
    assert "TWSP Resolution and Escalation Referral Form" in words
    assert "Twice a year, the partnership or board business manager reports to TWSP Board" in words
    assert "A stage can be bypassed by: Senior manager" in words
    assert "Source: Appendix 1, stage 3" in words
    assert "a final and binding decision" in words.lower()


def test_bedfordshire_page_shows_the_informal_stage_and_the_overall_limit(client):
    html = page(client, "/procedures/bedfordshire-channel/")
    words = text_of(html)
    assert "The informal stage" in words
    assert "20 working days" in words
    # The informal stage is drawn dashed, as optional.
    assert 'stroke-dasharray="8 5"' in html


def test_a_procedure_with_two_tracks_draws_them_side_by_side(partnership):
    result = services.procedure_load(
        partnership=partnership,
        text=NORTHSHIRE.read_text(encoding="utf-8"),
        source_name="northshire.yaml",
    )
    procedure = selectors.procedure_of(result)
    svg = ET.fromstring(flowchart_svg(flowchart_of(procedure)))
    headings = [t.text for t in svg.iter(f"{SVG}text") if t.get("font-size") == "16"]
    assert headings == [track.name for track in procedure.tracks]


def test_the_flowchart_is_also_served_as_an_svg_file(client):
    response = client.get("/procedures/wirral-children/flowchart.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.content)
    assert svg.find(f"{SVG}title").text == "Flowchart of the WSCB Multi-Agency Escalation Procedure"


def test_the_flowchart_escapes_what_a_procedure_says():
    from dataclasses import replace

    from parley.core.loader import check_file

    procedure = check_file(NORTHSHIRE).procedure
    assert procedure is not None
    track = procedure.tracks[0]
    stage = replace(track.stages[0], name="<script>alert(1)</script> & co")
    hostile = replace(procedure, tracks=(replace(track, stages=(stage, *track.stages[1:])),))
    svg = flowchart_svg(flowchart_of(hostile))
    assert "<script>" not in svg
    ET.fromstring(svg)


# --- if raised today -------------------------------------------------------------------------


def dates(client, procedure_id: str, day: str, month: str, year: str, **more: str) -> str:
    params = {"raised_day": day, "raised_month": month, "raised_year": year, **more}
    return text_of(page(client, f"/procedures/{procedure_id}/dates/", **params))


def test_twsp_raised_on_21_december_2026_runs_past_christmas(client):
    words = dates(client, "twsp", "21", "12", "2026")
    assert "If raised at 9am on Monday 21 December 2026" in words
    # Stage 1, 7 working days: 25 and 28 December and 1 January are bank holidays.
    assert "Stage ends by Monday 4 January 2027: 7 working days after it was raised" in words
    assert (
        "3 working days from Wednesday 23 December 2026: 25 and 28 December are bank holidays"
        in words
    )
    # The 24-hour referral ends at a time, so the time is given.
    assert "5pm on Monday 11 January 2027" in words
    # Stage 5: the TWSP Executive's decision.
    assert (
        "The TWSP Executive makes a final and binding decision and tells everyone involved "
        "The partnership Thursday 28 January 2027"
    ) in words
    assert "Stage ends by Thursday 28 January 2027: 25 working days after it was raised" in words


def test_the_dates_default_to_today(client):
    from django.utils import timezone

    from parley.core.words import long_date

    html = page(client, "/procedures/twsp/dates/")
    today = timezone.localdate()
    assert f'value="{today.day}"' in html
    assert f"on {long_date(today, weekday=True)}" in text_of(html)


def test_the_procedure_page_has_the_calculator_form(client):
    html = page(client, "/procedures/twsp/")
    assert 'action="/procedures/twsp/dates/"' in html
    assert 'name="raised_day"' in html
    assert 'name="immediate_risk"' in html


def test_the_immediate_risk_route_starts_the_same_working_day(client):
    words = dates(client, "twsp", "21", "12", "2026", immediate_risk="yes")
    assert "on the immediate-risk route" in words
    assert "5pm on Monday 21 December 2026" in words
    assert "Stage 1: Practitioners" not in words.split("If raised at")[1]


def test_where_the_raiser_chooses_the_stage_the_calculator_asks(client):
    html = page(client, "/procedures/torbay-children/")
    assert 'name="start_stage"' in html
    refused = client.get(
        "/procedures/torbay-children/dates/",
        {"raised_day": "1", "raised_month": "6", "raised_year": "2026", "immediate_risk": "yes"},
    ).content.decode()
    assert "govuk-error-summary" in refused
    assert "Select the stage the immediate-risk route starts at" in refused
    words = dates(
        client, "torbay-children", "1", "6", "2026", immediate_risk="yes", start_stage="stage-3"
    )
    assert "on the immediate-risk route" in words
    assert "Stage 3: Supervisors or managers" in words


def test_a_track_the_immediate_risk_route_does_not_reach_is_refused(partnership, client):
    services.procedure_load(
        partnership=partnership,
        text=NORTHSHIRE.read_text(encoding="utf-8"),
        source_name="northshire.yaml",
    )
    track = selectors.procedure_of(
        partnership.procedures.get(procedure_id="northshire", is_current=True)
    ).tracks[1]
    html = client.get(
        "/procedures/northshire/dates/",
        {"raised_day": "1", "raised_month": "6", "raised_year": "2026", "track": track.id,
         "immediate_risk": "yes"},
    ).content.decode()  # fmt: skip
    assert "govuk-error-summary" in html
    assert "does not start anywhere in" in text_of(html)
    words = dates(client, "northshire", "1", "6", "2026", track=track.id)
    assert track.stages[0].name in words


def test_wirral_page_lists_the_written_confirmation_it_offers(client):
    words = text_of(page(client, "/procedures/wirral-children/"))
    assert "Written confirmation of outcome When a disagreement is resolved" in words


def test_the_informal_stage_can_be_chosen(client):
    words = dates(client, "bedfordshire-channel", "1", "6", "2026", informal="yes")
    assert "Informal stage: Informal discussion" in words.split("If raised at")[1]


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "02", "2026", "The date raised must be a real date"),
        ("", "", "", "Enter the date raised"),
        ("1", "", "2026", "The date raised must include a month"),
        ("1", "2", "26", "Year must include 4 numbers"),
        ("1", "2", "1999", "The date raised must be between 1 January 2000"),
        ("1", "2", "<script>", "must be a real date"),
        ("99999999999999999999", "2", "2026", "must be a real date"),
    ],
)
def test_bad_dates_get_the_error_summary(client, day, month, year, message):
    response = client.get(
        "/procedures/twsp/dates/",
        {"raised_day": day, "raised_month": month, "raised_year": year},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert message in text_of(html)
    assert "<title>Error:" in html
    assert "<script>" not in html.split("<main")[1]
    assert "If raised at" not in text_of(html)
