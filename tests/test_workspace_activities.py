"""Logging activities sets first touch and first contact, and stops the escalation ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leads.activities import WorkflowError, log_activity
from leads.models import Lead, LeadEvent
from tests.factories import LeadFactory, TeamFactory, make_rep

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def lead(team, rep) -> Lead:
    received = NOW - timedelta(minutes=30)
    return LeadFactory(
        team=team,
        owner=rep,
        received_at=received,
        respond_by=received + timedelta(hours=1),
        next_escalation_at=received + timedelta(hours=1),
    )


def events(lead: Lead, type_: str) -> list[LeadEvent]:
    return list(LeadEvent.objects.filter(lead=lead, type=type_))


def test_first_attempt_sets_first_touch_but_not_first_contact(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="call", outcome="no_answer", now=NOW)
    lead.refresh_from_db()
    assert lead.first_touch_at == NOW
    assert lead.first_contact_at is None
    assert lead.status == Lead.Status.NEW
    assert lead.next_escalation_at is not None
    assert len(events(lead, "lead.touched")) == 1
    assert events(lead, "lead.contacted") == []


def test_first_reached_sets_first_contact_status_contacted_and_stops_escalation(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    lead.refresh_from_db()
    assert lead.first_touch_at == lead.first_contact_at == NOW
    assert lead.status == Lead.Status.CONTACTED
    assert lead.next_escalation_at is None
    (contacted,) = events(lead, "lead.contacted")
    assert contacted.actor == rep and contacted.data["response_seconds"] == 30 * 60


def test_later_activities_leave_first_touch_and_first_contact_alone(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    later = NOW + timedelta(minutes=5)
    log_activity(lead=lead, rep=rep, kind="email", outcome="sent", now=later)
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=later)
    lead.refresh_from_db()
    assert lead.first_touch_at == lead.first_contact_at == NOW
    assert len(events(lead, "lead.touched")) == 1
    assert len(events(lead, "lead.contacted")) == 1
    assert len(events(lead, "lead.activity_logged")) == 3


def test_a_back_dated_entry_earlier_than_the_first_touch_moves_first_touch_earlier(
    lead, rep
) -> None:
    log_activity(lead=lead, rep=rep, kind="email", outcome="sent", now=NOW)
    earlier = NOW - timedelta(minutes=20)
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", occurred_at=earlier, now=NOW)
    lead.refresh_from_db()
    assert lead.first_touch_at == earlier
    assert lead.first_contact_at == earlier
    moved = events(lead, "lead.touched")[0]
    assert moved.at == earlier and moved.data["moved_from"] == NOW.isoformat()


def test_a_back_dated_reached_moves_first_contact_earlier(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    earlier = NOW - timedelta(minutes=10)
    log_activity(
        lead=lead, rep=rep, kind="meeting", outcome="reached", occurred_at=earlier, now=NOW
    )
    lead.refresh_from_db()
    assert lead.first_contact_at == earlier
    assert lead.first_touch_at == earlier


def test_an_activity_in_the_future_is_refused(lead, rep) -> None:
    with pytest.raises(WorkflowError) as error:
        log_activity(
            lead=lead,
            rep=rep,
            kind="call",
            outcome="reached",
            occurred_at=NOW + timedelta(minutes=1),
            now=NOW,
        )
    assert error.value.field == "occurred_at"
    lead.refresh_from_db()
    assert lead.first_touch_at is None and not lead.activities.exists()


def test_back_dating_before_today_in_the_teams_time_zone_is_refused(rep) -> None:
    # 00:30 in Berlin on 10 March is 23:30 UTC on 9 March: that is still "today" there.
    team = TeamFactory(slug="berlin", time_zone="Europe/Berlin")
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    lead = LeadFactory(team=team, owner=make_rep(team=team), received_at=now - timedelta(hours=12))
    log_activity(
        lead=lead,
        rep=lead.owner,
        kind="call",
        outcome="no_answer",
        occurred_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
        now=now,
    )
    with pytest.raises(WorkflowError, match="within today"):
        log_activity(
            lead=lead,
            rep=lead.owner,
            kind="call",
            outcome="no_answer",
            occurred_at=datetime(2026, 3, 9, 22, 59, tzinfo=UTC),
            now=now,
        )


def test_a_note_has_no_outcome_and_does_not_count_as_a_touch(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="note", notes="Asked a colleague", now=NOW)
    lead.refresh_from_db()
    assert lead.first_touch_at is None
    with pytest.raises(WorkflowError):
        log_activity(lead=lead, rep=rep, kind="note", outcome="reached", now=NOW)


def test_a_call_needs_an_outcome(lead, rep) -> None:
    with pytest.raises(WorkflowError) as error:
        log_activity(lead=lead, rep=rep, kind="call", outcome="", now=NOW)
    assert error.value.field == "outcome"


def test_reaching_a_qualified_lead_again_keeps_its_status(lead, rep) -> None:
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    Lead.objects.filter(pk=lead.pk).update(status="qualified", qualified_at=NOW)
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED


def test_after_first_contact_the_escalation_sweep_finds_nothing_due(lead, rep) -> None:
    from leads.escalation import escalate_due_leads

    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    escalate_due_leads(now=NOW + timedelta(hours=3))
    lead.refresh_from_db()
    assert lead.escalation_level == 0 and lead.owner == rep
    assert not LeadEvent.objects.filter(
        lead=lead, type__in=["lead.reminded", "lead.overdue", "lead.reassigned"]
    ).exists()
