"""The four roles, as Django groups with permissions.

A user may hold several roles (a manager who also takes leads is in both groups). What a
role may see of leads is scoped by `LeadQuerySet.visible_to`; what it may do is these
permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Manager"
    MARKETING = "marketing", "Marketing"
    ADMIN = "admin", "Admin"


_REP_PERMISSIONS = [
    "leads.view_lead",
    "leads.change_lead",
    "leads.view_activity",
    "leads.add_activity",
    "leads.view_leadevent",
    "leads.view_answer",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.REP: _REP_PERMISSIONS,
    Role.MANAGER: [
        *_REP_PERMISSIONS,
        "leads.view_team_leads",
        "leads.reassign_lead",
        "leads.import_leads",
        "leads.view_source_stats",
        "leads.manage_personal_data",
        "leads.change_repprofile",
        "leads.view_repprofile",
        "metrics.view_metrics",
        "leads.add_answer",
        "leads.change_answer",
        "leads.delete_answer",
    ],
    Role.MARKETING: ["leads.view_source_stats", "leads.view_source"],
    Role.ADMIN: [],  # admins are superusers: every permission, the admin site
}


def sync_role_groups(*, using: str = "default") -> None:
    """Create or update one group per role with exactly its permissions. Idempotent."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def has_role(user: AbstractBaseUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if role == Role.ADMIN and user.is_superuser:
        return True
    # One query per request: the group names are cached on the user object.
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names  # type: ignore[attr-defined]
    return role in names
