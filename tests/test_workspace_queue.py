"""My queue: my open leads, most urgent first, in tabs, refreshed by htmx, in few queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.models import Lead, Source
from tests.conftest import client_for
from tests.factories import LeadFactory, SourceFactory, make_rep

pytestmark = pytest.mark.django_db


def lead_for(rep, team, *, minutes_ago: int, **fields) -> Lead:
    received = timezone.now() - timedelta(minutes=minutes_ago)
    return LeadFactory(team=team, owner=rep, received_at=received, **fields)


def test_queue_lists_my_open_leads_overdue_first_then_nearest_respond_by(rep, team) -> None:
    fresh = lead_for(rep, team, minutes_ago=5, name="Fresh Prospect")
    overdue = lead_for(rep, team, minutes_ago=90, name="Overdue Prospect")
    soon = lead_for(rep, team, minutes_ago=50, name="Soon Prospect")
    lead_for(make_rep(team=team), team, minutes_ago=1, name="Someone Elses")
    lead_for(
        rep,
        team,
        minutes_ago=1,
        name="Closed One",
        status="lost",
        close_reason="spam",
        closed_at=timezone.now(),
    )
    body = client_for(rep).get("/leads/").content.decode()
    positions = [body.index(lead.name) for lead in (overdue, soon, fresh)]
    assert positions == sorted(positions)
    assert "Someone Elses" not in body and "Closed One" not in body
    assert "Reached — log call" in body
    assert "<title>(3) My queue" in body


def test_each_row_shows_company_product_temperature_source_and_first_line(rep, team) -> None:
    source = SourceFactory(name="Spring fair", slug="fair", kind=Source.Kind.FORM)
    lead_for(
        rep,
        team,
        minutes_ago=1,
        company="Acme GmbH",
        temperature="hot",
        source=source,
        message="Do you ship to Austria?\nWe need 40 units.",
    )
    body = client_for(rep).get("/leads/").content.decode()
    for text in ("Acme GmbH", "Hot", "via Spring fair", "Do you ship to Austria?"):
        assert text in body
    assert "40 units" not in body


def test_tabs_split_waiting_follow_ups_due_and_closed(rep, team) -> None:
    now = timezone.now()
    lead_for(rep, team, minutes_ago=10, name="Waiting Walter")
    lead_for(
        rep,
        team,
        minutes_ago=600,
        name="Due Dora",
        status="contacted",
        first_touch_at=now - timedelta(hours=9),
        first_contact_at=now - timedelta(hours=9),
        next_follow_up_at=now - timedelta(minutes=1),
    )
    lead_for(
        rep,
        team,
        minutes_ago=600,
        name="Later Lars",
        status="contacted",
        first_touch_at=now - timedelta(hours=9),
        first_contact_at=now - timedelta(hours=9),
        next_follow_up_at=now + timedelta(days=1),
    )
    lead_for(
        rep,
        team,
        minutes_ago=600,
        name="Lost Lisa",
        status="lost",
        close_reason="no_budget",
        closed_at=now,
    )
    client = client_for(rep)

    def names(tab: str) -> set[str]:
        body = client.get(f"/leads/?tab={tab}").content.decode()
        all_names = {"Waiting Walter", "Due Dora", "Later Lars", "Lost Lisa"}
        return {n for n in all_names if f">{n}</a>" in body}

    assert names("waiting") == {"Waiting Walter"}
    assert names("follow_ups") == {"Due Dora"}
    assert names("open") == {"Waiting Walter", "Due Dora", "Later Lars"}
    assert names("closed") == {"Lost Lisa"}


def test_htmx_poll_returns_only_the_live_part(rep, team) -> None:
    lead_for(rep, team, minutes_ago=1, name="Polled Paula")
    response = client_for(rep).get(
        "/leads/?tab=waiting", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-live"
    )
    body = response.content.decode()
    assert "Polled Paula" in body and 'data-waiting="1"' in body
    assert "<html" not in body


def test_times_are_shown_in_the_teams_time_zone_with_relative_text(rep, team) -> None:
    team.time_zone = "America/New_York"
    team.save()
    with time_machine.travel("2026-07-01 15:00:00+00:00", tick=False):
        lead_for(rep, team, minutes_ago=12)
        body = client_for(rep).get("/leads/").content.decode()
    assert "12 min ago" in body
    assert 'title="Wed 01 Jul 2026, 10:48 EDT"' in body


def test_queue_with_500_open_leads_takes_a_bounded_number_of_queries(
    rep, team, django_assert_max_num_queries
) -> None:
    source = SourceFactory()
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            team=team,
            owner=rep,
            source=source,
            name=f"Prospect {i}",
            email=f"p{i}@example.com",
            received_at=now - timedelta(minutes=i % 120),
            assigned_at=now,
            respond_by=now + timedelta(minutes=60 - i % 120),
        )
        for i in range(500)
    )
    client = client_for(rep)
    # 9 today: session, user, its permissions (2), its groups (roles), rep profile with team
    # (time zone), tab counts, rows, and the bell's unread count (leads.context_processors).
    # The limit leaves a margin of 1-2 for what other areas add to every page; the count
    # must not grow with the number of leads.
    with django_assert_max_num_queries(10):
        response = client.get("/leads/")
    assert response.content.decode().count('class="lead-row') == 500


def test_marketing_sees_no_leads(marketing) -> None:
    assert client_for(marketing).get("/leads/").status_code == 403
