"""The case page's actions for those beyond the two sides, through Django's test client:
recording the views of the person the disagreement is about, asking an adviser (who then
sees the case and records advice, and nothing else), and adding an agency involved. Each
form's refusals come in the GOV.UK error summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parley.cases import services
from parley.cases.models import Partnership, Person, RoleAssignment
from parley.cases.selectors import disagreement_state
from tests.web.conftest import SCHOOL, agency, main_html, raise_case, submit

SUSSEX = Path(__file__).resolve().parents[1] / "procedures" / "pan-sussex-children.yaml"


@pytest.fixture
def sussex(partnership: Partnership) -> Partnership:
    services.procedure_load(
        partnership=partnership, text=SUSSEX.read_text(), source_name=SUSSEX.name
    )
    user = get_user_model().objects.create(username="dee.doctor", email="dee@example.org")
    dee = Person.objects.create(
        user=user, partnership=partnership, name="Dee Doctor", email=user.email
    )
    RoleAssignment.objects.create(person=dee, agency=None, role="designated-doctor")
    return partnership


def test_the_holder_records_the_childs_views(
    sussex: Partnership, as_person: Callable[[str], Client]
) -> None:
    case = raise_case("pan-sussex-children")
    nia = as_person("nia.nurse")
    page = main_html(nia.get(f"/cases/{case.reference}/"))
    assert "Not recorded yet" in page
    assert "tell them of the disagreement and record their views" in page
    path = f"/cases/{case.reference}/record-views/"
    refused = submit(nia, path, {"text": ""})
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.content.decode()
    assert "Enter their views" in refused.content.decode()
    done = submit(nia, path, {"text": "Wants to stay at school", "by": "The child"})
    assert done.status_code == 302
    page = main_html(nia.get(f"/cases/{case.reference}/"))
    assert "Recorded" in page and "record their views" not in page


def test_an_adviser_asked_sees_the_case_and_advises_and_nothing_else(
    sussex: Partnership, as_person: Callable[[str], Client]
) -> None:
    case = raise_case("pan-sussex-children")
    nia, dee = as_person("nia.nurse"), as_person("dee.doctor")
    assert dee.get(f"/cases/{case.reference}/").status_code == 404
    path = f"/cases/{case.reference}/ask-adviser/"
    refused = submit(nia, path, {"text": "Is the bruising consistent?"})
    assert "Select the adviser" in refused.content.decode()
    assert "govuk-error-summary" in refused.content.decode()
    done = submit(nia, path, {"adviser": "designated-doctor", "text": "Is it consistent?"})
    assert done.status_code == 302
    page = main_html(dee.get(f"/cases/{case.reference}/"))
    assert "Designated doctor" in page and "No advice recorded yet" in page
    # Nothing but advice for the adviser.
    assert submit(dee, f"/cases/{case.reference}/note/", {"text": "x"}).status_code != 302
    advised = submit(dee, f"/cases/{case.reference}/record-advice/", {"text": "Refer"})
    assert advised.status_code == 302
    assert disagreement_state(case).advice_count == 1


def test_the_holder_adds_an_agency_involved(
    sussex: Partnership, as_person: Callable[[str], Client]
) -> None:
    case = raise_case("pan-sussex-children")
    nia = as_person("nia.nurse")
    path = f"/cases/{case.reference}/add-agency/"
    form = main_html(nia.get(path))
    assert SCHOOL in form and "Demoshire NHS" not in form  # not one of the two sides
    assert "Select the agency" in submit(nia, path, {}).content.decode()
    done = submit(nia, path, {"agency": str(agency(SCHOOL).pk)})
    assert done.status_code == 302
    assert SCHOOL in main_html(nia.get(f"/cases/{case.reference}/"))
