"""Time the board, the metrics dashboard and the metrics API on the 1M-lead database.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_metrics_bench
    .venv/bin/python bench/generate_leads.py          # once: 1,000,000 leads over two years
    .venv/bin/python bench/metrics_bench.py [--repeat 7]

Each request goes through the whole Django stack (middleware, session, template or JSON)
with the test client, as a team's manager (one team, ~250k leads) and as an admin (all
teams, 1M leads). The floor, measured in the same run, is a bare `count(*)` over the same
window, which no page can beat. Median and worst of the repeats are printed with the goal.
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from leads.models import ApiToken, Lead  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm up: connection, caches, first plan
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def page(client: Client, path: str, **params):
    def run():
        response = client.get(path, params)
        assert response.status_code == 200, (path, response.status_code)

    return run


def floor(days: int):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM leads_lead WHERE received_at >= %s",
                [timezone.now() - timedelta(days=days)],
            )
            cursor.fetchone()

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    setup_test_environment()
    users = get_user_model().objects
    today = timezone.now().date()
    start_12, start_52 = today - timedelta(weeks=11), today - timedelta(weeks=51)
    print(f"leads: {Lead.objects.count():,}; cpus: {os.cpu_count()}")
    print(f"{'what':58} {'median ms':>10} {'worst ms':>9} {'goal ms':>8}")
    for who in ("bench-manager-0", "bench-admin"):
        user = users.get(username=who)
        client = Client()
        client.force_login(user)
        _, raw = ApiToken.issue(user=user)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        cases = [
            ("floor: count(*) over 12 weeks", floor(84), None),
            ("floor: count(*) over 52 weeks", floor(364), None),
            ("board /board/ (today)", page(client, "/board/"), 500),
            (
                "board /board/ (yesterday)",
                page(client, "/board/", day=str(today - timedelta(days=1))),
                500,
            ),
            ("dashboard /metrics/ (12 weeks)", page(client, "/metrics/"), 500),
            (
                "dashboard /metrics/ (12 weeks, split by rep)",
                page(client, "/metrics/", split="rep"),
                500,
            ),
            (
                "API weekly, 12 weeks",
                page(api, "/api/v1/metrics/weekly", start=str(start_12), end=str(today)),
                300,
            ),
            (
                "API weekly, 52 weeks",
                page(api, "/api/v1/metrics/weekly", start=str(start_52), end=str(today)),
                1000,
            ),
            ("API daily", page(api, "/api/v1/metrics/daily"), 500),
        ]
        for name, fn, goal in cases:
            median, worst = timed(fn, args.repeat)
            verdict = "" if goal is None else ("ok" if median < goal else "SLOW")
            print(f"{who + ': ' + name:58} {median:10.1f} {worst:9.1f} {goal or '':>8} {verdict}")


if __name__ == "__main__":
    main()
