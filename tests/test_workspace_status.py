"""Status changes: the allowed transitions, reasons for closing, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leads.activities import ALLOWED_TRANSITIONS, WorkflowError, change_status, log_activity
from leads.models import Lead, LeadEvent
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def lead(team, rep) -> Lead:
    return LeadFactory(
        team=team,
        owner=rep,
        received_at=NOW - timedelta(minutes=5),
        next_escalation_at=NOW + timedelta(minutes=55),
    )


@pytest.fixture
def contacted(lead, rep) -> Lead:
    log_activity(lead=lead, rep=rep, kind="call", outcome="reached", now=NOW)
    lead.refresh_from_db()
    return lead


def test_contacted_lead_is_qualified_then_ordered(contacted, rep) -> None:
    change_status(lead=contacted, to="qualified", by=rep, now=NOW)
    later = NOW + timedelta(days=3)
    lead = change_status(lead=contacted, to="ordered", by=rep, now=later)
    assert lead.status == "ordered"
    assert lead.qualified_at == NOW and lead.ordered_at == later and lead.closed_at == later
    changes = LeadEvent.objects.filter(lead=lead, type="lead.status_changed")
    assert [(e.data["from_status"], e.data["to_status"]) for e in changes] == [
        ("contacted", "qualified"),
        ("qualified", "ordered"),
    ]


@pytest.mark.parametrize("status", ["disqualified", "lost"])
def test_a_new_lead_can_be_closed_with_a_reason_which_stops_escalation(lead, rep, status) -> None:
    Lead.objects.filter(pk=lead.pk).update(next_follow_up_at=NOW + timedelta(days=1))
    closed = change_status(
        lead=lead, to=status, by=rep, reason="spam", note="fake company", now=NOW
    )
    closed.refresh_from_db()
    assert closed.status == status and closed.closed_at == NOW
    assert closed.close_reason == "spam" and closed.close_note == "fake company"
    assert closed.next_escalation_at is None and closed.next_follow_up_at is None


@pytest.mark.parametrize("reason", ["", "because"])
def test_closing_without_a_listed_reason_is_refused(lead, rep, reason) -> None:
    with pytest.raises(WorkflowError) as error:
        change_status(lead=lead, to="lost", by=rep, reason=reason, now=NOW)
    assert error.value.field == "reason"


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        ("new", "qualified", "Log the first contact"),
        ("new", "ordered", "Log the first contact"),
        ("new", "contacted", "log a conversation"),
        ("contacted", "ordered", "cannot become ordered"),
        ("contacted", "contacted", "log a conversation"),
        ("qualified", "qualified", "cannot become qualified"),
        ("ordered", "lost", "already ordered"),
        ("lost", "qualified", "already lost"),
        ("contacted", "archived", "Unknown status"),
    ],
)
def test_invalid_transitions_are_refused_with_a_message(lead, rep, start, to, message) -> None:
    fields = {"status": start}
    if start != "new":
        fields |= {"first_touch_at": NOW, "first_contact_at": NOW}
    if start in ("qualified", "ordered"):
        fields["qualified_at"] = NOW
    if start == "ordered":
        fields |= {"ordered_at": NOW, "closed_at": NOW}
    if start == "lost":
        fields |= {"closed_at": NOW, "close_reason": "other"}
    Lead.objects.filter(pk=lead.pk).update(**fields)
    with pytest.raises(WorkflowError, match=message):
        change_status(lead=lead, to=to, by=rep, reason="other", now=NOW)
    lead.refresh_from_db()
    assert lead.status == start
    assert not LeadEvent.objects.filter(lead=lead, type="lead.status_changed").exists()


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (start, to)
        for start, targets in sorted(ALLOWED_TRANSITIONS.items())
        for to in sorted(targets)
    ],
)
def test_every_allowed_transition_is_made_and_recorded(lead, rep, start, to) -> None:
    fields = {"status": start}
    if start != "new":
        fields |= {"first_touch_at": NOW, "first_contact_at": NOW}
    if start == "qualified":
        fields["qualified_at"] = NOW
    Lead.objects.filter(pk=lead.pk).update(**fields)
    changed = change_status(lead=lead, to=to, by=rep, reason="not_a_fit", now=NOW)
    changed.refresh_from_db()
    assert changed.status == to
    assert (changed.closed_at is not None) == (to in Lead.CLOSED_STATUSES)
    assert changed.close_reason == ("not_a_fit" if to in ("disqualified", "lost") else "")
    event = LeadEvent.objects.get(lead=lead, type="lead.status_changed")
    assert (event.data["from_status"], event.data["to_status"], event.actor) == (start, to, rep)
