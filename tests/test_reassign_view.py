"""Managers hand a lead to another rep of its team; nobody else can."""

from __future__ import annotations

import pytest

from leads.models import LeadEvent
from tests.conftest import client_for
from tests.factories import LeadFactory, TeamFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def test_manager_reassigns_a_lead_and_returns_to_the_page_they_came_from(team, manager) -> None:
    old, new = make_rep(team=team), make_rep(team=team)
    lead = LeadFactory(team=team, owner=old)
    response = client_for(manager).post(
        f"/leads/{lead.pk}/reassign/",
        {"owner": new.pk, "reason": "old rep is ill", "next": "/board/"},
    )
    assert response.status_code == 302 and response.url == "/board/"
    lead.refresh_from_db()
    assert lead.owner == new
    assert (
        LeadEvent.objects.get(lead=lead, type="lead.reassigned").data["reason"] == "old rep is ill"
    )


def test_reassigning_to_another_teams_rep_is_refused_with_a_message(team, manager) -> None:
    lead = LeadFactory(team=team, owner=make_rep(team=team))
    stranger = make_rep(team=TeamFactory())
    client = client_for(manager)
    response = client.post(
        f"/leads/{lead.pk}/reassign/", {"owner": stranger.pk, "reason": "x"}, follow=True
    )
    assert b"Choose another active rep of this lead" in response.content
    lead.refresh_from_db()
    assert lead.owner != stranger


def test_reps_cannot_reassign_and_other_managers_get_404(team) -> None:
    rep = make_rep(team=team)
    lead = LeadFactory(team=team, owner=rep)
    other_manager = make_manager(team=TeamFactory())
    data = {"owner": rep.pk, "reason": "x"}
    assert client_for(rep).post(f"/leads/{lead.pk}/reassign/", data).status_code == 403
    assert client_for(other_manager).post(f"/leads/{lead.pk}/reassign/", data).status_code == 404


def test_an_outside_next_url_is_not_followed(team, manager) -> None:
    lead = LeadFactory(team=team, owner=make_rep(team=team))
    new = make_rep(team=team)
    response = client_for(manager).post(
        f"/leads/{lead.pk}/reassign/",
        {"owner": new.pk, "reason": "x", "next": "https://evil.example/"},
    )
    assert response.url == f"/leads/{lead.pk}/"
