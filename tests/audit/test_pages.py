"""The audit pages: for the partnership's administrators only, and themselves audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.audit.models import AuditEntry
from parley.audit.selectors import PAGE_SIZE, case_viewers
from parley.audit.services import audit_record
from parley.cases.demo import person
from parley.cases.models import Partnership, Person, RoleAssignment
from tests.audit.helpers import web_request
from tests.office import BOM, csv_in_libreoffice

pytestmark = pytest.mark.django_db


def viewers_url(case) -> str:
    return f"/audit/cases/{case.reference}/viewers/"


def look(username: str, case, *, times: int = 1, action: str = "case.view") -> None:
    for _ in range(times):
        audit_record(action=action, request=web_request(username), disagreement=case)


def queries_for(client, url: str) -> int:
    # Once first: a session is written at most once a minute, so the first request may
    # write it and the next not; count a request that does not.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def other_partnership_administrator() -> Person:
    elsewhere = Partnership.objects.create(name="Elsewhere", slug="elsewhere")
    user = get_user_model().objects.create_user("eve.admin", password="x")
    someone = Person.objects.create(
        user=user, partnership=elsewhere, name="Eve Admin", email="eve@example.org"
    )
    RoleAssignment.objects.create(person=someone, agency=None, role="administrator")
    return someone


# --- who has looked at this case ------------------------------------------------------


def test_an_administrator_sees_who_has_looked_and_their_look_is_recorded(signed_in, case):
    look("nia.nurse", case, times=2)
    look("sam.social", case)
    look("sam.social", case, action="case.download")
    client = signed_in("ari.admin")

    response = client.get(viewers_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Who has looked at this disagreement" in html
    assert case.reference in html
    assert "Nia Evans" in html
    assert "Practitioner, Demoshire NHS Foundation Trust" in html
    assert case.summary not in html  # the audit facts, not the case
    last = AuditEntry.objects.order_by("sequence").last()
    assert (last.action, last.person, last.disagreement) == (
        "audit.view",
        person("ari.admin"),
        case,
    )


def test_the_summary_counts_looks_and_downloads_per_person(case):
    look("nia.nurse", case, times=3)
    look("sam.social", case, action="case.download", times=2)
    look("sam.social", case)
    audit_record(action="case.change", person=person("nia.nurse"), disagreement=case)
    viewers = {v.name: v for v in case_viewers(disagreement=case)}
    assert (viewers["Nia Evans"].looks, viewers["Nia Evans"].downloads) == (3, 0)
    assert (viewers["Sam Okafor"].looks, viewers["Sam Okafor"].downloads) == (1, 2)
    assert viewers["Nia Evans"].first_look <= viewers["Nia Evans"].last_look
    assert list(viewers) == ["Sam Okafor", "Nia Evans"]  # the latest look first


@pytest.mark.parametrize("username", ["nia.nurse", "sam.social", "lee.lm", "cora.channel"])
def test_anyone_but_an_administrator_is_told_the_page_is_not_found(signed_in, case, username):
    client = signed_in(username)
    response = client.get(viewers_url(case))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    refused = AuditEntry.objects.order_by("sequence").last()
    assert (refused.action, refused.person.user.username) == ("case.refused", username)


def test_a_case_that_does_not_exist_looks_the_same_as_one_you_may_not_see(signed_in, case):
    client = signed_in("ari.admin")
    response = client.get("/audit/cases/TWSP-999999/viewers/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_administrator_of_another_partnership_is_told_the_page_is_not_found(signed_in, case):
    client = signed_in(other_partnership_administrator().user.username)
    assert client.get(viewers_url(case)).status_code == 404
    assert client.get("/audit/").status_code == 200


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv", "/audit/cases/X/viewers/"])
def test_someone_not_signed_in_is_sent_to_sign_in(client, case, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
    assert not AuditEntry.objects.filter(action__startswith="audit.").exists()


def test_the_viewers_page_costs_the_same_queries_however_many_looked(signed_in, case):
    client = signed_in("ari.admin")
    look("nia.nurse", case)
    few = queries_for(client, viewers_url(case))
    for username in ("sam.social", "lee.lm", "dana.dsl", "priya.lead"):
        look(username, case, times=3)
        look(username, case, action="case.download")
    assert queries_for(client, viewers_url(case)) == few


# --- the trail, filtered ----------------------------------------------------------------


def test_an_administrator_lists_the_trail_newest_first_and_that_is_recorded(signed_in, trail):
    client = signed_in("ari.admin")
    response = client.get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Audit trail" in html
    assert "Looked at a disagreement" in html
    assert f'href="{viewers_url(trail)}"' in html
    assert html.index("Changed a disagreement") < html.index("Signed in")
    # A failed sign-in with a username nobody has belongs to no partnership.
    assert "no.such.person" not in html
    assert AuditEntry.objects.order_by("sequence").last().action == "audit.list"


@pytest.mark.parametrize("username", ["nia.nurse", "cora.channel"])
def test_the_trail_is_not_found_for_anyone_but_an_administrator(signed_in, trail, username):
    client = signed_in(username)
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.csv").status_code == 404


def test_filters_narrow_the_list(signed_in, trail):
    client = signed_in("ari.admin")
    html = client.get("/audit/", {"action": "case.download"}).content.decode()
    assert "Downloaded a document of a disagreement" in html
    assert "Changed a disagreement</td>" not in html

    html = client.get("/audit/", {"person": "Sam"}).content.decode()
    assert "Sam Okafor" in html and "Nia Evans" not in html

    html = client.get("/audit/", {"reference": trail.reference.lower()}).content.decode()
    assert "Signed in</td>" not in html and "Looked at a disagreement" in html

    tomorrow = timezone.localdate() + timedelta(days=1)
    dated = {"from_day": tomorrow.day, "from_month": tomorrow.month, "from_year": tomorrow.year}
    assert "No entries match these filters" in client.get("/audit/", dated).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"from_day": "31", "from_month": "2", "from_year": "2026"},
            "Date from must be a real date",
        ),
        ({"from_day": "1", "from_year": "2026"}, "Date from must include a month"),
        ({"to_day": "1", "to_month": "2", "to_year": "26"}, "Year must include 4 numbers"),
        (
            {"from_day": "2", "from_month": "2", "from_year": "2026"}
            | {"to_day": "1", "to_month": "2", "to_year": "2026"},
            "Date to must be the same as or after date from",
        ),
        ({"action": "delete.everything"}, "Select an action from the list"),
    ],
)
def test_a_bad_filter_is_explained_in_an_error_summary(signed_in, trail, query, message):
    client = signed_in("ari.admin")
    response = client.get("/audit/", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: Audit trail" in html


ENTRY_ROW = re.compile(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(\d+)</td>')
OLDER_LINK = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]*)" rel="next">')


def entry_numbers(html: str) -> list[int]:
    """The entry numbers in the first column of the trail's table, top to bottom."""
    return [int(n) for n in ENTRY_ROW.findall(html)]


