"""Choosing a lead's owner: availability, capacity, product knowledge, round robin."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from leads.assignment import LEAD_ID_SEQUENCE, choose_owner, reassign_lead
from leads.models import LeadEvent, Notification, RepProfile
from tests.factories import LeadFactory, ProductFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def choose(team, product=None, **kwargs):
    with transaction.atomic():
        return choose_owner(team=team, product=product, now=timezone.now(), **kwargs)


@time_machine.travel("2026-11-23 10:00Z", tick=False)
def test_round_robin_rotates_even_when_leads_arrive_in_the_same_instant(team) -> None:
    reps = [make_rep(team=team) for _ in range(3)]
    owners = [choose(team).owner for _ in range(9)]
    assert owners == reps * 3


def test_reps_who_know_the_product_come_first(team) -> None:
    product = ProductFactory()
    make_rep(team=team)
    expert = make_rep(team=team, products=[product])
    choices = [choose(team, product) for _ in range(3)]
    assert {c.owner for c in choices} == {expert}
    assert "who know" in choices[0].reason and str(product) in choices[0].reason


def test_without_an_available_expert_the_lead_still_goes_to_a_rep(team) -> None:
    product = ProductFactory()
    rep = make_rep(team=team)
    choice = choose(team, product)
    assert choice.owner == rep and not choice.unrouted
    assert "none who knows" in choice.reason


def test_out_of_office_unavailable_inactive_and_full_reps_are_skipped(team) -> None:
    now = timezone.now()
    away = make_rep(team=team)
    RepProfile.objects.filter(user=away).update(out_of_office_until=now + timedelta(days=1))
    off = make_rep(team=team)
    RepProfile.objects.filter(user=off).update(is_available=False)
    gone = make_rep(team=team, is_active=False)
    full = make_rep(team=team)
    RepProfile.objects.filter(user=full).update(max_open_leads=1)
    LeadFactory(team=team, owner=full)
    back = make_rep(team=team)
    RepProfile.objects.filter(user=back).update(out_of_office_until=now - timedelta(minutes=1))
    assert {choose(team).owner for _ in range(4)} == {back}
    assert gone not in {choose(team).owner}


def test_closed_leads_do_not_count_against_capacity(team) -> None:
    rep = make_rep(team=team)
    RepProfile.objects.filter(user=rep).update(max_open_leads=1)
    LeadFactory(team=team, owner=rep, status="lost", close_reason="spam", closed_at=timezone.now())
    assert choose(team).owner == rep


def test_nobody_available_sends_the_lead_to_the_manager_unrouted(team) -> None:
    manager = make_manager(team=team)
    choice = choose(team)
    assert choice.owner == manager and choice.unrouted


def test_excluded_reps_are_never_chosen(team) -> None:
    first, second = make_rep(team=team), make_rep(team=team)
    assert {choose(team, exclude=[first.pk]).owner for _ in range(3)} == {second}


def test_reassigning_records_the_event_and_tells_both_reps(team) -> None:
    old, new = make_rep(team=team), make_rep(team=team)
    manager = make_manager(team=team)
    lead = LeadFactory(team=team, owner=old)
    now = timezone.now()
    with transaction.atomic():
        reassign_lead(lead=lead, to=new, by=manager, reason="holiday", now=now)
    lead.refresh_from_db()
    assert lead.owner == new and lead.assigned_at == now
    event = LeadEvent.objects.get(lead=lead, type="lead.reassigned")
    assert event.actor == manager
    assert event.data == {"from_owner": old.username, "to_owner": new.username, "reason": "holiday"}
    told = Counter(Notification.objects.values_list("recipient__username", "channel"))
    assert told == {
        (old.username, "in_app"): 1,
        (old.username, "email"): 1,
        (new.username, "in_app"): 1,
        (new.username, "email"): 1,
    }


def test_lead_ids_are_drawn_from_the_sequence_of_the_id_column() -> None:
    """choose_owner names the sequence instead of looking it up on every lead."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL names its sequences; SQLite numbers by AUTOINCREMENT")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('leads_lead', 'id')::regclass::text")
        assert cursor.fetchone() == (LEAD_ID_SEQUENCE,)
