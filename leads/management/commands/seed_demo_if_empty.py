from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run seed_demo on an empty database outside production mode; otherwise do nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PRODUCTION and not get_user_model().objects.exists():
            call_command("seed_demo", stdout=self.stdout)
