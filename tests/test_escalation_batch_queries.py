"""A batch of due reminders and overdue steps costs a fixed number of statements.

The sweep claims up to CLAIM_BATCH leads per transaction and writes their steps, events and
outbox rows with one INSERT each, so its statement count does not grow with the batch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.escalation import escalate_due_leads
from leads.models import EscalationStep, LeadEvent, Notification, Webhook
from tests.escalation_helpers import make_lead

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def sweep_counting_statements(minutes: float) -> tuple[int, int]:
    at = T0 + timedelta(minutes=minutes)
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as queries:
        ran = escalate_due_leads(now=timezone.now())
    return ran, len(queries)


def make_leads(count: int, *, team, owner) -> list:
    with time_machine.travel(T0, tick=False):
        return [make_lead(team=team, owner=owner, received_at=T0) for _ in range(count)]


@pytest.mark.parametrize("count", [5, 40])
def test_a_batch_of_reminders_takes_the_same_statements_whatever_its_size(
    team, rep, manager, count
) -> None:
    Webhook.objects.create(team=team, url="http://127.0.0.1:9/hook")
    leads = make_leads(count, team=team, owner=rep)

    ran, statements = sweep_counting_statements(45)

    assert ran == count
    # BEGIN/claim/owners/teams/webhooks/handovers/steps/events/outbox/leads/COMMIT and the
    # savepoint, plus the final empty claim: fixed, not per lead.
    assert statements <= 16, statements
    assert EscalationStep.objects.filter(kind=EscalationStep.Kind.REMINDER).count() == count
    assert LeadEvent.objects.filter(type=LeadEvent.Type.REMINDED).count() == count
    # In-app and e-mail to the owner for each lead; reminders are not a webhook event.
    assert Notification.objects.filter(event_type=LeadEvent.Type.REMINDED).count() == 2 * count
    for lead in leads:
        lead.refresh_from_db()
        assert lead.escalation_level == 1
        assert lead.next_escalation_at == lead.respond_by


def test_batched_overdue_steps_tell_the_manager_and_queue_the_webhook_once(
    team, rep, manager
) -> None:
    Webhook.objects.create(team=team, url="http://127.0.0.1:9/hook")
    leads = make_leads(12, team=team, owner=rep)
    sweep_counting_statements(45)

    ran, statements = sweep_counting_statements(60)
    again, _ = sweep_counting_statements(60)  # a second sweep (redelivery) finds nothing

    assert (ran, again) == (12, 0)
    assert statements <= 16, statements
    overdue = Notification.objects.filter(event_type=LeadEvent.Type.OVERDUE)
    assert overdue.filter(channel=Notification.Channel.WEBHOOK).count() == 12
    assert overdue.filter(recipient=manager, channel=Notification.Channel.IN_APP).count() == 12
    assert overdue.filter(recipient=rep, channel=Notification.Channel.IN_APP).count() == 12
    hooked = {n.payload["body"]["lead"]["id"] for n in overdue.filter(channel="webhook")}
    assert hooked == {lead.pk for lead in leads}
    assert LeadEvent.objects.filter(type=LeadEvent.Type.OVERDUE).count() == 12
