"""Every URL, every role: exactly the access the product intends.

The list of URLs comes from the URL configuration itself, so a new URL without a rule here
fails `test_every_url_has_an_access_rule`. Object URLs are requested for a lead owned by
rep_a of team A: the owner and team A's manager reach it, everybody else gets 404 (or 403
where their role may not use the page at all), so no lead is reachable by guessing ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from leads.models import ApiToken, Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory, make_manager, make_rep

ROLES = ("anonymous", "marketing", "rep_a", "rep_a2", "rep_b", "manager_a", "manager_b", "admin")
LOGIN = "login"  # an anonymous page request is redirected to the login page


@dataclass(frozen=True)
class Rule:
    """Expected status per role; `method` and `data` say how the URL is requested."""

    expect: dict[str, int | str]
    method: str = "get"
    data: dict[str, str] = field(default_factory=dict)
    api: bool = False  # authenticated with the user's personal token instead of a session


def page(anonymous=LOGIN, marketing=403, rep=200, manager=200, admin=200, **overrides) -> dict:
    expect = {
        "anonymous": anonymous,
        "marketing": marketing,
        "rep_a": rep,
        "rep_a2": rep,
        "rep_b": rep,
        "manager_a": manager,
        "manager_b": manager,
        "admin": admin,
    }
    return expect | overrides


# A lead of rep_a (team A): its owner and team A's manager (and admins) reach it; other reps
# and other managers get 404, roles that may not see leads at all get 403.
OWN_LEAD = page(rep_a2=404, rep_b=404, manager_b=404)
MANAGERS_ONLY = page(rep=403, rep_a=403, rep_a2=403, rep_b=403)
PUBLIC = page(anonymous=200, marketing=200, rep=200)

RULES: dict[str, Rule] = {
    "leads:home": Rule(page(anonymous=LOGIN, marketing=302, rep=302, manager=302, admin=302)),
    # Managers have a queue too: unrouted leads are assigned to them.
    "leads:queue": Rule(page()),
    "leads:detail": Rule(OWN_LEAD),
    "leads:reassign": Rule(
        page(rep=403, rep_a=403, rep_a2=403, rep_b=403, manager_b=404, manager=302, admin=302),
        method="post",
        data={"reason": "matrix"},
    ),
    # Workspace: the lead's own actions redirect back to its page (a refused transition is a
    # message, not an error); everyone else gets 404, marketing 403.
    "leads:log-activity": Rule(
        OWN_LEAD | {"rep_a": 302, "manager_a": 302, "admin": 302},
        method="post",
        data={"kind": "note", "notes": "matrix"},
    ),
    "leads:change-status": Rule(
        OWN_LEAD | {"rep_a": 302, "manager_a": 302, "admin": 302},
        method="post",
        data={"status": "qualified"},
    ),
    "leads:plan-follow-up": Rule(
        OWN_LEAD | {"rep_a": 302, "manager_a": 302, "admin": 302},
        method="post",
        data={"at": "2099-01-01T10:00", "note": "matrix"},
    ),
    "leads:team-queue": Rule(MANAGERS_ONLY),
    "leads:out-of-office": Rule(
        MANAGERS_ONLY | {"manager_a": 302, "manager_b": 302, "admin": 302}, method="post"
    ),
    "leads:hand-over": Rule(
        MANAGERS_ONLY | {"manager_a": 302, "manager_b": 302, "admin": 302}, method="post"
    ),
    "leads:answers": Rule(page()),
    # No answer has the lead's id: managers (who may edit and delete) get 404.
    "leads:edit-answer": Rule(MANAGERS_ONLY | {"manager_a": 404, "manager_b": 404, "admin": 404}),
    "leads:delete-answer": Rule(
        MANAGERS_ONLY | {"manager_a": 404, "manager_b": 404, "admin": 404}, method="post"
    ),
    "leads:sources": Rule(page(marketing=200, rep=403, rep_a=403, rep_a2=403, rep_b=403)),
    "leads:privacy": Rule(MANAGERS_ONLY),
    "leads:privacy-export": Rule(
        MANAGERS_ONLY | {"manager_a": 200, "manager_b": 302, "admin": 200},
        method="post",
        data={"email": "matrix@example.com"},
    ),
    "leads:privacy-erase": Rule(
        MANAGERS_ONLY | {"manager_a": 302, "manager_b": 302, "admin": 302},
        method="post",
        data={"email": "nobody@example.com"},
    ),
    "metrics:board": Rule(MANAGERS_ONLY),
    "metrics:dashboard": Rule(MANAGERS_ONLY),
    "metrics:monthly": Rule(MANAGERS_ONLY),
    # A rep's own metrics: anyone who works leads (managers take leads too).
    "metrics:me": Rule(page()),
    "metrics:export": Rule(MANAGERS_ONLY),
    "login": Rule(PUBLIC | {k: 302 for k in ROLES if k != "anonymous"}),
    "logout": Rule(PUBLIC | {k: 302 for k in ROLES} | {"anonymous": LOGIN}, method="post"),
    "api-schema": Rule(PUBLIC, api=True),
    "api-docs": Rule(PUBLIC, api=True),
    # Everyone has a bell; marking read only ever touches the user's own rows.
    "leads:notifications": Rule(page(marketing=200)),
    "leads:notifications-read": Rule(
        page(marketing=302, rep=302, manager=302, admin=302), method="post"
    ),
    # Public for load balancers; 503 here because no sweep has run in this test world.
    "api-health": Rule({role: 503 for role in ROLES}, api=True),
    "api-lead-events": Rule(OWN_LEAD | {"anonymous": 401, "marketing": 404}, api=True),
    # Intake: the API reads with a personal token (posting needs a source key).
    "api-leads": Rule(page(anonymous=401), api=True),
    "api-lead-detail": Rule(OWN_LEAD | {"anonymous": 401}, api=True),
    # The hosted form is public; the matrix asks for a slug no form source has.
    "leads:form": Rule({role: 404 for role in ROLES}),
    "leads:form-thanks": Rule({role: 404 for role in ROLES}),
    "leads:import": Rule(MANAGERS_ONLY),
    # An import job is seen by its uploader (and admins): no job has the matrix's id.
    "leads:import-job": Rule(MANAGERS_ONLY | {"manager_a": 404, "manager_b": 404, "admin": 404}),
    # Workspace API with a personal token: no token 401, a lead out of sight 404.
    "api-lead-activities": Rule(
        OWN_LEAD | {"anonymous": 401, "rep_a": 201, "manager_a": 201, "admin": 201},
        method="post",
        data={"kind": "note", "notes": "matrix"},
        api=True,
    ),
    "api-lead-status": Rule(  # a new lead cannot be qualified: 409 where the lead is reachable
        OWN_LEAD | {"anonymous": 401, "rep_a": 409, "manager_a": 409, "admin": 409},
        method="post",
        data={"status": "qualified"},
        api=True,
    ),
    "api-lead-assign": Rule(  # an unknown owner: 400 where the lead is reachable
        OWN_LEAD
        | {"anonymous": 401, "rep_a": 403, "rep_a2": 403, "rep_b": 403, "manager_a": 400}
        | {"admin": 400},
        method="post",
        data={"owner": "nobody"},
        api=True,
    ),
    # Metrics API: managers' and admins' tokens; 401 without a token.
    "api-metrics-weekly": Rule(
        MANAGERS_ONLY | {"anonymous": 401},
        data={"start": "2026-01-05", "end": "2026-01-11"},
        api=True,
    ),
    "api-metrics-daily": Rule(MANAGERS_ONLY | {"anonymous": 401}, api=True),
}

# Django's admin site guards itself (staff only); checked here by its index alone.
ADMIN_SITE = {k: 302 for k in ROLES} | {"admin": 200}


def named_urls() -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}

    def walk(patterns, namespace: str = "") -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif entry.name:
                found[f"{namespace}{entry.name}"] = entry

    walk(get_resolver().url_patterns)
    return found


def test_every_url_has_an_access_rule() -> None:
    missing = sorted(set(named_urls()) - set(RULES))
    assert missing == [], f"add access rules for: {missing}"
    unnamed = [
        str(p.pattern)
        for p in get_resolver().url_patterns
        if isinstance(p, URLPattern) and not p.name
    ]
    assert unnamed == [], f"name these URLs so they get a rule: {unnamed}"


@pytest.fixture
def world(db) -> dict:
    team_a, team_b = TeamFactory(name="A", slug="a"), TeamFactory(name="B", slug="b")
    users = {
        "marketing": UserFactory(username="m", role="marketing"),
        "rep_a": make_rep(team=team_a, username="rep_a"),
        "rep_a2": make_rep(team=team_a, username="rep_a2"),
        "rep_b": make_rep(team=team_b, username="rep_b"),
        "manager_a": make_manager(team=team_a, username="manager_a"),
        "manager_b": make_manager(team=team_b, username="manager_b"),
        "admin": UserFactory(username="admin", role="admin"),
    }
    lead = LeadFactory(team=team_a, owner=users["rep_a"], email="matrix@example.com")
    return {"users": users, "lead": lead}


# URL arguments that are not the lead's id.
URL_KWARGS: dict[str, dict[str, str]] = {"metrics:export": {"table": "weekly"}}


def url_for(name: str, pattern: URLPattern, lead: Lead) -> str:
    kwargs = {key: lead.pk for key in pattern.pattern.converters} | URL_KWARGS.get(name, {})
    return reverse(name, kwargs=kwargs)


def request_as(role: str, rule: Rule, url: str, world: dict, data: dict):
    client = Client()
    headers = {}
    if role != "anonymous":
        user = world["users"][role]
        if rule.api:
            _, raw = ApiToken.issue(user=user)
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        else:
            client.force_login(user)
    if rule.api and rule.method == "post":
        return client.post(url, data, content_type="application/json", **headers)
    return getattr(client, rule.method)(url, data, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(RULES))
def test_each_role_gets_exactly_the_intended_access(name: str, world: dict) -> None:
    rule = RULES[name]
    pattern = named_urls()[name]
    url = url_for(name, pattern, world["lead"])
    data = dict(rule.data)
    if name == "leads:reassign":
        data["owner"] = str(world["users"]["rep_a2"].pk)
    got = {}
    for role in ROLES:
        response = request_as(role, rule, url, world, data)
        status = response.status_code
        if status == 302 and "/login/" in response.get("Location", "") and role == "anonymous":
            status = LOGIN
        got[role] = status
    assert got == rule.expect


@pytest.mark.django_db
def test_the_admin_site_admits_admins_only(world: dict) -> None:
    got = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world["users"][role])
        got[role] = client.get("/admin/").status_code
    assert got == ADMIN_SITE
