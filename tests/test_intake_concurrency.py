"""Twenty leads posted at once by real threads against PostgreSQL: round robin holds."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection

from leads.models import Lead, RepProfile
from tests.factories import make_manager, make_rep
from tests.intake_helpers import post_lead, source_with_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS = 20


@pytest.fixture(autouse=True)
def postgres_and_fresh_rate_limits() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's locks")
    cache.clear()


def at_once(count: int, work: Callable[[int], None]) -> None:
    """Run work(0) .. work(count - 1) in threads released together, each on its own
    database connection."""
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_twenty_simultaneous_leads_are_spread_exactly_by_round_robin(team) -> None:
    reps = [make_rep(team=team, username=f"rep{i}") for i in range(4)]
    _, key = source_with_key()
    statuses: list[int] = []

    def post(i: int) -> None:
        response = post_lead(key, {"name": f"Prospect {i}", "email": f"p{i}@example.com"})
        statuses.append(response.status_code)

    at_once(LEADS, post)

    assert statuses == [201] * LEADS
    owners = list(Lead.objects.order_by("pk").values_list("owner_id", flat=True))
    assert len(owners) == LEADS
    assert Counter(owners) == {rep.pk: LEADS // len(reps) for rep in reps}
    # Exactly round robin: in the order the team lock admitted them, the reps take turns.
    assert owners == [rep.pk for rep in reps] * (LEADS // len(reps))


def test_racing_retries_with_one_idempotency_key_store_one_lead(team) -> None:
    make_rep(team=team)
    _, key = source_with_key()
    answers: list[tuple[int, int]] = []

    def post(_: int) -> None:
        body = {"name": "Dana", "email": "dana@example.com"}
        response = post_lead(key, body, **{"Idempotency-Key": "retry-1"})
        answers.append((response.status_code, response.json()["id"]))

    at_once(6, post)

    assert Lead.objects.count() == 1
    assert {lead_id for _, lead_id in answers} == {Lead.objects.get().pk}
    assert sorted(status for status, _ in answers) == [200] * 5 + [201]
    from leads.models import Notification

    assert Notification.objects.filter(channel="email").count() == 1


def test_a_double_submitted_inquiry_goes_to_one_rep(team) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL advisory locks")
    cache.clear()
    for i in range(3):
        make_rep(team=team, username=f"rep{i}")
    _, key = source_with_key()
    at_once(3, lambda _: post_lead(key, {"name": "Dana", "email": "dana@example.com"}))

    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == 3
    assert len({lead.owner_id for lead in leads}) == 1
    # The first stored is new; each later one is linked to an earlier lead of the prospect.
    assert leads[0].previous_lead_id is None
    assert all(
        lead.previous_lead_id in {x.pk for x in leads[:i]} for i, lead in enumerate(leads) if i
    )


def test_simultaneous_leads_never_push_a_rep_past_their_cap(team) -> None:
    manager = make_manager(team=team, username="boss")
    reps = [make_rep(team=team, username=f"rep{i}") for i in range(2)]
    RepProfile.objects.filter(user__in=reps).update(max_open_leads=3)
    _, key = source_with_key()

    at_once(10, lambda i: post_lead(key, {"name": f"P{i}", "email": f"p{i}@example.com"}))

    owners = Counter(Lead.objects.values_list("owner__username", flat=True))
    # Each choice re-checks the open-lead counts after the team lock: 3 each, the rest
    # to the manager, flagged unrouted.
    assert owners == {"rep0": 3, "rep1": 3, "boss": 4}
    assert set(Lead.objects.filter(unrouted=True).values_list("owner", flat=True)) == {manager.pk}
