"""Escalation lateness, worker memory and claim-query time at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_escalation_bench \\
        .venv/bin/python bench/escalation_bench.py --leads 50000 --window 900

1. Stores `--leads` open, uncontacted leads whose first ladder step falls due uniformly over
   `--window` seconds (the issue's "50,000 due over an hour", compressed), with the default
   ladder settings and sweep interval.
2. Runs a real Celery worker and beat (tests/cluster.py) against a private redis-server and
   the bench database until every one of those steps ran, sampling the worker's RSS (main
   process plus pool children).
3. Reports lateness (ran_at - due_at) p50 / p99 / max against the floor the design implies:
   half a sweep interval on average, one interval at worst.
4. Grows the table to 1,000,000 leads (most without a timer, as in production, where
   contacted and closed leads have none) with --claim-rows claimable, and times the claim
   query (ORM, in a transaction, rolled back) and shows its plan.

The database named in DATABASE_URL is created if missing and emptied: never point this at
data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    exists = subprocess.run(
        ["psql", "-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres",
         "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not exists:
        subprocess.run(
            ["createdb", "-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres",
             name],
            check=True,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )


def rss_kib(pid: int) -> int:
    """RSS of a process and its children (a prefork worker's pool), in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def prepare_bench_team() -> tuple:
    """Empty the bench database (named in DATABASE_URL) and store one team of 10 reps with
    a manager and a source; return (team, reps, source). Sets Django up."""
    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url:
        sys.exit("Set DATABASE_URL to a throwaway database whose name contains 'bench'.")
    ensure_database(url)
    import django

    django.setup()
    from django.db import connection

    from leads.models import RepProfile
    from leads.roles import sync_role_groups
    from tests.factories import SourceFactory, TeamFactory, make_manager, make_rep

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_lead, leads_leadevent, leads_notification, leads_escalationstep,"
            " leads_activity, leads_sweepheartbeat, leads_repprofile, leads_team, leads_source,"
            " leads_webhook, auth_user CASCADE"
        )
    sync_role_groups()
    team = TeamFactory(slug="bench", name="Bench")
    make_manager(team=team, username="bench-manager")
    reps = [make_rep(team=team, username=f"bench-rep{i}") for i in range(10)]
    RepProfile.objects.update(max_open_leads=30000)
    return team, reps, SourceFactory(slug="bench", name="Bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=900, help="seconds the due times span")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool size")
    parser.add_argument("--table-rows", type=int, default=1_000_000)
    parser.add_argument("--claim-rows", type=int, default=50_000)
    parser.add_argument("--skip-run", action="store_true", help="only the claim-query part")
    args = parser.parse_args()

    team, reps, source = prepare_bench_team()
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from leads.escalation import Ladder, claim_query
    from leads.models import Lead
    from tests.cluster import Cluster, RedisServer

    ladder = Ladder.from_settings()

    print(f"machine: {os.cpu_count()} cores; sweep every {settings.LEADS_SWEEP_INTERVAL_SECONDS} s")
    if not args.skip_run:
        start = timezone.now() + timedelta(seconds=40)  # worker and beat boot meanwhile
        step = timedelta(seconds=args.window) / args.leads
        t = time.perf_counter()
        batch = []
        for i in range(args.leads):
            due = start + step * i
            respond_by = due + ladder.reminder_before
            received = respond_by - timedelta(minutes=60)
            batch.append(
                Lead(
                    source=source, team=team, owner=reps[i % len(reps)], name=f"Bench {i}",
                    email=f"bench{i}@example.com", received_at=received, assigned_at=received,
                    respond_by=respond_by, next_escalation_at=due,
                )
            )  # fmt: skip
            if len(batch) == 5000:
                Lead.objects.bulk_create(batch)
                batch = []
        Lead.objects.bulk_create(batch)
        print(f"stored {args.leads} leads in {time.perf_counter() - t:.1f} s")
        # Storing took a while: shift every timer so the window opens after the worker boots
        # (otherwise the first leads are already late when the measurement starts).
        shift = timezone.now() + timedelta(seconds=40) - start
        if shift > timedelta(0):
            Lead.objects.update(
                next_escalation_at=F("next_escalation_at") + shift,
                respond_by=F("respond_by") + shift,
                received_at=F("received_at") + shift,
                assigned_at=F("assigned_at") + shift,
            )
            start += shift
        connection.close()

        redis = RedisServer()
        redis.start()
        workdir = Path(tempfile.mkdtemp(prefix="lr-bench-"))
        env = os.environ.copy()
        env.update(CELERY_BROKER_URL=redis.url, LOG_LEVEL="WARNING", EMAIL_URL="consolemail://")
        cluster = Cluster(redis, workdir, env)
        try:
            worker = cluster.start_worker("worker1", concurrency=args.concurrency)
            cluster.start_beat("beat1")
            samples: list[tuple[float, int]] = []
            while timezone.now() < start:
                time.sleep(1)
            rss_start = rss_kib(worker.pid)
            deadline = time.monotonic() + args.window + 300
            from leads.models import EscalationStep

            while time.monotonic() < deadline:
                samples.append((time.monotonic(), rss_kib(worker.pid)))
                done = EscalationStep.objects.filter(kind="reminder", period=0).count()
                if done >= args.leads:
                    break
                time.sleep(5)
            rss_end = rss_kib(worker.pid)
        finally:
            cluster.stop()
            redis.kill()

        with connection.cursor() as cursor:
            late = "extract(epoch FROM ran_at - due_at)"
            cursor.execute(
                f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY {late}),"
                f" percentile_cont(0.99) WITHIN GROUP (ORDER BY {late}), max({late})"
                " FROM leads_escalationstep WHERE kind = 'reminder' AND period = 0"
            )
            count, p50, p99, worst = cursor.fetchone()
            cursor.execute(
                "SELECT count(*), extract(epoch FROM max(ran_at) - min(ran_at))"
                " FROM leads_escalationstep"
            )
            all_steps, span = cursor.fetchone()
            cursor.execute(
                "SELECT date_trunc('minute', due_at), count(*),"
                f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {late}),"
                f" percentile_cont(0.99) WITHIN GROUP (ORDER BY {late})"
                " FROM leads_escalationstep GROUP BY 1 ORDER BY 1"
            )
            per_minute = cursor.fetchall()
        interval = float(settings.LEADS_SWEEP_INTERVAL_SECONDS)
        rate = args.leads / args.window
        print(f"steps run: {count} of {args.leads} over a {args.window} s window "
              f"({rate:.0f} leads/s), worker concurrency {args.concurrency}")  # fmt: skip
        print(f"lateness p50 {p50:.2f} s, p99 {p99:.2f} s, max {worst:.2f} s (floor: p50 "
              f"~{interval / 2:.1f} s, max ~{interval:.1f} s = the sweep interval)")  # fmt: skip
        print(f"all ladder steps run meanwhile: {all_steps} in {span:.0f} s "
              f"({all_steps / max(span, 1):.1f} steps/s)")  # fmt: skip
        print("per minute of due time (all steps): due, lateness p50 / p99")
        for minute, n, m50, m99 in per_minute:
            print(f"  {minute:%H:%M} {n:6d} {m50:7.1f} s {m99:7.1f} s")
        peak = max(kib for _, kib in samples) if samples else rss_end
        print(f"worker RSS: start {rss_start / 1024:.0f} MiB, end {rss_end / 1024:.0f} MiB, "
              f"peak {peak / 1024:.0f} MiB")  # fmt: skip

    # --- the claim query with a million leads ------------------------------------------
    if args.table_rows == 0:
        return
    existing = Lead.objects.count()
    if existing < args.table_rows:
        fields = [f.column for f in Lead._meta.concrete_fields if f.column not in ("id",)]
        copied = ", ".join(
            "NULL" if c == "next_escalation_at" else ("''" if c == "external_id" else c)
            for c in fields
        )
        t = time.perf_counter()
        with connection.cursor() as cursor:
            if existing == 0:
                Lead.objects.create(
                    source=source, team=team, owner=reps[0], name="Seed", email="s@example.com",
                    received_at=timezone.now(), assigned_at=timezone.now(),
                    respond_by=timezone.now(),
                )  # fmt: skip
                existing = 1
            while existing < args.table_rows:
                cursor.execute(
                    f"INSERT INTO leads_lead ({', '.join(fields)}) "  # noqa: S608 - our columns
                    f"SELECT {copied} FROM leads_lead LIMIT %s",
                    [args.table_rows - existing],
                )
                existing += cursor.rowcount
            # Claimable timers on a random sample, the rest none (contacted or closed).
            cursor.execute("UPDATE leads_lead SET next_escalation_at = NULL")
            cursor.execute(
                "UPDATE leads_lead SET next_escalation_at = now() - random() * interval '1 hour'"
                " WHERE id IN (SELECT id FROM leads_lead ORDER BY random() LIMIT %s)",
                [args.claim_rows],
            )
            cursor.execute("VACUUM ANALYZE leads_lead")
        print(f"grew the table to {existing} leads in {time.perf_counter() - t:.0f} s")
    timings = []
    for _ in range(200):
        with transaction.atomic():
            t = time.perf_counter()
            lead = next(iter(claim_query(timezone.now())), None)
            timings.append((time.perf_counter() - t) * 1000)
            transaction.set_rollback(True)
    assert lead is not None
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = claim_query(timezone.now()).query.sql_with_params()
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    timings.sort()
    print(f"claim query with {Lead.objects.count()} leads ({args.claim_rows} due): "
          f"p50 {statistics.median(timings):.2f} ms, p99 {timings[197]:.2f} ms "
          f"(target < 10 ms)")  # fmt: skip
    print("plan: " + next(line.strip() for line in plan if "Index" in line))
    print(next(line for line in plan if "Execution Time" in line))


if __name__ == "__main__":
    main()
