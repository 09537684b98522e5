"""The escalation ladder, step by step with time-machine: reminder, overdue, reassignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.escalation import escalate_due_leads
from leads.models import EscalationStep, Lead, LeadEvent, Notification
from tests.escalation_helpers import event_types, make_lead
from tests.factories import make_rep

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def reps(team, manager):
    return [make_rep(team=team, username=name) for name in ("rep-1", "rep-2", "rep-3")]


def sweep_at(traveller, minutes: float) -> int:
    traveller.move_to(T0 + timedelta(minutes=minutes))
    return escalate_due_leads(now=timezone.now())


def count(lead: Lead, event_type: str) -> int:
    return lead.events.filter(type=event_type).count()


def test_an_ignored_lead_walks_the_whole_ladder_once(team, manager, reps) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=reps[0], received_at=timezone.now())
        assert lead.respond_by == T0 + timedelta(minutes=60)
        assert lead.next_escalation_at == T0 + timedelta(minutes=45)

        assert sweep_at(traveller, 44) == 0
        assert sweep_at(traveller, 45) == 1  # reminder to rep-1
        lead.refresh_from_db()
        assert event_types(lead)[-1] == LeadEvent.Type.REMINDED
        assert lead.next_escalation_at == T0 + timedelta(minutes=60)

        sweep_at(traveller, 60)  # overdue: manager told
        assert manager.notifications.filter(event_type=LeadEvent.Type.OVERDUE).count() == 2
        sweep_at(traveller, 89)
        lead.refresh_from_db()
        assert lead.owner == reps[0]

        sweep_at(traveller, 90)  # reassigned, fresh 15 min clock, reminded at once
        lead.refresh_from_db()
        first_heir = lead.owner
        assert first_heir in reps[1:]
        assert lead.next_escalation_at == T0 + timedelta(minutes=105)
        assert count(lead, LeadEvent.Type.REMINDED) == 2

        sweep_at(traveller, 105)  # second owner overdue
        sweep_at(traveller, 135)  # reassigned to the last rep who has not missed it
        lead.refresh_from_db()
        assert lead.owner not in (reps[0], first_heir, manager)
        sweep_at(traveller, 150)
        sweep_at(traveller, 180)  # third reassignment goes to the manager; the ladder ends
        lead.refresh_from_db()
        assert lead.owner == manager
        assert lead.next_escalation_at is None
        assert sweep_at(traveller, 60 * 24) == 0

    assert count(lead, LeadEvent.Type.OVERDUE) == 3
    assert count(lead, LeadEvent.Type.REASSIGNED) == 3
    assert count(lead, LeadEvent.Type.REMINDED) == 3
    assert lead.escalation_level == 9
    assert EscalationStep.objects.filter(lead=lead).count() == 9
    # Every message once: each in-app row has a distinct dedupe key by construction.
    assert Notification.objects.filter(lead=lead, channel="in_app").count() == (
        Notification.objects.filter(lead=lead, channel="in_app")
        .values("dedupe_key")
        .distinct()
        .count()
    )


def test_reassignment_never_goes_back_to_a_rep_who_missed_it(team, manager) -> None:
    rep_1, rep_2 = make_rep(team=team, username="one"), make_rep(team=team, username="two")
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=rep_1, received_at=timezone.now())
        sweep_at(traveller, 90)
        lead.refresh_from_db()
        assert lead.owner == rep_2
        sweep_at(traveller, 135)
        lead.refresh_from_db()
    # Both reps missed it: the manager takes it and the ladder ends early.
    assert lead.owner == manager
    assert lead.next_escalation_at is None
    assert count(lead, LeadEvent.Type.REASSIGNED) == 2


def test_a_late_sweep_catches_up_each_step_exactly_once(team, manager, reps) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=reps[0], received_at=timezone.now())
        # Beat was down for two hours: one sweep runs everything that fell due, in order.
        sweep_at(traveller, 120)
        sweep_at(traveller, 120)
    lead.refresh_from_db()
    types = event_types(lead)
    assert types.count(LeadEvent.Type.REMINDED) == 2
    assert types.count(LeadEvent.Type.OVERDUE) == 1
    assert types.count(LeadEvent.Type.REASSIGNED) == 1
    # The new owner's fresh clock starts when they get the lead, not when it was due.
    assert lead.next_escalation_at == T0 + timedelta(minutes=135)


def test_both_reps_and_the_manager_hear_of_a_reassignment(team, manager, reps) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=reps[0], received_at=timezone.now())
        sweep_at(traveller, 90)
    lead.refresh_from_db()
    told = set(
        Notification.objects.filter(
            lead=lead, channel="in_app", event_type=LeadEvent.Type.REASSIGNED
        ).values_list("recipient__username", flat=True)
    )
    assert told == {reps[0].username, lead.owner.username, manager.username}


def test_a_lead_without_a_manager_ends_with_an_admin(team, admin_user) -> None:
    reps = [make_rep(team=team, username=name) for name in ("rep-1", "rep-2", "rep-3")]
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=reps[0], received_at=timezone.now())
        for minute in (90, 135, 180):
            sweep_at(traveller, minute)
    lead.refresh_from_db()
    assert lead.owner == admin_user
    assert lead.next_escalation_at is None


def test_a_lead_that_cannot_be_escalated_does_not_block_the_others(team, reps) -> None:
    from django.contrib.auth import get_user_model

    from tests.factories import TeamFactory

    orphan_team = TeamFactory(slug="orphans", name="Orphans")  # no rep, manager or admin
    stuck_owner = make_rep(team=orphan_team, username="stuck")
    get_user_model().objects.filter(is_superuser=True).delete()
    with time_machine.travel(T0, tick=False) as traveller:
        stuck = make_lead(team=orphan_team, owner=stuck_owner, received_at=timezone.now())
        fine = make_lead(
            team=team, owner=reps[0], received_at=timezone.now() + timedelta(seconds=1)
        )
        # Four steps of the fine lead, three claims of the stuck one (the last one failing).
        assert sweep_at(traveller, 91) == 7
    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert count(fine, LeadEvent.Type.REASSIGNED) == 1
    assert count(stuck, LeadEvent.Type.REASSIGNED) == 0
    assert stuck.escalation_level == 2  # reminded and overdue; the reassignment waits
    assert stuck.next_escalation_at == T0 + timedelta(minutes=96)
