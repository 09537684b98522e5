"""CSV exports: the numbers of the tables shown, raw; formula-looking text neutralised."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from metrics.exports import neutralise, table_csv
from metrics.tables import Column, Table
from tests.conftest import client_for
from tests.factories import SourceFactory
from tests.metrics_data import EXPECTED_WEEK_1, add_lead, berlin, berlin_world

pytestmark = pytest.mark.django_db
NOW = berlin(2026, 3, 20, 12, 0)


@pytest.fixture
def world():
    return berlin_world(source=SourceFactory(name="=HYPERLINK()"))


def download(user, table: str, **params) -> list[dict[str, str]]:
    with time_machine.travel(NOW, tick=False):
        response = client_for(user).get(reverse("metrics:export", args=[table]), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_weekly_csv_has_the_cohort_numbers_with_rates_as_fractions(world) -> None:
    rows = download(world["manager"], "weekly", weeks=3)
    week = next(r for r in rows if r["Week of"] == "2026-03-02")
    assert week["Leads"] == "5"
    assert week["Never contacted"] == "1"
    assert week["Within target rate (fraction)"] == "0.4"
    assert float(week["Median response (s)"]) == EXPECTED_WEEK_1["response_seconds_median"]
    assert float(week["P90 response (s)"]) == EXPECTED_WEEK_1["response_seconds_p90"]
    empty = next(r for r in rows if r["Week of"] == "2026-03-09")
    assert (empty["Leads"], empty["Qualification rate (fraction)"]) == ("0", "")
    assert rows[-1]["Week of"] == "All"


def test_bands_and_speed_to_lead_csvs(world) -> None:
    bands = download(world["manager"], "bands", weeks=3)
    week = next(r for r in bands if r["Week"] == "2026-03-02")
    assert (week["≤ 60 min"], week["never contacted"]) == ("1", "1")
    speed = download(world["manager"], "speed", weeks=3)
    assert speed[0]["Response time"] == "≤ 5 min"
    assert speed[0]["Qualification rate (fraction)"] == "1.0"


def test_split_csv_neutralises_a_source_name_that_looks_like_a_formula(world) -> None:
    rows = download(world["manager"], "split", weeks=3, split="source")
    assert rows[0]["Source"] == "'=HYPERLINK()"


def test_board_and_overdue_csvs(world) -> None:
    add_lead(
        team=world["team"],
        owner=world["ana"],
        source=SourceFactory(),
        received_at=berlin(2026, 3, 20, 9, 0),
        name="@risky",
    )
    board = download(world["manager"], "board")
    assert board[-1]["Rep"] == "All"
    assert board[-1]["Overdue and open"] == "1"
    overdue = download(world["manager"], "overdue")
    assert overdue[0]["Lead"].endswith("@risky")
    assert overdue[0]["Overdue for (s)"] == str(2 * 3600.0)


def test_a_rep_downloads_only_their_own_weekly_table(world) -> None:
    rows = download(world["ben"], "weekly", weeks=3, mine=1)
    assert next(r for r in rows if r["Week of"] == "2026-03-02")["Leads"] == "2"
    with time_machine.travel(NOW, tick=False):
        assert (
            client_for(world["ben"]).get(reverse("metrics:export", args=["weekly"])).status_code
            == 403
        )


def test_an_unknown_table_is_a_404(world) -> None:
    response = client_for(world["manager"]).get(reverse("metrics:export", args=["nope"]))
    assert response.status_code == 404


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_starting_like_a_formula_are_prefixed(text) -> None:
    assert neutralise(text) == "'" + text
    table = Table("t", "t", [Column("Name", "text")], rows=[[text]])
    assert table_csv(table).splitlines()[1].lstrip('"').startswith("'")


def test_numbers_are_not_neutralised() -> None:
    table = Table("t", "t", [Column("Delta")], rows=[[-3]])
    assert table_csv(table).splitlines()[1] == "-3"
