"""Creating users in their roles: the create_user and seed_demo commands share this."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.utils.text import slugify

from leads.models import RepProfile, Team
from leads.roles import Role


def get_or_create_team(name: str) -> Team:
    team, _ = Team.objects.get_or_create(
        slug=slugify(name), defaults={"name": name, "is_default": not Team.objects.exists()}
    )
    return team


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    team: Team | None = None,
    email: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> AbstractUser:
    """Create a user in `role`. Reps join `team`; a manager becomes `team`'s manager."""
    if role in (Role.REP, Role.MANAGER) and team is None:
        raise ValueError(f"a {role} needs a team")
    user = get_user_model().objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
    if password is None:
        user.set_unusable_password()
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    if role == Role.REP:
        RepProfile.objects.create(user=user, team=team)
    elif role == Role.MANAGER:
        team.manager = user
        team.save(update_fields=["manager"])
    return user
