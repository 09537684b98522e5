"""The bell: unread count in the top bar, the list, and marking read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from leads.escalation import escalate_due_leads
from leads.models import Notification
from tests.conftest import client_for
from tests.escalation_helpers import make_lead

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def test_a_reminder_rings_the_bell_until_read(team, rep) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        make_lead(team=team, owner=rep, received_at=timezone.now(), name="Bell Lead")
        traveller.move_to(T0 + timedelta(minutes=45))
        escalate_due_leads(now=timezone.now())
    client = client_for(rep)
    page = client.get("/notifications/").content.decode()
    assert '<span class="bell-count">1</span>' in page
    assert "Respond within 15 min: Bell Lead" in page
    assert "<svg" in page
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    page = client.get("/notifications/").content.decode()
    assert "bell-count" not in page
    assert not Notification.objects.filter(recipient=rep, read_at=None, channel="in_app").exists()


def test_marking_read_touches_only_ones_own_notifications(team, rep, manager) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        make_lead(team=team, owner=rep, received_at=timezone.now())
        traveller.move_to(T0 + timedelta(minutes=60))
        escalate_due_leads(now=timezone.now())
    theirs = Notification.objects.filter(recipient=manager, channel="in_app").get()
    client_for(rep).post("/notifications/read/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
