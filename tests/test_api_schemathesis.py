"""schemathesis against the live OpenAPI schema: every operation, valid and hostile input.

The schema is read from the running app (`/api/v1/schema`), so a new endpoint is fuzzed the
moment it is documented. Each case runs through the WSGI application inside the test's
transaction and must answer without a 5xx and with a response the schema describes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from leadresponse.wsgi import application
from tests.factories import LeadFactory, ProductFactory, make_manager, make_rep
from tests.intake_helpers import source_with_key, token_for

schema = schemathesis.openapi.from_wsgi("/api/v1/schema", application)

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(team) -> dict[str, str]:
    """A source key for posting and a manager's token for everything else."""
    manager = make_manager(team=team, username="fuzz-manager")
    rep = make_rep(team=team, username="fuzz-rep")
    ProductFactory(name="Widget", slug="widget")
    _, source_key = source_with_key(slug="fuzz", team=team)
    for _ in range(3):
        LeadFactory(team=team, owner=rep)
    return {"source": source_key, "manager": token_for(manager)}


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    # As Django's test client does: the app must not close the test's connection, which
    # holds the transaction every case runs in.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def healthy_sweep() -> None:
    """The health endpoint answers 503 while no sweep has run; fuzz it in its healthy state."""
    from leads import escalation

    escalation.record_sweep(now=timezone.now())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # The same examples on every run: CI must not pass or fail by the draw. Widen the search
    # locally with --hypothesis-seed and derandomize off.
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema_under_any_input(
    case, keys, wsgi_in_test_transaction, healthy_sweep
) -> None:
    posting = case.method.upper() == "POST" and case.path == "/api/v1/leads"
    key = keys["source"] if posting else keys["manager"]
    headers = {"Authorization": f"Bearer {key}"}
    response = case.call(headers=headers)
    # A schema-valid request may still be refused with a 400 on meaning (an unknown product,
    # neither email nor phone, a team that is not the caller's): correct here.
    excluded = [positive_data_acceptance]
    if response.status_code == 413:
        # A body over the 64 KiB limit is refused before it is read: a rejection too, one
        # schemathesis's negative check does not list.
        excluded.append(negative_data_rejection)
    case.validate_response(response, headers=headers, excluded_checks=excluded)
