from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's post_migrate, not only ours: the groups hold permissions of other apps
        # (metrics), which exist only once that app's own post_migrate has run.
        post_migrate.connect(_sync_role_groups, dispatch_uid="leads.sync_role_groups")


def _sync_role_groups(**kwargs: Any) -> None:
    # Permissions exist only after post_migrate has created them, hence not a data migration.
    from leads.roles import sync_role_groups

    sync_role_groups(using=kwargs.get("using", "default"))
