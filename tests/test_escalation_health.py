"""A dead beat is visible: /api/v1/health turns 503 and managers see a banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from leads.escalation import record_sweep, sweep_health
from tests.cluster import free_port
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db]

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def test_health_is_200_while_sweeps_complete(settings) -> None:
    record_sweep(now=T0)
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "escalations": "ok",
        "last_sweep_at": "2026-06-15T10:00:00Z",
    }


def test_health_is_503_when_sweeps_stop(settings) -> None:
    record_sweep(now=T0)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        response = Client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["escalations"] == "stale"
    assert response.json()["last_sweep_at"] == "2026-06-15T10:00:00Z"


def test_health_is_503_when_the_broker_is_down(settings) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
    record_sweep(now=T0)
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        response = Client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_no_sweep_ever_is_stale() -> None:
    assert sweep_health(T0).stale


def test_managers_see_a_banner_when_escalations_are_stale(manager, rep) -> None:
    record_sweep(now=T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        manager_page = client_for(manager).get("/notifications/")
        rep_page = client_for(rep).get("/notifications/")
    assert b"Escalations are not running" in manager_page.content
    assert b"Escalations are not running" not in rep_page.content


def test_no_banner_while_sweeps_complete(manager) -> None:
    record_sweep(now=T0)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        page = client_for(manager).get("/notifications/")
    assert b"Escalations are not running" not in page.content
