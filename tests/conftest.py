from __future__ import annotations

import pytest
from django.test import Client

from leads.models import Team
from tests.factories import TeamFactory, UserFactory, make_manager, make_rep

pytest_plugins = ["tests.browser"]


@pytest.fixture
def team(db: None) -> Team:
    return TeamFactory(name="Team A", slug="team-a")


@pytest.fixture
def rep(team: Team):
    return make_rep(team=team, username="rep-a")


@pytest.fixture
def manager(team: Team):
    return make_manager(team=team, username="manager-a")


@pytest.fixture
def marketing(db: None):
    return UserFactory(username="marketing", role="marketing")


@pytest.fixture
def admin_user(db: None):
    return UserFactory(username="root", role="admin")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def fresh_process_caches() -> None:
    # A test's rolled-back rows send no delete signal: start each test with empty caches.
    from leads.process_cache import clear_process_caches

    clear_process_caches()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
