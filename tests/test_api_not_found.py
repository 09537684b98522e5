"""Under /api/, even a URL no view matches answers in the API's error shape."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_url_is_a_json_404(client) -> None:
    response = client.get("/api/v1/no-such-thing/null,null")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["Not found."]}}


def test_an_unknown_page_is_an_html_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
