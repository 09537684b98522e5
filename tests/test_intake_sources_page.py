"""The sources page: per source, leads received, spam dropped and follow-up; no lead details."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.intake import count_spam
from leads.source_stats import source_figures
from tests.conftest import client_for
from tests.factories import LeadFactory, SourceFactory

pytestmark = pytest.mark.django_db
NOW = "2026-11-25 12:00Z"  # a Wednesday


@time_machine.travel(NOW, tick=False)
def test_figures_count_today_this_week_spam_and_follow_up(team, rep) -> None:
    now = timezone.now()
    source, other = SourceFactory(name="Website"), SourceFactory(name="Zeta")

    def lead(received_ago: timedelta, contacted_after: timedelta | None = None, src=source):
        received = now - received_ago
        contact = received + contacted_after if contacted_after is not None else None
        return LeadFactory(
            source=src,
            team=team,
            owner=rep,
            received_at=received,
            assigned_at=received,
            respond_by=received + timedelta(minutes=60),
            first_touch_at=contact,
            first_contact_at=contact,
            status="contacted" if contact else "new",
        )

    lead(timedelta(hours=1), contacted_after=timedelta(minutes=20))  # today, within target
    lead(timedelta(hours=3))  # today, never contacted: due, a miss
    lead(timedelta(minutes=10))  # today, not yet due: counts neither way
    lead(timedelta(days=2), contacted_after=timedelta(hours=2))  # Monday, contacted late
    lead(timedelta(days=5), contacted_after=timedelta(minutes=5))  # last week, within
    lead(timedelta(days=1), src=other)
    count_spam(source=source, now=now)
    count_spam(source=source, now=now - timedelta(days=1))

    rows = {r.source.name: r for r in source_figures(now=now)["rows"]}
    website = rows["Website"]
    assert (website.received_today, website.received_this_week) == (3, 4)
    assert (website.spam_today, website.spam_this_week) == (1, 2)
    assert (website.within_target, website.due) == (2, 4)
    assert website.share_within_target == 0.5
    assert rows["Zeta"].received_this_week == 1 and rows["Zeta"].received_today == 0


def test_marketing_sees_the_figures_but_no_lead_details(marketing, team, rep) -> None:
    LeadFactory(
        team=team,
        owner=rep,
        name="Secret Prospect",
        email="secret@example.com",
        source=SourceFactory(name="Website"),
    )
    response = client_for(marketing).get("/sources/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Website" in html
    assert "Secret Prospect" not in html and "secret@example.com" not in html
    assert "/leads/" not in html.split("<main")[1]


def test_reps_may_not_see_the_sources_page(rep) -> None:
    assert client_for(rep).get("/sources/").status_code == 403
