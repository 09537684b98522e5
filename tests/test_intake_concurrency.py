"""Twenty leads posted at once by real threads against PostgreSQL: round robin holds."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection

from leads.models import Lead
from tests.factories import make_rep
from tests.intake_helpers import post_lead, source_with_key

LEADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_leads_are_spread_exactly_by_round_robin(team) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    cache.clear()
    reps = [make_rep(team=team, username=f"rep{i}") for i in range(4)]
    _, key = source_with_key()
    start = threading.Barrier(LEADS)
    statuses: list[int] = []

    def post(i: int) -> None:
        try:
            start.wait()
            response = post_lead(key, {"name": f"Prospect {i}", "email": f"p{i}@example.com"})
            statuses.append(response.status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=post, args=(i,)) for i in range(LEADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [201] * LEADS
    owners = list(Lead.objects.order_by("pk").values_list("owner_id", flat=True))
    assert len(owners) == LEADS
    assert Counter(owners) == {rep.pk: LEADS // len(reps) for rep in reps}
    # Exactly round robin: in the order the team lock admitted them, the reps take turns.
    assert owners == [rep.pk for rep in reps] * (LEADS // len(reps))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_idempotency_key_store_one_lead(team) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    cache.clear()
    make_rep(team=team)
    _, key = source_with_key()
    start = threading.Barrier(6)
    answers: list[tuple[int, int]] = []

    def post() -> None:
        try:
            start.wait()
            body = {"name": "Dana", "email": "dana@example.com"}
            response = post_lead(key, body, **{"Idempotency-Key": "retry-1"})
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Lead.objects.count() == 1
    assert {lead_id for _, lead_id in answers} == {Lead.objects.get().pk}
    assert sorted(status for status, _ in answers) == [200] * 5 + [201]
    from leads.models import Notification

    assert Notification.objects.filter(channel="email").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_inquiry_goes_to_one_rep(team) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL advisory locks")
    cache.clear()
    for i in range(3):
        make_rep(team=team, username=f"rep{i}")
    _, key = source_with_key()
    start = threading.Barrier(3)

    def post() -> None:
        try:
            start.wait()
            post_lead(key, {"name": "Dana", "email": "dana@example.com"})
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == 3
    assert len({lead.owner_id for lead in leads}) == 1
    # The first stored is new; each later one is linked to an earlier lead of the prospect.
    assert leads[0].previous_lead_id is None
    assert all(
        lead.previous_lead_id in {x.pk for x in leads[:i]} for i, lead in enumerate(leads) if i
    )
