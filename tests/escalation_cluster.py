"""Shared set-up of the escalation integration tests: a second-scale ladder and a team."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q

from leads.models import EscalationStep, Lead, LeadEvent, Notification, RepProfile
from tests.escalation_helpers import make_lead
from tests.factories import TeamFactory, make_manager, make_rep

# The same ladder for the test process (which creates leads) and the cluster (which runs
# it): reminder at 1 s, overdue at 2 s, reassignment at 3 s, fresh clocks of 2 s.
FAST_LADDER = {
    "LEADS_RESPONSE_TARGET": "2s",
    "LEADS_REMINDER_BEFORE": "1s",
    "LEADS_REASSIGN_AFTER": "1s",
    "LEADS_REASSIGN_TARGET": "2s",
    "LEADS_MAX_REASSIGNMENTS": "2",
}
STEPS_PER_LEAD = 9  # three periods of reminder, overdue, reassignment
# In-app and e-mail rows per ignored lead with a manager and enough reps: per period the
# reminder (owner), overdue (manager, owner), reassignment (old and new owner, manager),
# except the last, which goes to the manager: 12 + 12 + 10.
NOTIFICATIONS_PER_LEAD = 34


def apply_fast_ladder(settings) -> None:
    for name, value in FAST_LADDER.items():
        setattr(settings, name, int(value) if name == "LEADS_MAX_REASSIGNMENTS" else value)


def make_team_with_leads(count: int, *, received_at: datetime) -> list[Lead]:
    team = TeamFactory(slug="cluster", name="Cluster")
    make_manager(team=team, username="boss")
    reps = [make_rep(team=team, username=f"rep{i}") for i in range(4)]
    RepProfile.objects.filter(team=team).update(max_open_leads=30000)
    return [
        make_lead(team=team, owner=reps[i % 4], received_at=received_at, email=f"p{i}@example.com")
        for i in range(count)
    ]


def ladder_finished() -> bool:
    return not Lead.objects.filter(next_escalation_at__isnull=False).exists()


def assert_each_lead_escalated_exactly_once(count: int) -> None:
    """Counted in the database: every step, event and outbox row once per lead."""
    assert EscalationStep.objects.count() == count * STEPS_PER_LEAD
    per_lead = Lead.objects.annotate(
        reminded=Count("events", filter=Q(events__type=LeadEvent.Type.REMINDED)),
        overdue=Count("events", filter=Q(events__type=LeadEvent.Type.OVERDUE)),
        reassigned=Count("events", filter=Q(events__type=LeadEvent.Type.REASSIGNED)),
    )
    shapes = {(lead.reminded, lead.overdue, lead.reassigned) for lead in per_lead}
    assert shapes == {(3, 3, 3)}
    assert set(Lead.objects.values_list("escalation_level", flat=True)) == {STEPS_PER_LEAD}
    assert set(Lead.objects.values_list("owner__username", flat=True)) == {"boss"}
    notifications = (
        Notification.objects.filter(channel__in=["in_app", "email"])
        .values("lead")
        .annotate(n=Count("pk"))
    )
    assert {row["n"] for row in notifications} == {NOTIFICATIONS_PER_LEAD}
    assert len(notifications) == count
