"""One broken lead in a claimed batch is put back for later; its neighbours still escalate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.escalation import FAILED_STEP_RETRY, escalate_due_leads
from leads.models import EscalationStep, Lead, LeadEvent
from tests.escalation_helpers import make_lead

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def test_a_broken_lead_is_retried_later_and_the_rest_of_its_batch_runs(team, rep, manager) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        leads = [make_lead(team=team, owner=rep, received_at=T0) for _ in range(6)]
        # A second-period reminder without the reassignment that started the period: its
        # deadline cannot be derived, so the step raises in the batch and on its own.
        Lead.objects.filter(pk=leads[2].pk).update(escalation_level=3)
        traveller.move_to(T0 + timedelta(minutes=45))
        now = timezone.now()

        assert escalate_due_leads(now=now) == 6

    reminded = set(
        LeadEvent.objects.filter(type=LeadEvent.Type.REMINDED).values_list("lead_id", flat=True)
    )
    assert reminded == {lead.pk for i, lead in enumerate(leads) if i != 2}
    assert EscalationStep.objects.filter(lead=leads[2]).count() == 0
    leads[2].refresh_from_db()
    assert leads[2].escalation_level == 3
    assert leads[2].next_escalation_at == now + FAILED_STEP_RETRY
