"""Bulk-load 1,000,000 leads over two years into a PostgreSQL database with COPY.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_metrics_bench
    createdb -h 127.0.0.1 -U postgres lr_metrics_bench
    .venv/bin/python bench/generate_leads.py [--leads 1000000] [--days 730]

Creates 4 teams (two time zones), 10 reps and a manager each, an admin and 6 sources, then
leads received over the last `--days` days (busier on weekdays and in office hours), with
first touch / first contact, qualification and orders in realistic shares (faster contact,
better qualification, as the studies found). Existing leads are deleted first. Users:
`bench-manager-0` (team 0), `bench-admin` (all teams).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from leads.models import Lead, RepProfile, Source, Team  # noqa: E402
from leads.roles import Role  # noqa: E402

COLUMNS = [
    "source_id",
    "external_id",
    "team_id",
    "owner_id",
    "unrouted",
    "name",
    "email",
    "phone",
    "company",
    "message",
    "temperature",
    "status",
    "close_reason",
    "close_note",
    "received_at",
    "assigned_at",
    "first_touch_at",
    "first_contact_at",
    "qualified_at",
    "ordered_at",
    "closed_at",
    "respond_by",
    "escalation_level",
    "follow_up_note",
]
TEAMS = [
    ("Berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("Paris", "Europe/Paris"),
    ("Munich", "Europe/Berlin"),
]
BATCH = 100_000
NULL = r"\N"  # COPY's NULL marker; an empty field stays an empty string


def setup_people() -> tuple[list[Team], dict[int, list[int]], list[int]]:
    from django.contrib.auth.models import Group

    users = get_user_model()
    teams, reps = [], {}
    for i, (name, tz) in enumerate(TEAMS):
        team, _ = Team.objects.get_or_create(
            slug=f"bench-{i}", defaults={"name": f"Bench {name}", "time_zone": tz}
        )
        manager, _ = users.objects.get_or_create(username=f"bench-manager-{i}")
        manager.set_password("bench-password")
        manager.save()
        manager.groups.add(Group.objects.get(name=Role.MANAGER))
        team.manager = manager
        team.save()
        reps[team.pk] = []
        for r in range(10):
            user, _ = users.objects.get_or_create(username=f"bench-rep-{i}-{r}")
            user.groups.add(Group.objects.get(name=Role.REP))
            RepProfile.objects.get_or_create(user=user, defaults={"team": team})
            reps[team.pk].append(user.pk)
        teams.append(team)
    admin, _ = users.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    admin.set_password("bench-password")
    admin.save()
    sources = [
        Source.objects.get_or_create(slug=f"bench-{k}", defaults={"name": f"Bench source {k}"})[
            0
        ].pk
        for k in range(6)
    ]
    return teams, reps, sources


def iso(dt: datetime | None) -> str:
    return NULL if dt is None else dt.isoformat()


def received_times(rng: random.Random, *, now: datetime, days: int, n: int) -> list[datetime]:
    """`n` receipt times, oldest first (the order intake writes them, so the table's
    physical order follows received_at as in production). Weekdays and office hours are
    busier: draw a moment, then thin weekends and nights."""
    times = []
    while len(times) < n:
        received = now - timedelta(seconds=rng.random() * days * 86400)
        weekend = received.weekday() >= 5
        night = not 7 <= received.hour <= 19
        if rng.random() < (0.3 if weekend else 1.0) * (0.25 if night else 1.0):
            times.append(received)
    return sorted(times)


def lead_row(
    rng: random.Random, *, received: datetime, now: datetime, teams, reps, sources
) -> list[str]:
    team = rng.choice(teams)
    owner = rng.choice(reps[team.pk])
    temperature = rng.choices(["hot", "warm", "cold"], [2, 5, 3])[0]
    respond_by = received + timedelta(minutes=60)
    touch = contact = qualified = ordered = closed = None
    status, reason = "new", ""
    age = (now - received).total_seconds()
    if rng.random() < 0.88:
        # Log-normal response time, median ~25 minutes, long tail to days.
        seconds = math.exp(rng.gauss(math.log(1500), 1.3))
        touch_seconds = seconds * rng.uniform(0.3, 1.0)
        if touch_seconds < age:
            touch = received + timedelta(seconds=touch_seconds)
        if seconds < age and rng.random() < 0.9:
            contact = received + timedelta(seconds=seconds)
            status = "contacted"
            fast = seconds <= 3600
            if rng.random() < (0.38 if fast else 0.18):
                qualified = contact + timedelta(days=rng.uniform(0.5, 10))
                status = "qualified"
                if rng.random() < 0.35:
                    ordered = closed = qualified + timedelta(days=rng.uniform(1, 30))
                    status = "ordered"
    if status in ("new", "contacted") and age > 3 * 86400 and rng.random() < 0.3:
        status, reason = rng.choice(["disqualified", "lost"]), "not_interested"
        closed = (contact or touch or received) + timedelta(days=rng.uniform(1, 3))
    future = [d for d in (qualified, ordered, closed) if d and d > now]
    if future:  # keep the timeline in the past
        qualified = qualified if qualified and qualified <= now else None
        ordered = closed = None
        status = "qualified" if qualified else ("contacted" if contact else "new")
        reason = ""
    return [
        str(rng.choice(sources)),
        "",
        str(team.pk),
        str(owner),
        "f",
        "Bench Prospect",
        "prospect@example.com",
        "",
        "Example Ltd",
        "How much does it cost?",
        temperature,
        status,
        reason,
        "",
        iso(received),
        iso(received),
        iso(touch),
        iso(contact),
        iso(qualified),
        iso(ordered),
        iso(closed),
        iso(respond_by),
        "0",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (bulk load uses COPY)")
    call_command("migrate", verbosity=0, interactive=False)
    teams, reps, sources = setup_people()
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_lead CASCADE")
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    times = received_times(rng, now=now, days=args.days, n=args.leads)
    loaded = 0
    while loaded < args.leads:
        n = min(BATCH, args.leads - loaded)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for received in times[loaded : loaded + n]:
            writer.writerow(
                lead_row(rng, received=received, now=now, teams=teams, reps=reps, sources=sources)
            )
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY leads_lead ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",  # noqa: S608
                buffer,
            )
        loaded += n
        print(f"{loaded:>9,} leads loaded ({time.monotonic() - started:.0f}s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
    print(f"done: {Lead.objects.count():,} leads in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
