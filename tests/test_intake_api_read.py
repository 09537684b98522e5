"""GET /api/v1/leads and /api/v1/leads/<id>: each token or key sees exactly its leads."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from leads.models import Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory, make_manager, make_rep
from tests.intake_helpers import get_api, post_lead, source_with_key, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(team):
    other_team = TeamFactory(name="B", slug="b")
    rep_a, rep_a2 = make_rep(team=team, username="ana"), make_rep(team=team, username="al")
    rep_b = make_rep(team=other_team, username="ben")
    manager = make_manager(team=team, username="boss")
    leads = {
        "ana": LeadFactory(team=team, owner=rep_a),
        "al": LeadFactory(
            team=team, owner=rep_a2, status="lost", close_reason="spam", closed_at=timezone.now()
        ),
        "ben": LeadFactory(team=other_team, owner=rep_b),
    }
    return {"ana": rep_a, "al": rep_a2, "ben": rep_b, "boss": manager, "leads": leads}


def ids(response) -> set[int]:
    return {lead["id"] for lead in response.json()["results"]}


def test_a_rep_sees_only_their_own_leads(world) -> None:
    response = get_api(token_for(world["ana"]), "/api/v1/leads")
    assert response.status_code == 200
    assert ids(response) == {world["leads"]["ana"].pk}


def test_a_manager_sees_their_teams_leads(world) -> None:
    response = get_api(token_for(world["boss"]), "/api/v1/leads")
    assert ids(response) == {world["leads"]["ana"].pk, world["leads"]["al"].pk}


def test_a_source_key_sees_only_what_its_source_created(world, rep) -> None:
    _, key = source_with_key()
    created = post_lead(key, {"name": "Kim", "email": "kim@example.com"}).json()["id"]
    response = get_api(key, "/api/v1/leads")
    assert ids(response) == {created}
    assert get_api(key, f"/api/v1/leads/{world['leads']['ana'].pk}").status_code == 404
    assert get_api(key, f"/api/v1/leads/{created}").status_code == 200


def test_marketing_may_not_read_leads(world) -> None:
    marketing = UserFactory(username="mkt", role="marketing")
    assert get_api(token_for(marketing), "/api/v1/leads").status_code == 403


def test_another_reps_lead_is_404(world) -> None:
    response = get_api(token_for(world["ben"]), f"/api/v1/leads/{world['leads']['ana'].pk}")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No Lead matches the given query."]}}


def test_filters_by_status_owner_and_received_window(world) -> None:
    token = token_for(world["boss"])
    assert ids(get_api(token, "/api/v1/leads", {"status": "lost"})) == {world["leads"]["al"].pk}
    assert ids(get_api(token, "/api/v1/leads", {"owner": "ana"})) == {world["leads"]["ana"].pk}
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert ids(get_api(token, "/api/v1/leads", {"received_after": later})) == set()
    assert len(ids(get_api(token, "/api/v1/leads", {"received_before": later}))) == 2


def test_bad_filter_values_are_400_field_errors(world) -> None:
    response = get_api(
        token_for(world["boss"]), "/api/v1/leads", {"status": "won", "received_after": "soon"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "received_after"}


def test_a_filter_sent_empty_is_a_400_not_ignored(world) -> None:
    response = get_api(token_for(world["boss"]), "/api/v1/leads", {"received_before": ""})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"received_before": ["Give a value or leave the parameter out."]}
    }


def test_a_page_size_that_is_not_a_whole_number_is_a_400(world) -> None:
    response = get_api(token_for(world["boss"]), "/api/v1/leads", {"page_size": "null"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


def test_a_misspelt_filter_is_a_400_not_ignored(world) -> None:
    response = get_api(token_for(world["boss"]), "/api/v1/leads", {"stauts": "new"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"stauts": ["Unknown parameter."]}}


def test_the_list_is_paginated(world) -> None:
    for _ in range(3):
        LeadFactory(team=world["ana"].rep_profile.team, owner=world["ana"])
    token = token_for(world["ana"])
    page = get_api(token, "/api/v1/leads", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert get_api(token, "/api/v1/leads", {"page": 99}).status_code == 404


def test_a_lead_reads_with_owner_deadline_overdue_and_every_milestone(world) -> None:
    lead = world["leads"]["ana"]
    with time_machine.travel(lead.respond_by + timedelta(minutes=1), tick=False):
        body = get_api(token_for(world["ana"]), f"/api/v1/leads/{lead.pk}").json()
    assert body["owner"] == {
        "id": world["ana"].pk,
        "username": "ana",
        "name": world["ana"].get_full_name(),
    }
    assert body["overdue"] is True and body["escalation_level"] == 0
    expected = {"name", "email", "phone", "company", "message", "product", "temperature"}
    expected |= {"source", "status", "respond_by", *Lead.MILESTONES}
    assert expected <= set(body)
    assert body["first_contact_at"] is None
