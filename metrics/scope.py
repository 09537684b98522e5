"""Whose leads a metrics page or API call counts, and in which time zone.

Managers see the teams they manage, admins every team, a rep only their own leads. Days and
weeks are cut in the team's time zone; a scope spanning teams in different zones uses the
site's TIME_ZONE (docs/metrics.md, "Time zones").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from leads.models import Lead, RepProfile, Team
from leads.roles import Role, has_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class MetricScope:
    leads: QuerySet[Lead]
    teams: list[Team]
    tz: ZoneInfo
    label: str


class NotInScope(Exception):
    """A team that does not exist or that this user may not see."""


def teams_visible_to(user: AbstractBaseUser) -> QuerySet[Team]:
    if user.is_superuser or has_role(user, Role.ADMIN):
        return Team.objects.all()
    if has_role(user, Role.MANAGER):
        return Team.objects.filter(manager=user)
    return Team.objects.none()


def scope_time_zone(teams: list[Team]) -> ZoneInfo:
    zones = {t.time_zone for t in teams}
    return ZoneInfo(zones.pop() if len(zones) == 1 else settings.TIME_ZONE)


def team_scope(user: AbstractBaseUser, *, team_id: int | None = None) -> MetricScope:
    """The leads of one visible team, or of every team the user may see."""
    visible = teams_visible_to(user)
    if (
        not user.is_superuser
        and not has_role(user, Role.ADMIN)
        and not has_role(user, Role.MANAGER)
    ):
        raise PermissionDenied
    if team_id is not None:
        team = visible.filter(pk=team_id).first()
        if team is None:
            raise NotInScope(team_id)
        return MetricScope(Lead.objects.filter(team=team), [team], team.tzinfo, team.name)
    teams = list(visible)
    leads = Lead.objects.all()
    if not (user.is_superuser or has_role(user, Role.ADMIN)):
        leads = leads.filter(team__in=[t.pk for t in teams])
    label = teams[0].name if len(teams) == 1 else "All your teams"
    return MetricScope(leads, teams, scope_time_zone(teams), label)


def rep_scope(user: AbstractBaseUser) -> MetricScope:
    """A rep's own leads, in their team's time zone."""
    profile = RepProfile.objects.filter(user=user).select_related("team").first()
    teams = [profile.team] if profile else []
    name = user.get_full_name() or user.get_username()
    return MetricScope(Lead.objects.filter(owner=user), teams, scope_time_zone(teams), name)
