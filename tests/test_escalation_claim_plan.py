"""The sweep's claim query reads the partial index lead_escalation_due (PostgreSQL plan)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from leads.escalation import claim_query

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_claim_query_uses_the_partial_index() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = claim_query(timezone.now()).query.sql_with_params()
        # Planner statistics of an empty table would favour a sequential scan either way;
        # forbid it so the test asks whether the index CAN serve the query's predicate.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "lead_escalation_due" in plan, plan
    assert "SKIP LOCKED" in sql
