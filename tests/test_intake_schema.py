"""The OpenAPI schema validates, and every documented request example is accepted."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from leads.models import Lead
from tests.intake_helpers import post_lead, source_with_key

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())


def test_the_leads_endpoints_document_their_errors() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/v1/leads"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "409", "413", "415", "429"} <= set(post)
    errors = post["400"]["content"]["application/json"]["schema"]["$ref"]
    assert errors == "#/components/schemas/Errors"
    listing = schema["paths"]["/api/v1/leads"]["get"]["responses"]["200"]
    assert "Paginated" in listing["content"]["application/json"]["schema"]["$ref"]


def test_every_documented_request_example_is_accepted(rep) -> None:
    cache.clear()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"]
    examples = body["application/json"]["examples"]
    assert len(examples) >= 2
    _, key = source_with_key()
    for name, example in examples.items():
        response = post_lead(key, example["value"])
        assert response.status_code == 201, (name, response.json())
    assert Lead.objects.count() == len(examples)
