"""Hostile input to the form and the API: never a 500, and stored text is shown escaped."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.forms_intake import sign_started
from leads.models import Lead
from tests.conftest import client_for
from tests.factories import SourceFactory
from tests.intake_helpers import post_lead, source_with_key

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ["name", "email", "phone", "company", "message", "product", "temperature", "external_id"]

nasty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\ud800",
            "<script>alert(1)</script>",
            "\u202eevil\u202c",
            "مرحبا بالعالم",
            "😀" * 50,
            "x" * 5000,
            "'; DROP TABLE leads_lead; --",
            "\r\n\t\x1b[31m",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture
def api(rep, settings):
    settings.LEADS_API_RATE_LIMIT = "100000/min"
    cache.clear()
    return source_with_key()[1]


@FUZZ
@given(body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
def test_the_api_never_fails_on_any_json_body(api, body) -> None:
    body.setdefault("email", "fuzz@example.com")
    response = post_lead(api, body)
    assert response.status_code in (200, 201, 400, 409), response.content
    assert response.json()  # always JSON: a lead or {"errors": ...}
    if response.status_code == 400:
        assert set(response.json()) == {"errors"}


@FUZZ
@given(body=json_values)
def test_the_api_never_fails_on_any_json_document(api, body) -> None:
    assert post_lead(api, json.dumps(body)).status_code in (201, 400)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_the_api_never_fails_on_arbitrary_bytes(api, raw) -> None:
    assert post_lead(api, raw).status_code in (201, 400)


def test_invalid_utf8_and_lone_surrogates_are_400_or_cleaned(api) -> None:
    assert post_lead(api, b'{"name": "\xff\xfe", "email": "a@example.com"}').status_code == 400
    response = post_lead(api, '{"name": "A\\ud800B\\u0000", "email": "a@example.com"}')
    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert Lead.objects.get().name == "AB"


@pytest.fixture
def form(rep):
    cache.clear()
    return SourceFactory(slug="fuzz", kind="form")


@FUZZ
@given(data=st.dictionaries(st.sampled_from([*FIELDS, "website"]), nasty_text, max_size=8))
def test_the_hosted_form_never_fails(form, settings, data) -> None:
    settings.LEADS_FORM_RATE_LIMIT = "100000/hour"
    settings.LEADS_FORM_MIN_FILL_SECONDS = 0
    data = {k: v.replace("\ud800", "") for k, v in data.items()}  # not encodable in a post
    response = Client().post("/f/fuzz/", data | {"started": sign_started(_now())})
    assert response.status_code in (302, 400)


def test_the_hosted_form_never_fails_on_invalid_utf8(form) -> None:
    response = Client().post(
        "/f/fuzz/", b"name=%FF%FE&email=\xff@x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (302, 400)


def test_stored_html_is_shown_escaped_to_the_rep(api, rep) -> None:
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post_lead(api, {"name": script, "email": "h@example.com", "message": script})
    lead = Lead.objects.get(pk=response.json()["id"])
    page = client_for(rep).get(f"/leads/{lead.pk}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def _now():
    from django.utils import timezone

    return timezone.now()
