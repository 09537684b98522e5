"""The database itself refuses leads, activities and teams that break the product's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.models import Activity, Lead, RepProfile, Team
from tests.factories import ActivityFactory, LeadFactory, TeamFactory

pytestmark = pytest.mark.django_db


def assert_refused(**changes) -> None:
    lead = LeadFactory()
    for field, value in changes.items():
        setattr(lead, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        lead.save()


def test_lead_without_email_or_phone_is_refused() -> None:
    assert_refused(email="", phone="")


def test_lead_with_only_a_phone_is_accepted() -> None:
    lead = LeadFactory(email="", phone="+44 20 7946 0000")
    assert lead.pk


def test_lead_with_unknown_status_is_refused() -> None:
    assert_refused(status="archived")


def test_lead_with_unknown_temperature_is_refused() -> None:
    assert_refused(temperature="mild")


def test_respond_by_before_receipt_is_refused() -> None:
    now = timezone.now()
    assert_refused(received_at=now, respond_by=now - timedelta(seconds=1))


def test_first_contact_without_first_touch_is_refused() -> None:
    assert_refused(first_contact_at=timezone.now(), status=Lead.Status.CONTACTED)


def test_first_touch_after_first_contact_is_refused() -> None:
    now = timezone.now()
    assert_refused(
        first_touch_at=now, first_contact_at=now - timedelta(minutes=1), status="contacted"
    )


def test_contacted_lead_needs_first_contact() -> None:
    assert_refused(status=Lead.Status.CONTACTED)


def test_qualified_lead_needs_qualified_at() -> None:
    now = timezone.now()
    assert_refused(status="qualified", first_touch_at=now, first_contact_at=now)


def test_ordered_lead_needs_ordered_at_and_closed_at() -> None:
    now = timezone.now()
    assert_refused(status="ordered", qualified_at=now, closed_at=now)
    assert_refused(status="ordered", qualified_at=now, ordered_at=now)


def test_open_lead_cannot_carry_closed_at() -> None:
    assert_refused(closed_at=timezone.now())


def test_disqualified_lead_needs_a_reason() -> None:
    assert_refused(status="disqualified", closed_at=timezone.now())


def test_disqualified_lead_with_reason_is_accepted() -> None:
    lead = LeadFactory(status="disqualified", closed_at=timezone.now(), close_reason="no_budget")
    assert lead.status == "disqualified"


def test_external_id_is_unique_per_source_but_may_repeat_across_sources() -> None:
    first = LeadFactory(external_id="crm-1")
    LeadFactory(external_id="crm-1")  # another source: fine
    LeadFactory(source=first.source, external_id="")  # blank ids never collide
    LeadFactory(source=first.source, external_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(source=first.source, external_id="crm-1")


def test_activity_outcome_is_required_except_for_notes() -> None:
    ActivityFactory(kind=Activity.Kind.NOTE, outcome="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(kind=Activity.Kind.CALL, outcome="")


def test_activity_cannot_be_dated_after_it_was_logged() -> None:
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(occurred_at=now + timedelta(minutes=5), created_at=now)


def test_only_one_team_is_the_default() -> None:
    TeamFactory(is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(is_default=True)


def test_rep_capacity_must_be_positive(rep) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RepProfile.objects.filter(user=rep).update(max_open_leads=0)


def test_overdue_means_open_uncontacted_and_past_respond_by() -> None:
    now = timezone.now()
    due = LeadFactory(received_at=now - timedelta(minutes=61))
    fresh = LeadFactory(received_at=now - timedelta(minutes=30))
    contacted = LeadFactory(
        received_at=now - timedelta(hours=2),
        first_touch_at=now - timedelta(hours=1),
        first_contact_at=now - timedelta(hours=1),
        status="contacted",
    )
    assert due.is_overdue(now) and not fresh.is_overdue(now) and not contacted.is_overdue(now)
    assert list(Lead.objects.overdue(now)) == [due]


def test_str_reads_well() -> None:
    lead = LeadFactory(name="Maria Rossi", company="Rossi Logistics")
    assert str(lead) == f"Lead #{lead.pk}: Maria Rossi (Rossi Logistics)"
    assert str(Team(name="Inside Sales")) == "Inside Sales"
