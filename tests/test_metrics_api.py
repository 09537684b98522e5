"""GET /api/v1/metrics/weekly and /daily: the hand-built cohort's known answers as JSON."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from leads.models import ApiToken
from tests.factories import SourceFactory, TeamFactory, make_manager
from tests.metrics_data import EXPECTED_WEEK_1, EXPECTED_WEEK_2, berlin, berlin_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return berlin_world(source=SourceFactory())


def api_get(user, path: str, **params):
    _, raw = ApiToken.issue(user=user)
    return Client().get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_weekly_returns_each_week_with_rates_as_fractions_and_nulls(world) -> None:
    response = api_get(
        world["manager"], "/api/v1/metrics/weekly", start="2026-03-02", end="2026-03-15"
    )
    assert response.status_code == 200
    assert response.json() == {"weeks": [EXPECTED_WEEK_1, EXPECTED_WEEK_2]}


def test_weekly_start_and_end_may_be_any_day_of_their_weeks(world) -> None:
    response = api_get(
        world["manager"], "/api/v1/metrics/weekly", start="2026-03-08", end="2026-03-10"
    )
    assert [w["week_start"] for w in response.json()["weeks"]] == ["2026-03-02", "2026-03-09"]


def test_weekly_filters_by_rep_and_temperature(world) -> None:
    by_rep = api_get(
        world["manager"],
        "/api/v1/metrics/weekly",
        start="2026-03-02",
        end="2026-03-02",
        rep=world["ben"].pk,
    ).json()["weeks"][0]
    assert (by_rep["leads"], by_rep["never_contacted"], by_rep["contacted_within_target"]) == (
        2,
        1,
        0,
    )
    hot = api_get(
        world["manager"],
        "/api/v1/metrics/weekly",
        start="2026-03-02",
        end="2026-03-02",
        temperature="hot",
    ).json()["weeks"][0]
    assert (hot["leads"], hot["response_seconds_median"], hot["within_target_rate"]) == (
        1,
        300.0,
        1.0,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2026-03-02"}, "start"),
        ({"start": "2026-03-32", "end": "2026-03-02"}, "start"),
        ({"start": "2026-03-09", "end": "2026-03-02"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-02"}, "end"),
        ({"start": "2026-03-02", "end": "2026-03-02", "temperature": "lukewarm"}, "temperature"),
        ({"start": "2026-03-02", "end": "2026-03-02", "team": "x"}, "team"),
        ({"start": "2026-03-02", "end": "2026-03-02", "source": ""}, "source"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(world, params, field) -> None:
    response = api_get(world["manager"], "/api/v1/metrics/weekly", **params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_another_managers_team_is_refused(world) -> None:
    other = make_manager(team=TeamFactory(name="Other", slug="other"), username="other")
    response = api_get(
        other,
        "/api/v1/metrics/weekly",
        start="2026-03-02",
        end="2026-03-02",
        team=world["team"].pk,
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"team": ["No such team among yours."]}}
    own = api_get(other, "/api/v1/metrics/weekly", start="2026-03-02", end="2026-03-02")
    assert own.json()["weeks"][0]["leads"] == 0


def test_a_rep_token_may_not_read_metrics(world) -> None:
    response = api_get(world["ana"], "/api/v1/metrics/weekly", start="2026-03-02", end="2026-03-02")
    assert response.status_code == 403
    assert "errors" in response.json()


def test_daily_returns_the_board_buckets(world) -> None:
    with time_machine.travel(berlin(2026, 3, 6, 12, 0), tick=False):
        response = api_get(world["manager"], "/api/v1/metrics/daily", date="2026-03-06")
    body = response.json()
    assert body["date"] == "2026-03-06"
    assert body["time_zone"] == "Europe/Berlin"
    assert (body["leads"], body["followed_up"], body["followed_up_rate"]) == (1, 1, 1.0)
    assert body["buckets"] == {
        "contacted_within_target": 0,
        "contacted_late": 0,
        "touched_not_reached": 0,
        "overdue_open": 0,
        "disqualified_or_lost": 1,
        "not_yet_due": 0,
    }
    assert body["reps"][0]["rep_id"] == world["ben"].pk
    assert body["overdue"] == []


def test_both_endpoints_are_in_the_openapi_schema() -> None:
    schema = Client().get("/api/v1/schema", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/metrics/weekly" in schema
    assert "/api/v1/metrics/daily" in schema
    assert "within_target_rate" in schema
