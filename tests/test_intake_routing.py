"""Which team and rep a new lead goes to: routing rules, default team, repeat inquiries."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from leads.assignment import route_team
from leads.models import Lead, LeadEvent, RoutingRule
from tests.factories import LeadFactory, ProductFactory, SourceFactory, TeamFactory, make_rep
from tests.intake_helpers import post_lead, source_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def test_without_rules_leads_go_to_the_default_team() -> None:
    TeamFactory(name="Other", slug="other")
    default = TeamFactory(name="Default", slug="default", is_default=True)
    assert route_team(source=SourceFactory(), product=None) == default


def test_the_most_specific_rule_wins() -> None:
    TeamFactory(name="Default", slug="default", is_default=True)
    product, source = ProductFactory(), SourceFactory()
    by_source = TeamFactory(name="S", slug="s")
    by_product = TeamFactory(name="P", slug="p")
    by_both = TeamFactory(name="PS", slug="ps")
    RoutingRule.objects.create(source=source, team=by_source)
    RoutingRule.objects.create(product=product, team=by_product)
    assert route_team(source=source, product=None) == by_source
    assert route_team(source=source, product=product) == by_product
    assert route_team(source=SourceFactory(), product=product) == by_product
    RoutingRule.objects.create(source=source, product=product, team=by_both)
    assert route_team(source=source, product=product) == by_both


def test_among_equal_rules_the_lowest_priority_number_wins() -> None:
    product = ProductFactory()
    first, second = TeamFactory(name="1", slug="1"), TeamFactory(name="2", slug="2")
    RoutingRule.objects.create(product=product, team=second, priority=20)
    RoutingRule.objects.create(product=product, team=first, priority=10)
    assert route_team(source=SourceFactory(), product=product) == first


def test_a_sources_own_team_overrides_the_rules() -> None:
    product = ProductFactory()
    own = TeamFactory(name="Own", slug="own")
    RoutingRule.objects.create(product=product, team=TeamFactory(name="R", slug="r"))
    assert route_team(source=SourceFactory(team=own), product=product) == own


def test_a_posted_lead_lands_in_the_team_its_rule_names(team) -> None:
    product = ProductFactory(slug="fleet")
    fleet_team = TeamFactory(name="Fleet", slug="fleet")
    fleet_rep = make_rep(team=fleet_team)
    make_rep(team=team)
    RoutingRule.objects.create(product=product, team=fleet_team)
    _, key = source_with_key()
    post_lead(key, {"name": "Dana", "email": "d@example.com", "product": "fleet"})
    lead = Lead.objects.get()
    assert (lead.team, lead.owner) == (fleet_team, fleet_rep)


def test_a_repeat_inquiry_goes_to_the_owner_of_the_open_lead_and_is_linked(team) -> None:
    first_rep, other_rep = make_rep(team=team), make_rep(team=team)
    earlier = LeadFactory(team=team, owner=first_rep, email="dana@example.com", phone="")
    _, key = source_with_key()

    for body in (
        {"name": "Dana", "email": "DANA@example.com"},
        {"name": "Dana", "phone": "+1 555 0100", "email": "dana@example.com"},
    ):
        post_lead(key, body)

    repeats = Lead.objects.exclude(pk=earlier.pk)
    assert {lead.owner for lead in repeats} == {first_rep}
    assert {lead.previous_lead_id for lead in repeats} == {earlier.pk}
    event = repeats.first().events.get(type=LeadEvent.Type.REPEAT_INQUIRY)
    assert event.data == {"previous_lead": earlier.pk}
    reason = repeats.first().events.get(type=LeadEvent.Type.ASSIGNED).data["reason"]
    assert reason.startswith("repeat inquiry")
    assert other_rep not in {lead.owner for lead in repeats}


def test_a_repeat_inquiry_joins_the_earlier_leads_team_and_takes_nobodys_turn(team) -> None:
    make_rep(team=team, username="first")
    make_rep(team=team, username="second")
    elsewhere = make_rep(team=TeamFactory(name="Elsewhere", slug="elsewhere"), username="far")
    earlier = LeadFactory(team=elsewhere.rep_profile.team, owner=elsewhere, email="d@example.com")
    _, key = source_with_key()

    for email in ("a@example.com", "d@example.com", "b@example.com"):
        post_lead(key, {"name": "Prospect", "email": email})

    owners = dict(Lead.objects.exclude(pk=earlier.pk).values_list("email", "owner__username"))
    assert owners == {"a@example.com": "first", "d@example.com": "far", "b@example.com": "second"}
    repeat = Lead.objects.get(email="d@example.com", previous_lead=earlier)
    assert repeat.team == earlier.team != team


def test_a_repeat_inquiry_matches_the_phone_number_however_it_is_written(team) -> None:
    first_rep = make_rep(team=team)
    make_rep(team=team)
    earlier = LeadFactory(team=team, owner=first_rep, email="", phone="+15550100")
    _, key = source_with_key()
    post_lead(key, {"name": "Dana", "phone": "+1 (555) 01-00"})
    assert Lead.objects.exclude(pk=earlier.pk).get().owner == first_rep


def test_an_inquiry_after_the_earlier_lead_closed_is_routed_afresh(team) -> None:
    from django.utils import timezone

    first_rep, other_rep = make_rep(team=team), make_rep(team=team)
    LeadFactory(
        team=team,
        owner=first_rep,
        email="dana@example.com",
        status="lost",
        close_reason="no_budget",
        closed_at=timezone.now(),
    )
    _, key = source_with_key()
    post_lead(key, {"name": "Dana", "email": "dana@example.com"})
    new = Lead.objects.get(status="new")
    assert new.previous_lead is None
    assert new.owner in {first_rep, other_rep}
