"""Exactly once with real processes: two workers, two beats, duplicate deliveries, SIGKILL
mid-batch and Redis restarted empty, counted in PostgreSQL.

Each test runs a private redis-server and real Celery subprocesses against the test
database with a second-scale ladder (tests/escalation_cluster.py).
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from kombu import Connection

from leadresponse.celery import app
from leads.escalation import SWEEP_HEARTBEAT
from leads.models import EscalationStep, SweepHeartbeat
from tests.cluster import running_cluster, wait_for
from tests.escalation_cluster import (
    FAST_LADDER,
    STEPS_PER_LEAD,
    apply_fast_ladder,
    assert_each_lead_escalated_exactly_once,
    ladder_finished,
    make_team_with_leads,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_ladder(settings) -> None:
    apply_fast_ladder(settings)


def sweeping() -> bool:
    return SweepHeartbeat.objects.filter(name=SWEEP_HEARTBEAT).exists()


def test_two_workers_two_beats_and_duplicate_deliveries_escalate_each_step_once() -> None:
    with running_cluster(**FAST_LADDER) as cluster:
        cluster.start_worker("worker1")
        cluster.start_worker("worker2")
        cluster.start_beat("beat1")
        cluster.start_beat("beat2")
        wait_for(sweeping, timeout=30)
        leads = make_team_with_leads(60, received_at=timezone.now())
        # The same task message delivered twice, repeatedly, on top of both beats.
        with Connection(cluster.redis.url) as conn:
            for n in range(10):
                for _ in range(2):
                    app.send_task(
                        "leads.tasks.escalate_due_leads", task_id=f"duplicate-{n}", connection=conn
                    )
        wait_for(ladder_finished, timeout=180)
    assert_each_lead_escalated_exactly_once(len(leads))
    # No step waited for a redelivery (the broker's visibility timeout is minutes). This is a
    # sanity bound, not the on-time target: lateness is measured by bench/escalation_bench.py,
    # because a loaded 2-core CI machine makes any tighter bound in a test flaky.
    late = [(s.ran_at - s.due_at).total_seconds() for s in EscalationStep.objects.all()]
    assert max(late) < 60


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing() -> None:
    with running_cluster(**FAST_LADDER) as cluster:
        leads = make_team_with_leads(60, received_at=timezone.now())
        total = len(leads) * STEPS_PER_LEAD
        cluster.start_worker("worker1")
        cluster.start_beat("beat1")
        wait_for(lambda: EscalationStep.objects.count() > 30, timeout=30, interval=0.02)
        cluster.kill("worker1")  # SIGKILL to the worker and its pool, transactions open
        done_at_kill = EscalationStep.objects.count()
        assert 0 < done_at_kill < total
        cluster.start_worker("worker2")
        wait_for(ladder_finished, timeout=180)
    assert_each_lead_escalated_exactly_once(len(leads))


def test_redis_restarted_empty_loses_no_escalation() -> None:
    with running_cluster(**FAST_LADDER) as cluster:
        cluster.start_worker("worker1")
        cluster.start_beat("beat1")
        wait_for(sweeping, timeout=30)
        leads = make_team_with_leads(40, received_at=timezone.now())
        wait_for(lambda: EscalationStep.objects.exists(), timeout=30, interval=0.05)
        cluster.redis.restart_empty()
        # Celery 5.7's worker may exit on the lost connection ("Unrecoverable error" while
        # restoring unacked messages); production runs it under a supervisor, as here.
        wait_for(lambda: cluster.respawn_exited_workers() and ladder_finished(), timeout=180)
    assert_each_lead_escalated_exactly_once(len(leads))
