"""Planning follow-ups and the cadence suggested after first contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leads.activities import WorkflowError, plan_follow_up, suggest_follow_ups
from leads.models import Lead, LeadEvent
from tests.factories import LeadFactory, TeamFactory, make_rep

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def contacted_lead(team, **fields) -> Lead:
    values = {
        "status": "contacted",
        "first_touch_at": NOW - timedelta(minutes=30),
        "first_contact_at": NOW - timedelta(minutes=30),
    }
    return LeadFactory(
        team=team,
        owner=make_rep(team=team),
        received_at=NOW - timedelta(hours=1),
        **(values | fields),
    )


def test_default_cadence_is_day_2_5_10_20_40_after_first_contact(team) -> None:
    lead = contacted_lead(team)
    suggestions = suggest_follow_ups(lead=lead, now=NOW)
    assert [s.day for s in suggestions] == [2, 5, 10, 20, 40]
    assert suggestions[0].at == lead.first_contact_at + timedelta(days=2)


def test_team_cadence_is_used_and_past_days_are_left_out(db) -> None:
    team = TeamFactory(slug="quick", follow_up_cadence=[1, 3, 7])
    lead = contacted_lead(team)
    assert [s.day for s in suggest_follow_ups(lead=lead, now=NOW + timedelta(days=2))] == [3, 7]


def test_suggestions_keep_the_local_time_of_day_across_a_dst_change(db) -> None:
    team = TeamFactory(slug="berlin", time_zone="Europe/Berlin")
    # 10:00 in Berlin (CET) on 27 March; clocks go forward on 29 March.
    contact = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    lead = contacted_lead(team)
    lead.first_contact_at = contact
    (day_5,) = [s for s in suggest_follow_ups(lead=lead, now=contact) if s.day == 5]
    assert day_5.at.astimezone(team.tzinfo).hour == 10
    assert day_5.at.astimezone(UTC).hour == 8


def test_no_suggestions_before_first_contact_or_once_closed(team) -> None:
    assert suggest_follow_ups(lead=LeadFactory(team=team), now=NOW) == []
    closed = contacted_lead(team, status="lost", close_reason="other", closed_at=NOW)
    assert suggest_follow_ups(lead=closed, now=NOW) == []


def test_planning_a_follow_up_sets_it_and_records_an_event(team) -> None:
    lead = contacted_lead(team)
    due = NOW + timedelta(days=2)
    plan_follow_up(lead=lead, at=due, note="send the quote", by=lead.owner, now=NOW)
    lead.refresh_from_db()
    assert lead.next_follow_up_at == due and lead.follow_up_note == "send the quote"
    event = LeadEvent.objects.get(lead=lead, type="lead.follow_up_planned")
    assert event.data == {"due": due.isoformat(), "note": "send the quote"}


def test_a_follow_up_in_the_past_or_on_a_closed_lead_is_refused(team) -> None:
    lead = contacted_lead(team)
    with pytest.raises(WorkflowError):
        plan_follow_up(lead=lead, at=NOW - timedelta(minutes=1), by=lead.owner, now=NOW)
    closed = contacted_lead(team, status="lost", close_reason="other", closed_at=NOW)
    with pytest.raises(WorkflowError, match="closed"):
        plan_follow_up(lead=closed, at=NOW + timedelta(days=1), by=closed.owner, now=NOW)
