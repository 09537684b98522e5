"""Out of office: no new leads for the rep, and their open leads handed over in one action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leads.activities import WorkflowError, hand_over_open_leads, mark_out_of_office
from leads.assignment import choose_owner
from leads.models import Lead, LeadEvent, Notification
from tests.factories import LeadFactory, make_rep

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def test_a_rep_out_of_office_gets_no_new_leads_until_the_date(team, manager) -> None:
    away, other = make_rep(team=team), make_rep(team=team)
    mark_out_of_office(profile=away.rep_profile, until=NOW + timedelta(days=3), by=manager, now=NOW)
    owners = {choose_owner(team=team, product=None, now=NOW).owner for _ in range(4)}
    assert owners == {other}
    later = NOW + timedelta(days=3, minutes=1)
    owners = {choose_owner(team=team, product=None, now=later).owner for _ in range(4)}
    assert away in owners


def test_out_of_office_until_a_past_date_is_refused(team, manager) -> None:
    with pytest.raises(WorkflowError):
        mark_out_of_office(
            profile=make_rep(team=team).rep_profile,
            until=NOW - timedelta(days=1),
            by=manager,
            now=NOW,
        )


def test_hand_over_moves_every_open_lead_and_notifies_both_reps(team, manager) -> None:
    away, other = make_rep(team=team), make_rep(team=team)
    open_leads = [LeadFactory(team=team, owner=away) for _ in range(3)]
    closed = LeadFactory(team=team, owner=away, status="lost", close_reason="other", closed_at=NOW)
    mark_out_of_office(profile=away.rep_profile, until=NOW + timedelta(days=7), by=manager, now=NOW)
    moved = hand_over_open_leads(rep=away, by=manager, reason="on holiday", now=NOW)
    assert moved == 3
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in open_leads]).values_list("owner", flat=True)
    ) == {other.pk}
    closed.refresh_from_db()
    assert closed.owner == away
    events = LeadEvent.objects.filter(type="lead.reassigned")
    assert events.count() == 3 and all(e.actor == manager for e in events)
    assert "on holiday" in events[0].data["reason"]
    for user in (away, other):
        assert Notification.objects.filter(recipient=user, channel="in_app").count() == 3


def test_hand_over_with_nobody_available_goes_to_the_manager_flagged_unrouted(
    team, manager
) -> None:
    away = make_rep(team=team)
    lead = LeadFactory(team=team, owner=away)
    assert hand_over_open_leads(rep=away, by=manager, reason="ill", now=NOW) == 1
    lead.refresh_from_db()
    assert lead.owner == manager and lead.unrouted
