"""GET /api/v1/leads/<id>/events lists the ladder oldest first for whoever may see the lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from leads.escalation import escalate_due_leads
from leads.models import ApiToken
from tests.escalation_helpers import make_lead
from tests.factories import make_rep

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def get_events(user, lead):
    _, raw = ApiToken.issue(user=user)
    return Client().get(f"/api/v1/leads/{lead.pk}/events", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_events_follow_the_ladder_oldest_first(team, rep, manager) -> None:
    make_rep(team=team, username="heir")
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=rep, received_at=timezone.now())
        for minutes in (45, 60, 90):
            traveller.move_to(T0 + timedelta(minutes=minutes))
            escalate_due_leads(now=timezone.now())
    response = get_events(manager, lead)
    assert response.status_code == 200
    events = response.json()
    assert [e["type"] for e in events] == [
        "lead.created",
        "lead.reminded",
        "lead.overdue",
        "lead.reassigned",
        "lead.reminded",
    ]
    reassigned = events[3]
    assert reassigned["at"] == "2026-06-15T11:30:00Z"
    assert reassigned["actor"] is None
    assert reassigned["data"]["from_owner"] == "rep-a"
    assert reassigned["data"]["to_owner"] == "heir"


def test_other_reps_get_404(team, rep) -> None:
    lead = make_lead(team=team, owner=rep, received_at=timezone.now())
    other = make_rep(username="stranger")
    assert get_events(other, lead).status_code == 404
