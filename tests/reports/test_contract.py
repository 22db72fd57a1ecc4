"""Contract tests: the live OpenAPI schema against the running reports API, as a REST client calls it.

schemathesis generates requests from the schema the portal serves (/api/schema/), valid and
invalid alike, and checks every answer: no 5xx, a documented status, and a body and content type
that match the schema. `manage.py spectacular --fail-on-warn` keeps the schema itself clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.reports.callers import REST_CLIENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def rest_headers(callers, played, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    # Some data, so that generated requests also reach real rows, not only 404s.
    played.session("X261127T090000", closed=False)
    played.scores("X261127T090000", {"ann": 10, "=bob": 20, "cy": 20})
    played.raw(b"{not json")
    settings.ALLOWED_HOSTS = ["*"]  # the WSGI client's own host name
    return {"Authorization": callers(REST_CLIENT).defaults["HTTP_AUTHORIZATION"]}


@pytest.fixture
def reports_schema(rest_headers) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    # As Django's test client does: the WSGI handler must not close the test's connection (it is
    # inside the test's transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), headers=rest_headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("reports_schema").include(path_regex=r"^/api/v1/")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_reports_api_answers_as_its_schema_says(case, rest_headers) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=rest_headers)


def test_the_schema_generates_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out)
    assert "/api/v1/sessions/{session_id}/ranking/" in out.getvalue()
