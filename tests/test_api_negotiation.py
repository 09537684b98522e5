"""The API's content negotiation decides as DRF's does; it only skips the parsing."""

from __future__ import annotations

import pytest
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from leads.api.negotiation import AnyAcceptedFirst

RENDERER_SETS = [[JSONRenderer()], [OpenApiYamlRenderer(), OpenApiJsonRenderer()]]


@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=["api", "schema"])
@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        ("application/json; indent=2", ""),
        ("text/html, */*;q=0.8", ""),
        ("*/*", "format=json"),
        (None, "page=2"),
    ],
)
def test_the_renderer_chosen_is_the_one_drf_chooses(renderers, accept, query) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    request = Request(APIRequestFactory().get(f"/api/v1/leads?{query}", **headers))
    try:
        expected = DefaultContentNegotiation().select_renderer(request, renderers)
    except Exception as exc:  # noqa: BLE001 - the same refusal is expected of ours
        with pytest.raises(type(exc)):
            AnyAcceptedFirst().select_renderer(request, renderers)
        return
    assert AnyAcceptedFirst().select_renderer(request, renderers) == expected


def test_an_unacceptable_media_type_is_still_refused(client) -> None:
    response = client.get("/api/v1/leads", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
