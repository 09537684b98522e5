"""factory_boy factories for the domain; make_rep and make_manager create users in their roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import Activity, Lead, Product, RepProfile, Source, Team
from leads.roles import Role


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    time_zone = "UTC"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == Role.ADMIN:
                self.is_staff = self.is_superuser = True
                self.save(update_fields=["is_staff", "is_superuser"])


def make_rep(*, team: Team | None = None, products: Sequence[Product] = (), **user_fields: Any):
    """A user in the rep group with a RepProfile in `team`."""
    user = UserFactory(role=Role.REP, **user_fields)
    profile = RepProfile.objects.create(user=user, team=team or TeamFactory())
    if products:
        profile.products.set(products)
    return user


def make_manager(*, team: Team | None = None, **user_fields: Any):
    """A user in the manager group who manages `team`."""
    user = UserFactory(role=Role.MANAGER, **user_fields)
    team = team or TeamFactory()
    team.manager = user
    team.save(update_fields=["manager"])
    return user


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = Source.Kind.API


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead as intake leaves it: assigned at receipt, due an hour later."""

    class Meta:
        model = Lead

    source = factory.SubFactory(SourceFactory)
    owner = factory.LazyAttribute(lambda lead: make_rep(team=lead.team))
    team = factory.SubFactory(TeamFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"prospect{n}@example.com")
    phone = ""
    company = factory.Faker("company")
    message = "How much does it cost?"
    received_at = factory.LazyFunction(timezone.now)
    assigned_at = factory.SelfAttribute("received_at")
    respond_by = factory.LazyAttribute(lambda lead: lead.received_at + timedelta(minutes=60))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    lead = factory.SubFactory(LeadFactory)
    rep = factory.SelfAttribute("lead.owner")
    kind = Activity.Kind.CALL
    outcome = Activity.Outcome.REACHED
    occurred_at = factory.LazyFunction(timezone.now)
    created_at = factory.SelfAttribute("occurred_at")
