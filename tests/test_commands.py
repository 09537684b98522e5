"""Management commands print only their result, so scripts can capture it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leads.assignment import choose_owner
from leads.models import ApiKey, ApiToken, Lead, LeadEvent, RepProfile, Source, Team
from leads.roles import Role, has_role

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_user_makes_a_rep_in_a_new_team_and_prints_the_username() -> None:
    assert run("create_user", "alice", "--role", "rep", "--team", "Inside Sales") == "alice"
    alice = get_user_model().objects.get(username="alice")
    assert has_role(alice, "rep")
    assert alice.rep_profile.team == Team.objects.get(name="Inside Sales")
    assert not alice.has_usable_password()


def test_create_user_makes_the_manager_of_the_team() -> None:
    run("create_user", "boss", "--role", "manager", "--team", "Field", "--password", "pw-123-xyz")
    boss = get_user_model().objects.get(username="boss")
    assert Team.objects.get(name="Field").manager == boss
    assert boss.check_password("pw-123-xyz")


def test_create_user_with_token_prints_only_a_working_token() -> None:
    out = run("create_user", "bot", "--role", "marketing", "--token")
    assert out.startswith("lru_") and "\n" not in out
    token = ApiToken.find_active(out)
    assert token is not None and token.user.username == "bot"
    assert token.key_hash != out and out not in token.lookup  # only a hash is stored


def test_create_user_admin_is_staff_and_superuser() -> None:
    run("create_user", "root", "--role", "admin", "--email", "root@example.com")
    root = get_user_model().objects.get(username="root")
    assert root.is_staff and root.is_superuser and root.email == "root@example.com"


def test_create_user_refuses_a_duplicate_username() -> None:
    run("create_user", "alice", "--role", "marketing")
    with pytest.raises(CommandError, match="already exists"):
        run("create_user", "alice", "--role", "marketing")


def test_create_user_rep_without_team_needs_a_default_team() -> None:
    with pytest.raises(CommandError, match="--team"):
        run("create_user", "alice", "--role", "rep")


def test_create_source_prints_an_api_key_stored_only_as_a_hash() -> None:
    key = run("create_source", "Partner Portal")
    assert key.startswith("lrs_")
    stored = ApiKey.find_active(key)
    assert stored is not None and stored.source.slug == "partner-portal"
    assert key not in {stored.key_hash, stored.lookup}


def test_create_source_for_a_form_prints_its_path() -> None:
    assert run("create_source", "Website", "--kind", "form") == "/f/website/"
    assert Source.objects.get(slug="website").kind == Source.Kind.FORM


def test_revoked_key_is_no_longer_found() -> None:
    key = run("create_source", "Partner Portal")
    ApiKey.find_active(key).revoke(now=ApiKey.objects.get().created_at)
    assert ApiKey.find_active(key) is None


def test_seed_demo_creates_a_working_demo_and_says_how_to_log_in() -> None:
    out = run("seed_demo", "--weeks", "2")
    assert "manager" in out and "leadresponse-demo" in out
    users = get_user_model().objects
    assert {"manager", "ana", "ben", "chloe", "marketing", "admin"} <= set(
        users.values_list("username", flat=True)
    )
    assert (
        Source.objects.filter(kind="form").exists() and Source.objects.filter(kind="api").exists()
    )
    assert Lead.objects.count() > 20
    # Every lead was created and assigned through an event, and nobody owns another team's lead.
    assert LeadEvent.objects.filter(type="lead.created").count() == Lead.objects.count()
    assert not Lead.objects.exclude(owner__rep_profile__team=F("team")).exists()


def test_a_lead_posted_to_the_demo_goes_to_a_rep() -> None:
    run("seed_demo")  # the default four weeks, as make run seeds
    team = Team.objects.get(is_default=True)
    # Reps close leads that went quiet, so each stays under the cap of open leads ...
    for profile in RepProfile.objects.filter(team=team):
        open_leads = Lead.objects.filter(owner=profile.user, status__in=Lead.OPEN_STATUSES)
        assert open_leads.count() < profile.max_open_leads
    # ... and a new lead is routed to one of them, not unrouted to the manager.
    with transaction.atomic():
        choice = choose_owner(team=team, product=None, now=timezone.now())
    assert not choice.unrouted and has_role(choice.owner, Role.REP)


def test_seed_demo_refuses_a_database_with_users() -> None:
    run("create_user", "someone", "--role", "marketing")
    with pytest.raises(CommandError, match="empty"):
        run("seed_demo")


def test_seed_demo_if_empty_seeds_once() -> None:
    run("seed_demo_if_empty")
    count = Lead.objects.count()
    assert count > 0
    assert run("seed_demo_if_empty") == ""
    assert Lead.objects.count() == count


@pytest.mark.django_db(transaction=False)
def test_seed_demo_refuses_production_mode(tmp_path) -> None:
    env = production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "not in production" in result.stderr


def production_env(tmp_path: Path) -> dict[str, str]:
    unsafe = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unsafe}
    env.update(
        DEBUG="False",
        SECRET_KEY="test-only-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        ALLOWED_HOSTS="leads.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    return env
