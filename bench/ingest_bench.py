"""Ingest benchmark: the real app under gunicorn against PostgreSQL versus a floor.

For each of the floor (bench/floor_urls.py: parse JSON, insert one row) and the real
`POST /api/v1/leads` (auth, validation, dedupe, routing, assignment under the team lock,
insert, events, notification outbox), start gunicorn with the same options, post valid
leads at each concurrency for a fixed time, in rounds that alternate the two, and report
requests/s, p50/p99 latency and the CPU spent per request side by side. Targets (issue
3): at concurrency 16 the app reaches >= 40% of the floor's throughput with p99 <= 3x the
floor's, and no request fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_intake_bench \\
        .venv/bin/python bench/ingest_bench.py [--seconds 5] [--rounds 3] [--concurrency 8 16 32]

The database named by DATABASE_URL is created if missing, migrated, and its leads are
deleted before the run: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/lr_intake_bench"
REPS = 10
# Reps work their leads: every CLOSE_EVERY seconds the closer marks the leads posted so far
# lost, so each rep holds a realistic handful of open leads under the default cap of 25.
# Without it ten reps would hold thousands of open leads each by the end of a run, which a
# real team never reaches (intake stops routing to a rep at the cap) and which intake's
# capacity check would count on every lead.
CLOSE_EVERY = 0.25
# A production lead table holds history: closed leads of past weeks. Planning against an
# empty table (the bench's state after deleting the previous run's leads) picks sequential
# scans for the foreign-key checks and prospect lookups, which then cost more with every
# lead posted; real databases never see that.
HISTORY = 50_000
# Every closed lead leaves dead entries in the open-lead partial indexes until a vacuum.
# Over a working day autovacuum keeps pace with reps closing leads; the bench squeezes a
# day's closes into seconds, so the closer vacuums leads_lead as often as autovacuum would
# by dead-row count (its default scale factor: 20% of the table).
VACUUM_EVERY_CLOSED = HISTORY // 5


@dataclass
class Result:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    first_error: bytes = b""
    cpu: dict[str, float] | None = None  # CPU seconds spent per request, by process group

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def prepare_database(database_url: str) -> str:
    """Create, migrate and seed the bench database; return a source API key."""
    name = urlsplit(database_url).path.lstrip("/")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
        capture_output=True,
        check=False,
    )
    env = os.environ | {"DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from leads.models import ApiKey, Lead, Notification, RepProfile, Source, Team
    from leads.roles import Role, sync_role_groups

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_row (id bigserial PRIMARY KEY, "
            "name text NOT NULL, email text NOT NULL, created_at timestamptz NOT NULL)"
        )
        cursor.execute("TRUNCATE bench_floor_row")
    Notification.objects.all().delete()
    Lead.objects.all().delete()
    sync_role_groups()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    team, _ = Team.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "is_default": True}
    )
    rep_group = Group.objects.get(name=Role.REP)
    for i in range(REPS):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-rep-{i}", defaults={"email": f"bench-rep-{i}@example.com"}
        )
        user.groups.add(rep_group)
        RepProfile.objects.update_or_create(
            user=user, defaults={"team": team, "max_open_leads": 25, "is_available": True}
        )
    source, _ = Source.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    _, raw = ApiKey.issue(source=source, name="bench")
    with connection.cursor() as cursor:
        seed_history(cursor, team_id=team.pk, source_id=source.pk)
    connection.close()
    # Start from what autovacuum leaves a production database in, not from the dead rows of
    # the previous run (they would slow the first seconds' index scans).
    subprocess.run(
        ["vacuumdb", "-h", "127.0.0.1", "-U", "postgres", "-q", "-z", "-d", name],
        check=True,
    )
    return raw


def seed_history(cursor, *, team_id: int, source_id: int) -> None:
    """HISTORY closed leads of the bench reps, received over the past 30 days."""
    cursor.execute(
        """
        INSERT INTO leads_lead (
            source_id, team_id, owner_id, unrouted, external_id, name, email, phone, company,
            message, temperature, status, close_reason, close_note, received_at, assigned_at,
            first_touch_at, first_contact_at, closed_at, respond_by, escalation_level,
            follow_up_note)
        SELECT %(source)s, %(team)s, rep.user_id, false, '', 'Earlier Prospect',
               'history-' || n || '@example.com', '', '', '', 'warm', 'lost', 'unreachable',
               '', at, at, at + interval '20 minutes', at + interval '20 minutes',
               at + interval '3 days', at + interval '1 hour', 0, ''
        FROM generate_series(1, %(count)s) AS n
        CROSS JOIN LATERAL (
            SELECT now() - interval '30 days' * n / %(count)s AS at) AS received
        JOIN (SELECT user_id, row_number() OVER (ORDER BY id) - 1 AS i
              FROM leads_repprofile WHERE team_id = %(team)s) AS rep
          ON rep.i = n %% %(reps)s
        """,
        {"source": source_id, "team": team_id, "count": HISTORY, "reps": REPS},
    )


class Closer(threading.Thread):
    """Closes every open lead each CLOSE_EVERY seconds, as reps working their queues would."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.stopped = threading.Event()

    def run(self) -> None:
        import psycopg2

        db = psycopg2.connect(self.database_url)
        db.autocommit = True
        closed = 0
        try:
            with db.cursor() as cursor:
                while not self.stopped.wait(CLOSE_EVERY):
                    cursor.execute(
                        "UPDATE leads_lead SET status = 'lost', close_reason = 'unreachable', "
                        "closed_at = now(), next_escalation_at = NULL WHERE status = 'new'"
                    )
                    closed += cursor.rowcount
                    if closed >= VACUUM_EVERY_CLOSED:
                        cursor.execute("VACUUM leads_lead")
                        closed = 0
        finally:
            db.close()


