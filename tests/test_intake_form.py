"""The hosted form /f/<slug>/: a person's inquiry is stored and assigned; spam is counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from leads.forms_intake import sign_started
from leads.models import Lead, SpamCount
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

PERSON = {"name": "Dana Whitfield", "email": "dana@example.com", "message": "Price?"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def form_source(db):
    return SourceFactory(slug="website", name="Website", kind="form")


def started(seconds_ago: int = 30) -> str:
    return sign_started(timezone.now() - timedelta(seconds=seconds_ago))


def submit(source, data, **extra):
    return Client().post(f"/f/{source.slug}/", {"started": started()} | data, **extra)


def test_the_form_renders_with_a_signed_start_time(form_source) -> None:
    response = Client().get("/f/website/")
    assert response.status_code == 200
    assert b'name="started"' in response.content and b'name="website"' in response.content


def test_a_submitted_inquiry_is_stored_assigned_and_thanked(form_source, rep) -> None:
    response = submit(form_source, PERSON | {"phone": "+1 555 010 2030", "company": "Acme"})
    assert response.status_code == 302 and response["Location"] == "/f/website/thanks/"
    lead = Lead.objects.get()
    assert (lead.owner, lead.source, lead.phone) == (rep, form_source, "+15550102030")
    assert lead.events.get(type="lead.created").data["channel"] == "form"
    assert Client().get(response["Location"]).status_code == 200


def test_errors_are_shown_inline_and_keep_what_was_typed(form_source, rep) -> None:
    response = submit(
        form_source, {"name": "Dana", "email": "", "phone": "", "company": "Acme Ltd"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give an email or a phone number" in html
    assert 'value="Acme Ltd"' in html and 'value="Dana"' in html
    assert not Lead.objects.exists()


def test_a_filled_honeypot_is_dropped_silently_and_counted(form_source, rep) -> None:
    response = submit(form_source, PERSON | {"website": "http://spam.example"})
    assert response.status_code == 302
    assert not Lead.objects.exists()
    assert SpamCount.objects.get(source=form_source).dropped == 1


def test_a_post_faster_than_a_person_types_is_spam(form_source, rep) -> None:
    response = Client().post("/f/website/", PERSON | {"started": started(seconds_ago=0)})
    assert response.status_code == 302
    assert not Lead.objects.exists()


def test_a_missing_or_forged_start_time_is_spam(form_source, rep) -> None:
    Client().post("/f/website/", PERSON)
    Client().post("/f/website/", PERSON | {"started": "12345"})
    assert not Lead.objects.exists()
    assert SpamCount.objects.get(source=form_source).dropped == 2


@time_machine.travel("2026-11-23 10:20Z", tick=False)
def test_one_address_posting_too_often_is_limited_and_counted(form_source, rep, settings) -> None:
    settings.LEADS_FORM_RATE_LIMIT = "2/hour"
    for i in range(3):
        submit(form_source, PERSON | {"email": f"p{i}@example.com"}, REMOTE_ADDR="203.0.113.9")
    assert Lead.objects.count() == 2
    assert SpamCount.objects.get(source=form_source).dropped == 1
    submit(form_source, PERSON | {"email": "other@example.com"}, REMOTE_ADDR="203.0.113.10")
    assert Lead.objects.count() == 3


@time_machine.travel("2026-11-23 10:00Z", tick=False)
def test_spam_is_counted_per_day(form_source, rep) -> None:
    submit(form_source, PERSON | {"website": "x"})
    with time_machine.travel("2026-11-24 10:00Z", tick=False):
        submit(form_source, PERSON | {"website": "x"})
        submit(form_source, PERSON | {"website": "x"})
    assert dict(SpamCount.objects.values_list("day", "dropped")) == {
        timezone.datetime(2026, 11, 23).date(): 1,
        timezone.datetime(2026, 11, 24).date(): 2,
    }


def test_only_active_form_sources_have_a_form(form_source) -> None:
    SourceFactory(slug="api-only", kind="api")
    SourceFactory(slug="retired", kind="form", is_active=False)
    assert Client().get("/f/api-only/").status_code == 404
    assert Client().get("/f/retired/").status_code == 404
    assert Client().get("/f/retired/thanks/").status_code == 404


def test_the_form_may_be_framed_only_by_the_configured_origins(form_source, settings) -> None:
    settings.LEADS_FORM_FRAME_ANCESTORS = ["https://www.example.com"]
    for url in ("/f/website/", "/f/website/thanks/"):
        response = Client().get(url)
        assert "frame-ancestors https://www.example.com" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response


def test_stored_text_is_shown_escaped(form_source, rep) -> None:
    response = submit(form_source, {"name": "<script>alert(1)</script>", "email": "bad"})
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_the_source_admin_page_shows_an_embed_snippet(form_source, admin_user) -> None:
    from tests.conftest import client_for

    response = client_for(admin_user).get(f"/admin/leads/source/{form_source.pk}/change/")
    assert response.status_code == 200
    assert (
        "&lt;iframe src=&quot;http://127.0.0.1:8000/f/website/&quot;" in response.content.decode()
    )
