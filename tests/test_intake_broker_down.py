"""With the broker unreachable, the real app still stores and assigns a posted lead."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from leads.models import Lead, Notification
from tests.factories import make_rep
from tests.intake_helpers import source_with_key

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lead_is_stored_and_assigned_when_the_broker_does_not_answer(team) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the app process must share the test database")
    rep = make_rep(team=team)
    _, key = source_with_key()
    db = connection.settings_dict
    web, dead = free_port(), free_port()  # nothing listens on `dead`
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{dead}/0",
        "DJANGO_SETTINGS_MODULE": "leadresponse.settings",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "leadresponse.wsgi",
            "-b",
            f"127.0.0.1:{web}",
            "-w",
            "1",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", web), 0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        results = [post(web, key, email) for email in ("dana@example.com", "sam@example.com")]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)

    for status, body, _ in results:
        assert status == 201, stderr.decode()
        lead = Lead.objects.get(pk=body["id"])
        assert lead.owner == rep
        # The outbox row waits for the delivery run; the broker being down lost nothing.
        assert Notification.objects.filter(lead=lead, channel="email", state="pending").exists()
    # Intake never talks to the broker, so no request waits for its connect retries.
    assert b"broker unavailable" not in stderr
    assert max(seconds for _, _, seconds in results) < 2


def post(port: int, key: str, email: str) -> tuple[int, dict, float]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/leads",
        data=json.dumps({"name": "Dana", "email": email}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read()), time.monotonic() - started
