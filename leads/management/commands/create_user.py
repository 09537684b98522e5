from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.accounts import create_user, get_or_create_team
from leads.models import ApiToken, Team
from leads.roles import Role


class Command(BaseCommand):
    help = (
        "Create a user in a role. Prints the username, or with --token only the new personal "
        "API token (shown this once), so scripts can capture it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--team", help="Team name (created if missing). Reps and managers.")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Without it the user cannot log in by password.")
        parser.add_argument("--token", action="store_true", help="Issue a personal API token.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        role = options["role"]
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} already exists.")
        if options["team"]:
            team = get_or_create_team(options["team"])
        elif role in (Role.REP, Role.MANAGER):
            team = Team.objects.filter(is_default=True).first()
            if team is None:
                raise CommandError(f"A {role} needs --team (there is no default team yet).")
        else:
            team = None
        user = create_user(
            username=username,
            role=role,
            team=team,
            email=options["email"],
            password=options["password"],
        )
        if options["token"]:
            _, raw = ApiToken.issue(user=user)
            self.stdout.write(raw)
        else:
            self.stdout.write(user.get_username())
