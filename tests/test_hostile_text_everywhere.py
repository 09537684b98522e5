"""A prospect's text is shown escaped wherever it appears, and never reaches the logs.

A lead posted with markup and a formula-looking name must render as text on the rep's
queue, the team queue and the manager's board, come out verbatim as data in the CSV export,
and neither the source's key nor the prospect's message may be written to any log line.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from leads.models import Lead
from tests.conftest import client_for
from tests.factories import make_manager
from tests.intake_helpers import post_lead, source_with_key

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'  # the company: shown, never run


@pytest.fixture
def hostile_lead(rep, team) -> Lead:
    cache.clear()
    _, key = source_with_key(team=team)
    response = post_lead(
        key, {"name": SCRIPT, "company": FORMULA, "email": "h@example.com", "message": SCRIPT}
    )
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    # Overdue, so it is listed on the board and in the overdue export too.
    Lead.objects.filter(pk=lead.pk).update(
        received_at=timezone.now() - timedelta(minutes=90),
        respond_by=timezone.now() - timedelta(minutes=30),
    )
    return lead


@pytest.mark.parametrize("page", ["/leads/", "/leads/?tab=all", "/team/", "/board/"])
def test_markup_in_a_lead_is_shown_as_text(hostile_lead, rep, team, page) -> None:
    viewer = rep if page.startswith("/leads/") else make_manager(team=team)
    response = client_for(viewer).get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;" in html  # the name is there, as text
    assert "<script>alert" not in html and "<img src=x" not in html


def test_the_overdue_export_keeps_markup_as_plain_data(hostile_lead, team) -> None:
    # Formula neutralising is tested on the exports whose cells start with stored text
    # (tests/test_metrics_csv.py); here the markup must come out verbatim, as data.
    response = client_for(make_manager(team=team)).get("/metrics/export/overdue.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["Lead"] for row in rows] == [f"#{hostile_lead.pk} {SCRIPT}"]


def test_keys_and_message_bodies_never_reach_the_logs(rep, team, caplog) -> None:
    cache.clear()
    _, key = source_with_key(team=team)
    secret_message = "my-private-question-7f3a"
    with caplog.at_level(logging.DEBUG):
        responses = [
            post_lead(key, {"name": "P", "email": "p@example.com", "message": secret_message}),
            post_lead(key, {"name": "", "message": secret_message}),
            post_lead(key[:-2] + "xx", {"name": "P", "phone": "1", "message": secret_message}),
        ]
    assert [response.status_code for response in responses] == [201, 400, 401]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "the requests above should have logged something"
    assert key not in logged and key[:-2] not in logged
    assert secret_message not in logged
