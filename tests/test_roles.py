"""Roles decide what each user sees: navigation, home page, and which leads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from leads.models import Lead
from leads.roles import ROLE_PERMISSIONS, Role
from tests.conftest import client_for
from tests.factories import LeadFactory, TeamFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group_with_its_permissions() -> None:
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == set(names)


def test_rep_sees_only_own_leads_and_never_another_teams(team) -> None:
    rep, colleague = make_rep(team=team), make_rep(team=team)
    other_team_rep = make_rep(team=TeamFactory())
    mine = LeadFactory(team=team, owner=rep)
    LeadFactory(team=team, owner=colleague)
    LeadFactory(team=other_team_rep.rep_profile.team, owner=other_team_rep)
    assert list(Lead.objects.visible_to(rep)) == [mine]


def test_manager_sees_every_lead_of_their_team_only(team) -> None:
    manager = make_manager(team=team)
    ours = [LeadFactory(team=team), LeadFactory(team=team)]
    LeadFactory(team=TeamFactory())
    assert set(Lead.objects.visible_to(manager)) == set(ours)


def test_marketing_sees_no_leads(marketing) -> None:
    LeadFactory()
    assert not Lead.objects.visible_to(marketing).exists()


def test_admin_sees_all_leads(admin_user) -> None:
    LeadFactory(), LeadFactory()
    assert Lead.objects.visible_to(admin_user).count() == 2


@pytest.mark.parametrize(
    ("fixture", "home", "visible", "hidden"),
    [
        ("rep", "/leads/", ["My queue"], ["Follow-up board", "Metrics", "Sources", "Admin"]),
        ("manager", "/board/", ["Follow-up board", "Metrics", "Sources"], ["My queue", "Admin"]),
        ("marketing", "/sources/", ["Sources"], ["My queue", "Follow-up board", "Metrics"]),
        ("admin_user", "/admin/", ["Follow-up board", "Metrics", "Sources", "Admin"], ["My queue"]),
    ],
)
def test_each_role_lands_on_its_home_and_sees_its_navigation(
    request, fixture, home, visible, hidden
) -> None:
    client = client_for(request.getfixturevalue(fixture))
    response = client.get("/")
    assert response.status_code == 302 and response.url == home
    # The admin's home is Django's admin site; our navigation shows on our own pages.
    page = client.get("/sources/" if home == "/admin/" else home).content.decode()
    nav = (
        page.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
        if '<nav class="nav"' in page
        else ""
    )
    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


@pytest.mark.parametrize(
    ("fixture", "path", "status"),
    [
        ("marketing", "/leads/", 403),
        ("marketing", "/board/", 403),
        ("rep", "/board/", 403),
        ("rep", "/metrics/", 403),
        ("rep", "/sources/", 403),
        ("manager", "/board/", 200),
        ("marketing", "/sources/", 200),
    ],
)
def test_pages_refuse_roles_that_may_not_use_them(request, fixture, path, status) -> None:
    assert client_for(request.getfixturevalue(fixture)).get(path).status_code == status


def test_anonymous_users_are_sent_to_login(client) -> None:
    response = client.get("/leads/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_demo_manager_can_log_in_with_a_password(client, team) -> None:
    make_manager(team=team, username="boss")
    response = client.post("/login/", {"username": "boss", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response.url == "/"


def test_user_without_role_is_told_so(client) -> None:
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/")
    assert response.status_code == 403 and b"No role yet" in response.content


def test_role_values_are_the_four_product_roles() -> None:
    assert set(Role.values) == {"rep", "manager", "marketing", "admin"}