def cpu_seconds(gunicorn_pid: int) -> dict[str, float]:
    """CPU time used so far by gunicorn (master and workers), PostgreSQL's processes and
    this process (the load generator and the closer), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"gunicorn": 0.0, "postgres": 0.0, "loadgen": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:  # gone since listed
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        if gunicorn_pid in (int(pid), int(fields[1])):
            used["gunicorn"] += seconds
        elif name.startswith("postgres"):
            used["postgres"] += seconds
        elif int(pid) == os.getpid():
            used["loadgen"] += seconds
    return used


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(settings_module: str, port: int, database_url: str, args: argparse.Namespace):
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "LEADS_API_RATE_LIMIT": "1000000/s",
        "CELERY_BROKER_URL": args.broker,
    }
    cmd = [
        sys.executable, "-m", "gunicorn", "leadresponse.wsgi",
        "-b", f"127.0.0.1:{port}",
        "-w", str(args.workers), "-k", args.worker_class, "--threads", str(args.threads),
        "--keep-alive", "30", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


async def one_client(port: int, key: str, stop_at: float, result: Result, run_id: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.monotonic() < stop_at:
            n += 1
            body = json.dumps(
                {
                    "name": "Bench Prospect",
                    "email": f"{run_id}-{id(writer)}-{n}@example.com",
                    "message": "What does it cost?",
                }
            ).encode()
            request = (
                f"POST /api/v1/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.monotonic()
            writer.write(request)
            status_line = await reader.readline()
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            response_body = await reader.readexactly(length)
            result.latencies.append(time.monotonic() - started)
            result.requests += 1
            if not status_line.startswith(b"HTTP/1.1 201"):
                result.errors += 1
                result.first_error = result.first_error or (status_line + response_body)[:300]
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def load(port: int, key: str, concurrency: int, seconds: float) -> Result:
    result = Result(concurrency, 0, 0, seconds, [])
    stop_at = time.monotonic() + seconds
    run_id = uuid.uuid4().hex[:8]
    started = time.monotonic()
    await asyncio.gather(
        *(one_client(port, key, stop_at, result, f"{run_id}{i}") for i in range(concurrency))
    )
    result.seconds = time.monotonic() - started
    return result


SERVERS = {"floor": "bench.floor_settings", "intake": "leadresponse.settings"}


def run_load(name: str, port: int, pid: int, key: str, concurrency: int, seconds: float) -> Result:
    before = cpu_seconds(pid)
    result = asyncio.run(load(port, key, concurrency, seconds))
    after = cpu_seconds(pid)
    result.cpu = {group: (after[group] - before[group]) / result.requests for group in after}
    cpu = "  ".join(f"{group} {s * 1000:.2f}" for group, s in result.cpu.items())
    print(
        f"{name:6} c={concurrency:<3} {result.rps:7.0f} req/s  p50 {result.pct(0.5):6.1f} ms  "
        f"p99 {result.pct(0.99):6.1f} ms  errors {result.errors}  CPU ms/request: {cpu}",
        flush=True,
    )
    if result.first_error:
        print(f"  first error: {result.first_error!r}", flush=True)
    return result


def measure(key: str, args: argparse.Namespace) -> dict[tuple[str, int], list[Result]]:
    """Rounds of floor then intake at each concurrency, both servers up the whole time, so
    that a machine that speeds up or slows down (shared cores) affects both alike."""
    servers = {name: (free_port(), settings) for name, settings in SERVERS.items()}
    procs = {
        name: start_gunicorn(settings, port, args.database_url, args)
        for name, (port, settings) in servers.items()
    }
    closer = Closer(args.database_url)
    closer.start()
    results: dict[tuple[str, int], list[Result]] = {}
    try:
        for port, _ in servers.values():  # warm up: connections, imports, caches
            asyncio.run(load(port, key, 8, 2))
        for _ in range(args.rounds):
            for c in args.concurrency:
                for name, (port, _) in servers.items():
                    result = run_load(name, port, procs[name].pid, key, c, args.seconds)
                    results.setdefault((name, c), []).append(result)
        return results
    finally:
        closer.stopped.set()
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 32])
    # Sync workers: one request per process. Threads would make every query of the
    # team-locked section wait for the GIL (5 ms switch interval) while the lock is held.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    args.database_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if not args.database_url.endswith("_bench"):
        parser.error("DATABASE_URL must name a database ending in _bench (it is emptied)")
    key = prepare_database(args.database_url)
    results = measure(key, args)

    print(
        f"\nMedians of {args.rounds} rounds; the ratios are taken within each round.\n"
        "\n| concurrency | floor req/s | intake req/s | ratio | floor p50 / p99 ms "
        "| intake p50 / p99 ms | p99 ratio | CPU ms/request floor / intake | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ok, target = True, ""
    for c in args.concurrency:
        floors, apps = results["floor", c], results["intake", c]
        rps_ratio = median(a.rps / f.rps for f, a in zip(floors, apps, strict=True))
        p99_ratio = median(a.pct(0.99) / f.pct(0.99) for f, a in zip(floors, apps, strict=True))
        cpu = [median(sum(r.cpu.values()) for r in runs) * 1000 for runs in (floors, apps)]
        errors = [sum(r.errors for r in runs) for runs in (floors, apps)]
        f_p50, f_p99, a_p50, a_p99 = (
            median(r.pct(p) for r in runs) for runs in (floors, apps) for p in (0.5, 0.99)
        )
        print(
            f"| {c} | {median(r.rps for r in floors):.0f} | {median(r.rps for r in apps):.0f} "
            f"| {rps_ratio:.0%} | {f_p50:.1f} / {f_p99:.1f} | {a_p50:.1f} / {a_p99:.1f} "
            f"| {p99_ratio:.1f}x | {cpu[0]:.2f} / {cpu[1]:.2f} | {errors[0]} / {errors[1]} |"
        )
        ok = ok and not any(errors)
        if c == 16:
            met = rps_ratio >= 0.4 and p99_ratio <= 3
            ok = ok and met
            target = (
                f"target at c=16 (>= 40% throughput, p99 <= 3x floor): {'met' if met else 'MISSED'}"
            )
    if 16 in args.concurrency:
        print(f"\n{target}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