def older_entries_link(html: str) -> str | None:
    found = OLDER_LINK.search(html)
    return unescape(found.group(1)) if found else None


def test_the_trail_is_shown_a_page_at_a_time(signed_in, partnership):
    for n in range(PAGE_SIZE + 5):
        audit_record(action="signin", person=person("nia.nurse"), detail={"n": n})
    client = signed_in("ari.admin")
    first = client.get("/audit/").content.decode()
    older_link = older_entries_link(first)
    assert older_link is not None and "before=" in older_link
    older = client.get(older_link).content.decode()
    seen = entry_numbers(first) + entry_numbers(older)
    # Every entry once, newest first, with the first look at the list among them.
    assert seen == list(range(PAGE_SIZE + 6, 0, -1))
    assert older_entries_link(older) is None
    assert "Newest entries" in older


def test_the_list_costs_the_same_queries_however_long_the_trail(signed_in, partnership):
    client = signed_in("ari.admin")
    audit_record(action="case.view", person=person("nia.nurse"))
    few = queries_for(client, "/audit/")
    for username in ("nia.nurse", "sam.social", "lee.lm", "dana.dsl"):
        for _ in range(10):
            audit_record(action="case.view", person=person(username))
    assert queries_for(client, "/audit/") == few


def test_the_filtered_trail_downloads_as_csv_and_the_export_is_recorded(signed_in, trail):
    audit_record(
        action="case.view",
        request=web_request("nia.nurse", agent="=HYPERLINK(1)"),
        disagreement=trail,
    )
    client = signed_in("ari.admin")
    response = client.get("/audit/export.csv", {"reference": trail.reference})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Entry", "When (UTC)", "Action", "What"]
    assert {row[2] for row in rows[1:]} == {"case.raise", "case.view", "case.download"}
    assert "'=HYPERLINK(1)" in [row[10] for row in rows[1:]]  # not run as a formula
    export = AuditEntry.objects.order_by("sequence").last()
    assert export.action == "audit.export"
    assert export.detail == {"filters": {"reference": trail.reference}}


def test_the_trail_opens_in_libreoffice_with_names_as_they_were_written(signed_in, trail, tmp_path):
    Person.objects.filter(pk=person("nia.nurse").pk).update(name="Siân Ó Briain-Çelik")
    audit_record(action="case.view", request=web_request("nia.nurse"), disagreement=trail)
    response = signed_in("ari.admin").get("/audit/export.csv", {"action": "case.view"})
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM)  # what tells Excel and LibreOffice it is UTF-8
    rows = csv_in_libreoffice(data, tmp_path)
    assert rows[0][:4] == ["Entry", "When (UTC)", "Action", "What"]
    assert "Siân Ó Briain-Çelik" in [row[4] for row in rows[1:]]
