"""Sweep cost per ladder step, in process: batched claim vs one lead per transaction.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_escperf_bench \\
        .venv/bin/python bench/escalation_step_rate.py --leads 3000

Stores `--leads` open leads (one team, 10 reps, a webhook) whose reminder is due, and sweeps
half with the floor, the pre-batching path (claim one lead, run its step, commit, per lead),
then the other half with the batched sweep (`escalation.escalate_due_leads`), in the same
run. Prints steps/s and statements per step for each. No Celery: this is the domain code's
capacity per process; bench/escalation_bench.py measures the real worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3000)
    args = parser.parse_args()
    from escalation_bench import prepare_bench_team

    team, reps, source = prepare_bench_team()
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from leads import escalation
    from leads.models import Lead, Webhook

    Webhook.objects.create(team=team, url="http://127.0.0.1:9/hook")
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            source=source, team=team, owner=reps[i % 10], name=f"Bench {i}",
            email=f"bench{i}@example.com", received_at=now - timedelta(minutes=50),
            assigned_at=now - timedelta(minutes=50), respond_by=now + timedelta(minutes=10),
            next_escalation_at=now - timedelta(seconds=1),
        )
        for i in range(args.leads)
    )  # fmt: skip
    ladder = escalation.Ladder.from_settings()

    def one_per_transaction(at, limit: int) -> int:
        done = 0
        while done < limit:
            with transaction.atomic(durable=True):
                lead = escalation.claim_query(at).first()
                if lead is None:
                    break
                escalation._run_or_retry_later(lead, now=max(at, timezone.now()), ladder=ladder)
            done += 1
        return done

    def batched(at, limit: int) -> int:
        return escalation.escalate_due_leads(now=at, limit=limit)

    connection.queries_log = deque(maxlen=10**6)  # count every statement, not the last 9000
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    # Half the reminders with the floor path, the other half batched: same data, same run.
    for label, sweep in (
        ("one lead per transaction (floor)", one_per_transaction),
        (f"batched (CLAIM_BATCH {escalation.CLAIM_BATCH})", batched),
    ):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            ran = sweep(timezone.now(), args.leads // 2)
            elapsed = time.perf_counter() - t
        print(f"{label}: {ran} reminders in {elapsed:.1f} s = {ran / elapsed:.0f} steps/s, "
              f"{len(queries) / max(ran, 1):.2f} statements/step")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
