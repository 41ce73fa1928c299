"""Fixtures for the audit tests: a partnership, a case, and a small trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from parley.audit.services import audit_record
from parley.cases import services
from parley.cases.demo import DEMO_SLUG, demo_load, person
from parley.cases.models import Disagreement, Partnership
from tests.audit.helpers import web_request


@pytest.fixture(scope="module")
def _demo_for_the_module(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """The demo partnership, loaded once per test module and rolled back after it.

    Loading it is most of a test's cost. Each test runs inside this transaction in a
    savepoint of its own (pytest-django's ``db``), as Django's ``setUpTestData`` does.
    """
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        atomic = transaction.atomic()
        atomic.__enter__()
        demo_load(with_cases=False)
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def partnership(_demo_for_the_module: None, db: None) -> Partnership:
    return Partnership.objects.get(slug=DEMO_SLUG)


@pytest.fixture
def case(partnership: Partnership) -> Disagreement:
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    return services.disagreement_raise(
        procedure=twsp,
        raised_by=person("nia.nurse"),
        raising_agency=partnership.agencies.get(name__startswith="Demoshire NHS"),
        other_agency=partnership.agencies.get(name__startswith="Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary="Case closed after one visit despite unexplained bruising.",
    )


@pytest.fixture
def trail(case: Disagreement) -> Disagreement:
    """Five entries, each differing from the one before in every column: raising the case
    wrote the first (from the service, with no request), then four more."""
    audit_record(
        action="signin",
        request=web_request("ari.admin", path="/sign-in/", method="post", ip="10.0.0.1"),
        detail={"how": "password"},
    )
    audit_record(
        action="case.view",
        request=web_request(
            "nia.nurse", path=f"/cases/{case.reference}/", ip="10.0.0.2", agent="Edge/120"
        ),
        disagreement=case,
    )
    audit_record(
        action="signin.failed",
        request=web_request(
            None, path="/sign-in/", method="post", ip="10.0.0.3", agent="Firefox/130"
        ),
        detail={"username": "no.such.person", "reason": "not known"},
    )
    audit_record(
        action="case.download",
        request=web_request("sam.social", path=f"/cases/{case.reference}/form/", ip="10.0.0.4"),
        disagreement=case,
        detail={"document": "stage-1-form.pdf"},
    )
    return case
