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
