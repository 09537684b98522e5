"""Managers: the team queue, out of office and handing over through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Answer, Lead, Notification
from tests.conftest import client_for
from tests.factories import LeadFactory, TeamFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def test_team_queue_lists_open_leads_of_my_team_with_owner(team, manager) -> None:
    ana = make_rep(team=team, username="ana", first_name="Ana", last_name="Lopez")
    LeadFactory(team=team, owner=ana, name="Team Lead One")
    other_team = TeamFactory()
    LeadFactory(team=other_team, owner=make_rep(team=other_team), name="Not Mine")
    body = client_for(manager).get("/team/").content.decode()
    assert "Team Lead One" in body and "Ana Lopez" in body
    assert "Not Mine" not in body


def test_reassign_from_the_team_queue_notifies_both_reps(team, manager) -> None:
    old, new = make_rep(team=team), make_rep(team=team)
    lead = LeadFactory(team=team, owner=old)
    response = client_for(manager).post(
        f"/leads/{lead.pk}/reassign/", {"owner": new.pk, "reason": "swap", "next": "/team/"}
    )
    assert response.url == "/team/"
    lead.refresh_from_db()
    assert lead.owner == new
    for user in (old, new):
        assert Notification.objects.filter(
            recipient=user, lead=lead, event_type="lead.reassigned"
        ).exists()


def test_marking_out_of_office_and_handing_over(team, manager) -> None:
    away, other = make_rep(team=team), make_rep(team=team)
    leads = [LeadFactory(team=team, owner=away) for _ in range(2)]
    client = client_for(manager)
    back_on = (timezone.now() + timedelta(days=5)).date()
    client.post("/team/out-of-office/", {"rep": away.pk, "back_on": back_on.isoformat()})
    away.rep_profile.refresh_from_db()
    assert away.rep_profile.out_of_office_until.date() == back_on
    response = client.post("/team/hand-over/", {"rep": away.pk, "reason": "holiday"}, follow=True)
    assert "2 open leads" in response.content.decode()
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("owner", flat=True)
    ) == {other.pk}


def test_a_manager_cannot_hand_over_another_teams_rep(team, manager) -> None:
    other_team = TeamFactory()
    stranger = make_rep(team=other_team)
    lead = LeadFactory(team=other_team, owner=stranger)
    make_rep(team=other_team)
    client_for(manager).post("/team/hand-over/", {"rep": stranger.pk, "reason": "x"})
    lead.refresh_from_db()
    assert lead.owner == stranger


def test_managers_keep_the_answer_library_and_reps_read_it(team, manager, rep) -> None:
    client_for(manager).post("/answers/", {"question": "Warranty", "body": "Two years."})
    answer = Answer.objects.get()
    assert answer.updated_by == manager
    rep_client = client_for(rep)
    assert "Two years." in rep_client.get("/answers/").content.decode()
    assert rep_client.post("/answers/", {"question": "x", "body": "y"}).status_code == 403
    assert rep_client.post(f"/answers/{answer.pk}/delete/").status_code == 403
    client_for(manager).post(f"/answers/{answer.pk}/delete/")
    assert not Answer.objects.exists()


def test_reps_cannot_open_the_team_queue(rep, team) -> None:
    make_manager(team=team)
    assert client_for(rep).get("/team/").status_code == 403


def test_managers_edit_an_answer(team, manager, rep) -> None:
    answer = Answer.objects.create(question="Price", body="From 1,000 EUR")
    assert client_for(rep).get(f"/answers/{answer.pk}/edit/").status_code == 403
    client_for(manager).post(
        f"/answers/{answer.pk}/edit/", {"question": "Price", "body": "From 1,100 EUR"}
    )
    answer.refresh_from_db()
    assert answer.body == "From 1,100 EUR" and answer.updated_by == manager
