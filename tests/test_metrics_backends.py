"""PostgreSQL (percentile_cont in the database) and SQLite (the Python fallback) give the
same numbers for the same cohort, to the last bit of every float."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.metrics_data import build_mixed_cohort, mixed_cohort_answers
from tests.sqlite_probes import run_on_sqlite


@pytest.mark.django_db
def test_postgresql_and_sqlite_give_identical_metrics_for_the_same_cohort(tmp_path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL with SQLite; the suite runs on SQLite here")
    build_mixed_cohort()
    on_postgresql = json.loads(json.dumps(mixed_cohort_answers()))

    on_sqlite = run_on_sqlite("tests.metrics_sqlite_probe", tmp_path)

    assert on_sqlite == on_postgresql
    # The cohort really exercises interpolated, sub-second percentiles.
    medians = [row[7] for row in on_postgresql["None"] if row[7] is not None]
    assert any(m != int(m) for m in medians)
