"""The lead page: contact links, question, timeline, and its forms through the browser's POSTs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from leads.models import Answer, Lead, LeadEvent
from tests.conftest import client_for
from tests.factories import LeadFactory, ProductFactory, make_rep

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(rep, team) -> Lead:
    return LeadFactory(
        team=team,
        owner=rep,
        phone="+49 30 1234567",
        email="ada@example.com",
        message="Hello.\nWhat does the XL model cost?",
        received_at=timezone.now() - timedelta(minutes=10),
        next_escalation_at=timezone.now() + timedelta(minutes=50),
    )


def test_lead_page_has_click_to_call_mail_and_the_full_question(rep, lead) -> None:
    body = client_for(rep).get(f"/leads/{lead.pk}/").content.decode()
    assert 'href="tel:+49 30 1234567"' in body
    assert 'href="mailto:ada@example.com"' in body
    assert "What does the XL model cost?" in body


def test_reached_from_the_queue_is_one_post_and_returns_to_the_queue(rep, lead) -> None:
    response = client_for(rep).post(
        f"/leads/{lead.pk}/activities/",
        {"kind": "call", "outcome": "reached", "next": "/leads/?tab=waiting"},
    )
    assert response.status_code == 302 and response.url == "/leads/?tab=waiting"
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.first_contact_at is not None
    assert lead.next_escalation_at is None


def test_back_dated_activity_typed_in_the_teams_time_zone(rep, team, lead) -> None:
    team.time_zone = "Europe/Berlin"
    team.save()
    with time_machine.travel("2026-03-10 13:00:00+00:00", tick=False):  # 14:00 in Berlin
        Lead.objects.filter(pk=lead.pk).update(received_at=timezone.now() - timedelta(hours=1))
        client_for(rep).post(
            f"/leads/{lead.pk}/activities/",
            {"kind": "call", "outcome": "no_answer", "occurred_at": "2026-03-10T13:40"},
        )
    lead.refresh_from_db()
    assert lead.first_touch_at.isoformat() == "2026-03-10T12:40:00+00:00"


def test_future_activity_is_refused_with_a_message(rep, lead) -> None:
    future = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(rep).post(
        f"/leads/{lead.pk}/activities/",
        {"kind": "call", "outcome": "reached", "occurred_at": future},
        follow=True,
    )
    assert "cannot be logged in the future" in response.content.decode()
    assert not lead.activities.exists()


def test_invalid_transition_is_refused_with_a_message(rep, lead) -> None:
    response = client_for(rep).post(f"/leads/{lead.pk}/status/", {"status": "ordered"}, follow=True)
    assert "Log the first contact before qualifying" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_disqualifying_with_a_reason_closes_the_lead(rep, lead) -> None:
    client_for(rep).post(
        f"/leads/{lead.pk}/status/",
        {"status": "disqualified", "reason": "spam", "note": "test entry"},
    )
    lead.refresh_from_db()
    assert lead.status == "disqualified" and lead.close_reason == "spam"
    assert lead.next_escalation_at is None


def test_timeline_and_cadence_suggestions_after_first_contact(rep, lead) -> None:
    client = client_for(rep)
    client.post(
        f"/leads/{lead.pk}/activities/",
        {"kind": "call", "outcome": "reached", "notes": "Wants a quote"},
    )
    body = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Call – Reached" in body and "Wants a quote" in body and "First contact" in body
    for day in (2, 5, 10, 20, 40):
        assert f"Day {day} ·" in body


def test_planning_a_suggested_follow_up(rep, lead) -> None:
    at = timezone.now() + timedelta(days=2)
    client_for(rep).post(
        f"/leads/{lead.pk}/follow-up/", {"at": at.isoformat(), "note": "Day 2 follow-up"}
    )
    lead.refresh_from_db()
    assert abs(lead.next_follow_up_at - at) < timedelta(seconds=1)
    assert LeadEvent.objects.filter(lead=lead, type="lead.follow_up_planned").exists()


def test_answers_for_the_leads_product_are_shown_with_a_copy_button(rep, team) -> None:
    xl, other = ProductFactory(name="XL"), ProductFactory(name="Mini")
    Answer.objects.create(product=xl, question="Price", body="XL: 1,200-1,500 EUR")
    Answer.objects.create(product=other, question="Price", body="Mini: 300 EUR")
    Answer.objects.create(product=None, question="Delivery", body="Two weeks in the EU")
    lead = LeadFactory(team=team, owner=rep, product=xl)
    body = client_for(rep).get(f"/leads/{lead.pk}/").content.decode()
    assert "XL: 1,200-1,500 EUR" in body and "Two weeks in the EU" in body
    assert "Mini: 300 EUR" not in body
    assert 'class="copy"' in body


def test_another_reps_lead_is_404_for_page_and_forms(team, lead) -> None:
    other = client_for(make_rep(team=team))
    assert other.get(f"/leads/{lead.pk}/").status_code == 404
    response = other.post(f"/leads/{lead.pk}/activities/", {"kind": "call", "outcome": "reached"})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.first_touch_at is None


def test_forms_need_the_csrf_token(rep, lead) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/activities/", {"kind": "call", "outcome": "reached"})
    assert response.status_code == 403


def test_a_waiting_lead_page_offers_one_click_first_contact(rep, lead) -> None:
    client = client_for(rep)
    assert "Reached — log call" in client.get(f"/leads/{lead.pk}/").content.decode()
    client.post(f"/leads/{lead.pk}/activities/", {"kind": "call", "outcome": "reached"})
    assert "Reached — log call" not in client.get(f"/leads/{lead.pk}/").content.decode()
