"""Intake is the hot path: one API post costs a fixed, small number of SQL statements."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, LeadEvent, Notification, RoutingRule, Webhook
from tests.factories import TeamFactory, make_rep
from tests.intake_helpers import post_lead, source_with_key

pytestmark = pytest.mark.django_db

# Round trips to the database: the prospect and team locks with the prospect's open lead,
# the candidates and the lead's id; then the writes (rep's turn, lead, events, notification
# outbox) in one batch. Outside a test's transaction BEGIN and COMMIT ride with these two
# (leads.prepared.BatchedTransaction, tested in test_batched_transaction). Source keys,
# routing rules, the default team, response policies and webhooks are cached per process
# (leads.process_cache); the hot statements are prepared once per connection
# (leads.prepared), so a warm connection runs EXECUTEs only.
ROUND_TRIPS_PER_POST = 2


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def _round_trips(queries: CaptureQueriesContext) -> list[str]:
    """What was sent, without the savepoints the test's own transaction turns BEGIN into."""
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def _post(key: str, n: int):
    return post_lead(key, {"name": f"Prospect {n}", "email": f"p{n}@example.com"})


@pytest.mark.postgres  # counts PostgreSQL's round trips; SQLite runs a batch one by one
def test_one_api_post_takes_a_bounded_number_of_statements(rep) -> None:
    _, key = source_with_key()
    assert _post(key, 1).status_code == 201  # warms the per-process caches, touches the key

    with CaptureQueriesContext(connection) as queries:
        assert _post(key, 2).status_code == 201

    assert len(_round_trips(queries)) == ROUND_TRIPS_PER_POST, "\n".join(_round_trips(queries))
    assert not [q for q in queries if q["sql"].startswith("PREPARE")]


@pytest.mark.postgres
def test_a_webhook_adds_one_insert_and_still_gets_created_and_assigned(rep, team) -> None:
    hook = Webhook.objects.create(team=team, url="https://hooks.example.com/in")
    _, key = source_with_key()
    assert _post(key, 1).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        assert _post(key, 2).status_code == 201

    # The events are inserted on their own (their outbox rows name them by key), then those rows.
    assert len(_round_trips(queries)) == ROUND_TRIPS_PER_POST + 2
    lead = Lead.objects.get(email="p2@example.com")
    events = list(lead.events.order_by("pk").values_list("type", "pk"))
    assert [t for t, _ in events] == [LeadEvent.Type.CREATED, LeadEvent.Type.ASSIGNED]
    queued = Notification.objects.filter(lead=lead, channel=Notification.Channel.WEBHOOK)
    assert sorted(queued.values_list("event_type", "dedupe_key")) == sorted(
        (t, f"webhook:{hook.pk}:event:{pk}") for t, pk in events
    )


def test_a_routing_rule_saved_between_two_posts_routes_the_second() -> None:
    make_rep(team=TeamFactory(name="Default", slug="default", is_default=True), username="d-rep")
    source, key = source_with_key()
    assert _post(key, 1).status_code == 201  # routed to the default team, caches the rules
    other = TeamFactory(name="Other", slug="other")
    make_rep(team=other, username="o-rep")

    RoutingRule.objects.create(source=source, team=other)
    assert _post(key, 2).status_code == 201

    teams = dict(Lead.objects.values_list("email", "team__slug"))
    assert teams == {"p1@example.com": "default", "p2@example.com": "other"}
