"""The metrics dashboard, a rep's own page and the monthly review render the query layer's
numbers, with charts and a table under each."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from metrics.models import Goal
from tests.conftest import client_for
from tests.factories import SourceFactory
from tests.metrics_data import add_lead, berlin, berlin_world

pytestmark = pytest.mark.django_db
NOW = berlin(2026, 3, 20, 12, 0)


@pytest.fixture
def world():
    return berlin_world(source=SourceFactory(name="Web"))


def get(user, name: str, **params):
    with time_machine.travel(NOW, tick=False):
        return client_for(user).get(reverse(name), params)


def test_the_dashboard_shows_charts_with_text_alternatives_and_tables(world) -> None:
    html = get(world["manager"], "metrics:dashboard", weeks=3).content.decode()
    assert html.count('<svg class="chart"') == 5
    assert "<title" in html and "<desc" in html
    assert 'id="table-weekly"' in html and 'id="table-speed"' in html
    # Week of 2 March: 5 leads, median 1h 00m (3630 s), 40% within target.
    assert '<th scope="row">2026-03-02</th><td class="num">5</td>' in html
    assert "1h 00m" in html
    assert "40.0%" in html


def test_the_default_range_is_twelve_weeks(world) -> None:
    html = get(world["manager"], "metrics:dashboard").content.decode()
    assert html.count('<tr><th scope="row">20') == 12 + 12  # weekly and bands tables


def test_a_split_by_source_adds_a_table_per_source(world) -> None:
    html = get(world["manager"], "metrics:dashboard", weeks=4, split="source").content.decode()
    assert 'id="table-split"' in html
    assert '<th scope="row">Web</th>' in html


def test_bad_parameters_fall_back_to_the_defaults_with_an_error(world) -> None:
    response = get(world["manager"], "metrics:dashboard", weeks="lots", split="nonsense")
    assert response.status_code == 200
    assert "Enter a whole number" in response.content.decode()


def test_goals_are_marked_met_or_missed_per_week(world) -> None:
    Goal.objects.create(team=world["team"], metric="within_target_rate", target=Decimal("0.3"))
    html = get(world["manager"], "metrics:dashboard", weeks=3).content.decode()
    assert "Goal: Share contacted within target (at least) 30%" in html
    assert 'class="badge ok">met<' in html  # 40% in the week of 2 March
    assert ">no data<" in html  # the empty week


def test_a_rep_sees_only_their_own_metrics(world) -> None:
    html = get(world["ben"], "metrics:me", weeks=3).content.decode()
    assert "My metrics" in html
    assert '<th scope="row">2026-03-02</th><td class="num">2</td>' in html


def test_a_goal_met_three_months_in_a_row_is_suggested_for_raising(world) -> None:
    team, ana = world["team"], world["ana"]
    Goal.objects.create(team=team, metric="weekly_volume", target=Decimal("0.1"))
    Goal.objects.create(team=team, metric="order_rate", target=Decimal("0.9"))
    for month in (4, 5, 6):
        add_lead(
            team=team, owner=ana, source=SourceFactory(), received_at=berlin(2026, month, 3, 9, 0)
        )
    with time_machine.travel(berlin(2026, 7, 10, 9, 0) + timedelta(hours=1), tick=False):
        html = client_for(world["manager"]).get(reverse("metrics:monthly")).content.decode()
    assert "Time to set more aggressive goals" in html
    suggestion = html.split("Time to set more aggressive goals")[1].split("</div>")[0]
    assert "Weekly lead volume" in suggestion
    assert "Order rate" not in suggestion
