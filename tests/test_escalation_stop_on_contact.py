"""Logging first contact or closing a lead stops the ladder, even for a step already due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from leads.escalation import escalate_due_leads, stop_escalation
from leads.models import EscalationStep, Lead, LeadEvent
from tests.escalation_helpers import event_types, make_lead

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def contact(lead: Lead, at: datetime) -> None:
    lead.first_touch_at = lead.first_contact_at = at
    lead.status = Lead.Status.CONTACTED
    lead.save()


def test_a_step_due_but_not_run_does_not_fire_after_contact(team, rep, manager) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=rep, received_at=timezone.now())
        traveller.move_to(T0 + timedelta(minutes=45))
        escalate_due_leads(now=timezone.now())
        traveller.move_to(T0 + timedelta(minutes=59))
        # Contact logged but the timer column left as it was (a workflow that forgot, or
        # the sweep claimed the row just before): the lock-and-re-check must still hold.
        contact(lead, timezone.now())
        traveller.move_to(T0 + timedelta(minutes=200))
        escalate_due_leads(now=timezone.now())
    lead.refresh_from_db()
    assert event_types(lead) == [LeadEvent.Type.CREATED, LeadEvent.Type.REMINDED]
    assert lead.next_escalation_at is None
    assert EscalationStep.objects.filter(lead=lead).count() == 1


def test_a_closed_lead_is_never_escalated(team, rep) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=rep, received_at=timezone.now())
        lead.status, lead.close_reason = Lead.Status.DISQUALIFIED, Lead.CloseReason.SPAM
        lead.closed_at = timezone.now()
        lead.save()
        traveller.move_to(T0 + timedelta(hours=5))
        escalate_due_leads(now=timezone.now())
    assert event_types(lead) == [LeadEvent.Type.CREATED]


def test_stopping_the_clock_clears_the_timer(team, rep) -> None:
    with time_machine.travel(T0, tick=False):
        lead = make_lead(team=team, owner=rep, received_at=timezone.now())
        contact(lead, timezone.now())
        stop_escalation(lead)
        lead.save()
    lead.refresh_from_db()
    assert lead.next_escalation_at is None
