"""Celery tasks: thin wrappers that read the clock once and call a domain function."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from leads import escalation
from leads.notifications import DELIVERY_BATCH, deliver_due_notifications

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Send `task` to the broker once the current transaction commits.

    The database is the source of truth and a periodic job picks up whatever a lost
    message would have done (an upload's import: `import-stalled-files`), so a broker that
    is down is logged, never raised: what the client sent is already stored.
    """

    def send() -> None:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            return  # still in the pause after a failure: the sweep will catch up
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning(
                "broker unavailable: %s not enqueued; the sweep will catch up", task.name
            )

    transaction.on_commit(send)


# A failed publish to an unreachable Redis takes seconds (the client's own connect retries),
# and it happens before the response is sent: after one failure, this process stops trying
# for a while, so only one request per process and pause waits for the broker.
BROKER_PAUSE_SECONDS = 30
_broker_down_until = 0.0


@shared_task
def deliver_notifications() -> None:
    now = timezone.now()
    # Bounded batches: stop when a batch comes back short.
    while deliver_due_notifications(now=now) == DELIVERY_BATCH:
        pass


@shared_task
def import_csv(job_id: int) -> None:
    from leads.imports import run_import_job  # it enqueues tasks: import it lazily

    run_import_job(job_id=job_id, now=timezone.now())


@shared_task
def import_stalled_files() -> None:
    from leads.imports import run_stalled_import_jobs

    run_stalled_import_jobs(now=timezone.now())


@shared_task
def escalate_due_leads() -> None:
    """The beat's escalation sweep: run every due ladder step, then record the heartbeat.

    Safe to run concurrently and to redeliver: leads are claimed with SKIP LOCKED and each
    step is recorded under a unique constraint. The outbox rows it wrote go out with the
    next deliver-notifications run (every LEADS_DELIVERY_INTERVAL_SECONDS).
    """
    now = timezone.now()
    while escalation.escalate_due_leads(now=now) == escalation.SWEEP_BATCH:
        pass
    escalation.record_sweep(now=now)
