"""Run as a separate process with DATABASE_URL pointing at an SQLite file (the database of
`make run` without environment): migrate, post leads through the API and print what was
stored as JSON (tests/test_intake_sqlite.py)."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from leads.models import Lead  # noqa: E402
from tests.factories import TeamFactory, make_rep  # noqa: E402
from tests.intake_helpers import post_lead, source_with_key  # noqa: E402

setup_test_environment()  # the test client's host, the in-memory mail outbox
call_command("migrate", verbosity=0, interactive=False)
team = TeamFactory(name="Team A", slug="team-a", is_default=True)
for i in range(3):
    make_rep(team=team, username=f"rep{i}")
_, key = source_with_key()
statuses = [
    post_lead(key, {"name": f"P{i}", "email": f"p{i}@example.com"}).status_code for i in range(6)
]
repeat = post_lead(key, {"name": "P1 again", "email": "p1@example.com"})
Lead.objects.filter(pk=repeat.json()["id"]).delete()  # the newest id is not handed out again
after_delete = post_lead(key, {"name": "P9", "email": "p9@example.com"})
json.dump(
    {
        "statuses": [*statuses, repeat.status_code, after_delete.status_code],
        "leads": list(
            Lead.objects.order_by("pk").values_list("pk", "owner__username", "previous_lead")
        ),
        "repeat_id": repeat.json()["id"],
        "repeat_owner": repeat.json()["assigned_to"]["username"],
    },
    sys.stdout,
)
