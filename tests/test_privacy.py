"""A manager exports and erases one prospect's personal data; the lead's metrics remain."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from leads.models import Lead, LeadEvent, Notification
from leads.notifications import Message, notify_user
from tests.conftest import client_for
from tests.factories import ActivityFactory, LeadFactory, TeamFactory, make_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospect_lead(team):
    lead = LeadFactory(team=team, name="Maria Rossi", email="maria@example.com", company="Rossi")
    ActivityFactory(lead=lead, notes="Maria wants 12 seats")
    lead.record_event(LeadEvent.Type.CREATED, at=lead.received_at, name="Maria Rossi", source="web")
    notify_user(
        Message(
            user=lead.owner,
            lead=lead,
            event_type="lead.assigned",
            subject="New lead: Maria Rossi",
            body="Maria asks about price",
            now=timezone.now(),
            dedupe_key=f"t:{lead.pk}",
        )
    )
    return lead


def test_export_contains_everything_held_and_is_logged(manager, prospect_lead) -> None:
    response = client_for(manager).post("/privacy/export/", {"email": "MARIA@example.com"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    (lead,) = data["leads"]
    assert lead["email"] == "maria@example.com" and lead["company"] == "Rossi"
    assert lead["activities"][0]["notes"] == "Maria wants 12 seats"
    assert {n["subject"] for n in lead["notifications"]} == {"New lead: Maria Rossi"}
    assert LeadEvent.objects.get(lead=prospect_lead, type="lead.exported").actor == manager


def test_erase_removes_personal_data_but_keeps_the_lead_for_metrics(manager, prospect_lead) -> None:
    received = prospect_lead.received_at
    response = client_for(manager).post(
        "/privacy/erase/", {"email": "maria@example.com", "confirm": "on"}, follow=True
    )
    assert b"Erased the personal data of 1 lead" in response.content
    lead = Lead.objects.get(pk=prospect_lead.pk)
    assert (lead.name, lead.email, lead.company, lead.message) == ("Erased prospect", "", "", "")
    assert lead.erased_at is not None and lead.received_at == received
    assert lead.activities.get().notes == ""
    assert not Notification.objects.filter(lead=lead, subject__contains="Maria").exists()
    created = LeadEvent.objects.get(lead=lead, type="lead.created")
    assert created.data == {"source": "web"}
    assert LeadEvent.objects.get(lead=lead, type="lead.erased").actor == manager


def test_erase_needs_the_confirmation(manager, prospect_lead) -> None:
    client_for(manager).post("/privacy/erase/", {"email": "maria@example.com"})
    assert Lead.objects.get(pk=prospect_lead.pk).email == "maria@example.com"


def test_another_teams_manager_can_neither_find_nor_erase(prospect_lead) -> None:
    stranger = make_manager(team=TeamFactory())
    client = client_for(stranger)
    assert b"Maria" not in client.get("/privacy/", {"email": "maria@example.com"}).content
    client.post("/privacy/erase/", {"email": "maria@example.com", "confirm": "on"})
    assert Lead.objects.get(pk=prospect_lead.pk).email == "maria@example.com"


def test_reps_and_marketing_may_not_use_the_page(rep, marketing) -> None:
    assert client_for(rep).get("/privacy/").status_code == 403
    assert client_for(marketing).get("/privacy/").status_code == 403


def test_looking_up_without_email_or_phone_explains_what_is_needed(manager) -> None:
    response = client_for(manager).get("/privacy/", {"email": "", "phone": " "})
    assert b"e-mail address or phone number" in response.content
