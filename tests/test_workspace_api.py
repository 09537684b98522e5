"""The workspace API: log activities, change status and reassign with a personal token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leads.models import ApiKey, ApiToken, Lead, Notification
from tests.factories import LeadFactory, SourceFactory, TeamFactory, make_rep

pytestmark = pytest.mark.django_db


def api(user_or_raw) -> Client:
    raw = user_or_raw if isinstance(user_or_raw, str) else ApiToken.issue(user=user_or_raw)[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def lead(team, rep) -> Lead:
    return LeadFactory(
        team=team,
        owner=rep,
        received_at=timezone.now() - timedelta(minutes=20),
        next_escalation_at=timezone.now() + timedelta(minutes=40),
    )


def test_logging_first_contact_returns_201_with_the_lead(rep, lead) -> None:
    response = post(
        api(rep),
        f"/api/v1/leads/{lead.pk}/activities",
        {"kind": "call", "outcome": "reached", "notes": "Wants a quote"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "call" and body["outcome"] == "reached"
    assert body["lead"]["status"] == "contacted"
    assert body["lead"]["first_contact_at"] == body["lead"]["first_touch_at"] is not None
    lead.refresh_from_db()
    assert lead.next_escalation_at is None


def test_an_activity_in_the_future_is_a_400_in_the_shared_shape(rep, lead) -> None:
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = post(
        api(rep),
        f"/api/v1/leads/{lead.pk}/activities",
        {"kind": "call", "outcome": "reached", "occurred_at": future},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"occurred_at": ["An activity cannot be logged in the future."]}
    }


def test_bad_input_lists_each_field(rep, lead) -> None:
    response = post(api(rep), f"/api/v1/leads/{lead.pk}/activities", {"kind": "fax"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind"}


def test_status_changes_and_refused_transitions(rep, lead) -> None:
    client = api(rep)
    url = f"/api/v1/leads/{lead.pk}/status"
    refused = post(client, url, {"status": "qualified"})
    assert refused.status_code == 409
    assert "first contact" in refused.json()["errors"]["status"][0]
    missing_reason = post(client, url, {"status": "lost"})
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()["errors"]
    closed = post(client, url, {"status": "lost", "reason": "no_budget", "note": "next year"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "lost" and closed.json()["close_reason"] == "no_budget"


def test_manager_assigns_a_lead_and_both_reps_are_notified(team, manager, rep, lead) -> None:
    new = make_rep(team=team, username="newrep")
    response = post(api(manager), f"/api/v1/leads/{lead.pk}/assign", {"owner": "newrep"})
    assert response.status_code == 200 and response.json()["owner"]["username"] == "newrep"
    for user in (rep, new):
        assert Notification.objects.filter(
            recipient=user, lead=lead, event_type="lead.reassigned", channel="in_app"
        ).exists()


def test_assigning_to_another_teams_rep_is_a_400(team, manager, lead) -> None:
    stranger = make_rep(team=TeamFactory(), username="stranger")
    response = post(api(manager), f"/api/v1/leads/{lead.pk}/assign", {"owner": stranger.pk})
    assert response.status_code == 400 and "owner" in response.json()["errors"]


def test_reps_cannot_assign_and_other_reps_leads_are_404(team, rep, lead) -> None:
    assert post(api(rep), f"/api/v1/leads/{lead.pk}/assign", {"owner": "x"}).status_code == 403
    other = make_rep(team=team)
    response = post(api(other), f"/api/v1/leads/{lead.pk}/activities", {"kind": "note"})
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No Lead matches the given query."]}}


def test_a_source_key_cannot_act_on_leads(lead) -> None:
    _, raw = ApiKey.issue(source=SourceFactory())
    response = post(api(raw), f"/api/v1/leads/{lead.pk}/activities", {"kind": "note"})
    assert response.status_code == 403


def test_schema_documents_the_endpoints_with_the_shared_error_shape(db) -> None:
    schema = Client().get("/api/v1/schema", HTTP_ACCEPT="application/json").json()
    path = schema["paths"]["/api/v1/leads/{id}/status"]["post"]
    assert set(path["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    ref = path["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Errors")
    assert "/api/v1/leads/{id}/activities" in schema["paths"]
    assert "/api/v1/leads/{id}/assign" in schema["paths"]
