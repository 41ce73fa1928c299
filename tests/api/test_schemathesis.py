"""Schemathesis against the served schema: no 5xx, and every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parley.cases import demo
from parley.cases.models import Disagreement

from .conftest import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app(db: None) -> Iterator[Any]:
    # As Django's test client does: keep the test's transaction open across requests.
    # At a request's start and end Django closes a connection whose autocommit is off,
    # which is exactly the test's open transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def with_real_agencies(case: Disagreement) -> Any:
    def patch(generated: schemathesis.Case) -> schemathesis.Case:
        if isinstance(generated.body, dict):
            generated.body |= {
                "procedure": case.procedure.procedure_id,
                "raising_agency": case.raising_agency_id,
                "other_agency": case.other_agency_id,
            }
        return generated

    return patch


def test_the_api_keeps_to_its_schema(wsgi_app: Any, nia_case: Disagreement) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    headers = {"Authorization": f"Bearer {bearer(demo.person('ben.business'))}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy()]
        if "{reference}" in operation.path:
            # Random references find nothing; a real one reaches the case's own code.
            strategies.append(
                operation.as_strategy(path_parameters={"reference": nia_case.reference})
            )
        if "{id}" in operation.path:
            strategies.append(operation.as_strategy(path_parameters={"id": "twsp"}))
        if operation.method == "post" and operation.path == "/api/v1/disagreements":
            # Random agency ids are simply refused; real ones reach the raising rules.
            strategies.append(operation.as_strategy().map(with_real_agencies(nia_case)))
        for strategy in strategies:

            @BOUNDED
            @given(case=strategy)
            def exercise(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            exercise()
