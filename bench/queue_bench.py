"""Render a rep's queue with 500 open leads, server-side; report the median in ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadresponse \
        .venv/bin/python bench/queue_bench.py [--leads 500] [--runs 50]

It creates a throwaway test database (`test_<name>`), fills it, and renders `/leads/` through
Django's test client (the whole stack: middleware, session, permission checks, queries,
templates) as the rep who owns the leads. The floor, measured in the same run, is the same
page with an empty queue: the difference is what the 500 rows cost. Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET_MS = 100.0


def timed(clients: dict[str, Client], url: str, runs: int) -> dict[str, tuple[float, float, int]]:
    """Median wall and CPU ms per client. Runs alternate between the clients so that both
    see the same machine load (this machine is shared; the load moves during a run)."""
    for client in clients.values():
        client.get(url)  # warm: template loading, connection
    wall: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    size: dict[str, int] = {}
    for _ in range(runs):
        for name, client in clients.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, response.status_code
            size[name] = len(response.content)
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name]), size[name])
        for name in clients
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from leads.models import Lead
        from tests.factories import SourceFactory, TeamFactory, make_rep

        team = TeamFactory(slug="bench", time_zone="Europe/Berlin")
        busy, idle = make_rep(team=team, username="busy"), make_rep(team=team, username="idle")
        source = SourceFactory(slug="bench")
        now = timezone.now()
        Lead.objects.bulk_create(
            Lead(
                team=team,
                owner=busy,
                source=source,
                name=f"Prospect {i}",
                company=f"Company {i}",
                email=f"p{i}@example.com",
                message="How much does it cost?\nAnd how soon can you deliver?",
                temperature=("hot", "warm", "cold")[i % 3],
                received_at=now - timedelta(minutes=i % 180),
                assigned_at=now - timedelta(minutes=i % 180),
                respond_by=now + timedelta(minutes=60 - i % 180),
                status="new" if i % 4 else "contacted",
                first_touch_at=None if i % 4 else now - timedelta(minutes=1),
                first_contact_at=None if i % 4 else now - timedelta(minutes=1),
            )
            for i in range(args.leads)
        )
        full, empty = Client(), Client()
        full.force_login(busy)
        empty.force_login(idle)
        result = timed({"empty": empty, "full": full}, "/leads/", args.runs)
        (floor_ms, floor_cpu, floor_size), (queue_ms, queue_cpu, queue_size) = (
            result["empty"],
            result["full"],
        )
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f}, {connection.vendor}")
        print(
            f"empty queue (floor): median {floor_ms:.1f} ms wall, {floor_cpu:.1f} ms CPU, "
            f"{floor_size / 1024:.0f} KiB"
        )
        print(
            f"queue, {args.leads} open leads: median {queue_ms:.1f} ms wall, "
            f"{queue_cpu:.1f} ms CPU, {queue_size / 1024:.0f} KiB "
            f"({queue_ms - floor_ms:.1f} ms over the floor)"
        )
        verdict = "within" if queue_ms < TARGET_MS else "OVER"
        print(f"target < {TARGET_MS:.0f} ms wall: {verdict}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
